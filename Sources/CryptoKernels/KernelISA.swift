/// A marker type naming the instruction set one copy of the kernels is compiled for.
///
/// The kernels are generic over this marker only to give every per-ISA target its own specialized
/// symbols. Plain `@inlinable` code would be emitted under the same symbol name in each client, and
/// the linker would keep just one copy, silently running the portable code where AVX2 was meant.
public protocol KernelISA {}

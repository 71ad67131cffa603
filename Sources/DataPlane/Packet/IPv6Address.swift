/// An IPv6 address held as two 64-bit halves in host order (the first byte in the top of `high`).
///
/// Two integers instead of sixteen bytes make masking and comparison a couple of instructions, which is
/// what the longest-prefix match on every packet needs.
public struct IPv6Address: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Bytes in an encoded address.
    public static let byteCount = 16

    /// Bits 0-63 of the address (bytes 0-7), most significant first.
    public var high: UInt64
    /// Bits 64-127 of the address (bytes 8-15).
    public var low: UInt64

    /// An address from its two halves.
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An address from its eight 16-bit groups, as written `a:b:c:d:e:f:g:h`.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<4 { high = high << 16 | UInt64(groups[index]) }
        for index in 4..<8 { low = low << 16 | UInt64(groups[index]) }
        self.init(high: high, low: low)
    }

    /// Reads sixteen network-order bytes at `pointer`.
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        high = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
        low = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Writes the sixteen network-order bytes to `pointer`.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: high.bigEndian, as: UInt64.self)
        pointer.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// The address with every bit past the first `prefixLength` cleared.
    @inlinable
    public func masked(to prefixLength: Int) -> IPv6Address {
        if prefixLength >= 128 { return self }
        if prefixLength <= 0 { return IPv6Address(high: 0, low: 0) }
        if prefixLength >= 64 {
            let keep = prefixLength - 64
            return IPv6Address(high: high, low: keep == 0 ? 0 : low & ~(UInt64.max >> UInt64(keep)))
        }
        return IPv6Address(high: high & ~(UInt64.max >> UInt64(prefixLength)), low: 0)
    }

    @inlinable
    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Eight hexadecimal groups separated by colons, without `::` compression.
    public var description: String {
        var groups: [String] = []
        for index in 0..<8 {
            let word = index < 4 ? high >> UInt64(48 - 16 * index) : low >> UInt64(48 - 16 * (index - 4))
            groups.append(String(UInt16(truncatingIfNeeded: word), radix: 16))
        }
        return groups.joined(separator: ":")
    }
}

/// An IPv4 address held as one 32-bit number in host order (the first octet in the top byte).
///
/// A plain integer makes prefix masking and hashing in the allowed-IPs table cheap, and keeps the type
/// free of any platform `in_addr` so the data plane stays portable and I/O free.
public struct IPv4Address: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Bytes in an encoded address.
    public static let byteCount = 4

    /// The address as a number, first octet most significant.
    public var value: UInt32

    /// An address from its numeric value.
    @inlinable
    public init(value: UInt32) {
        self.value = value
    }

    /// An address from its four octets, as written `a.b.c.d`.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Reads four network-order bytes at `pointer`.
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        value = UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self))
    }

    /// Writes the four network-order bytes to `pointer`.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    /// The address with every bit past the first `prefixLength` cleared.
    @inlinable
    public func masked(to prefixLength: Int) -> IPv4Address {
        guard prefixLength < 32 else { return self }
        guard prefixLength > 0 else { return IPv4Address(value: 0) }
        return IPv4Address(value: value & ~(UInt32.max >> UInt32(prefixLength)))
    }

    @inlinable
    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }

    /// Dotted decimal, e.g. `10.0.0.1`.
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

/// The fuzzer's bytes read front to back as a stream of small decisions.
///
/// Reads past the end return zeros (and empty slices) instead of failing, so every input, however short,
/// is a complete program for a target: libFuzzer's mutations never produce an input that is merely
/// rejected by the harness, and a truncated seed still means what its prefix says.
public struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    public private(set) var offset = 0

    /// Reads `bytes`, which must stay valid while this value is used.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset >= bytes.count }

    /// Bytes not read yet.
    public var remainingCount: Int { max(0, bytes.count - offset) }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next byte as a choice among `count` options (0 when `count` is 0).
    public mutating func choice(_ count: Int) -> Int {
        count > 0 ? Int(byte()) % count : 0
    }

    /// Whether the next byte is odd.
    public mutating func flag() -> Bool {
        byte() & 1 == 1
    }

    /// A little-endian 16-bit value.
    public mutating func uint16() -> UInt16 {
        UInt16(byte()) | UInt16(byte()) << 8
    }

    /// A little-endian 32-bit value.
    public mutating func uint32() -> UInt32 {
        UInt32(uint16()) | UInt32(uint16()) << 16
    }

    /// A little-endian 64-bit value.
    public mutating func uint64() -> UInt64 {
        UInt64(uint32()) | UInt64(uint32()) << 32
    }

    /// Up to `count` bytes (fewer at the end of the input).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        let available = min(max(0, count), remainingCount)
        defer { offset += available }
        return Array(bytes[offset..<(offset + available)])
    }

    /// A length-prefixed byte string: one byte of length (0...255) then that many bytes.
    public mutating func shortBytes() -> [UInt8] {
        bytes(Int(byte()))
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        bytes(remainingCount)
    }
}

/// A TAI64N timestamp: 8 big-endian bytes of TAI64 seconds label, then 4 big-endian bytes of nanoseconds.
///
/// WireGuard's handshake initiation carries one, encrypted, and the responder accepts an initiation only
/// if its timestamp is greater than every earlier one from that peer, which defeats replays. The ordering
/// of the 12 bytes as big-endian numbers is the ordering that matters, so `Comparable` compares the
/// label and then the nanoseconds exactly as a byte-wise comparison would, even for values a peer made up.
/// This type never reads a clock: the caller supplies the time.
public struct TAI64N: Comparable, Hashable, Sendable {
    /// Encoded length in bytes.
    public static let byteCount = 12

    /// The label of Unix second 0. TAI64 puts 1970 at 2^62; WireGuard (Linux kernel, wireguard-go,
    /// boringtun) adds the 10 seconds by which TAI led UTC in 1970, following libtai, so we do too.
    public static let unixEpochLabel: UInt64 = 0x4000_0000_0000_000A

    /// The TAI64 label: `unixEpochLabel + Unix seconds`.
    public var secondsLabel: UInt64
    /// Nanoseconds within the second; below 10^9 for stamps made here, unchecked for decoded ones.
    public var nanoseconds: UInt32

    /// A stamp for `unixSeconds` seconds and `nanoseconds` (0..<10^9) after the Unix epoch.
    @inlinable
    public init(unixSeconds: Int64, nanoseconds: UInt32) {
        precondition(nanoseconds < 1_000_000_000, "TAI64N nanoseconds must be below one billion")
        self.secondsLabel = Self.unixEpochLabel &+ UInt64(bitPattern: unixSeconds)
        self.nanoseconds = nanoseconds
    }

    /// A stamp from its two raw fields, as decoded from the wire.
    @inlinable
    public init(secondsLabel: UInt64, nanoseconds: UInt32) {
        self.secondsLabel = secondsLabel
        self.nanoseconds = nanoseconds
    }

    /// The resolution of the stamps we send: 2^24 ns (about 16.8 ms), as the Linux kernel whitens them.
    public static let whiteningGranule: UInt32 = 1 << 24

    /// This stamp plus `delta` nanoseconds (below one second), carrying into the seconds label. For stamps
    /// made here, whose nanoseconds are below 10^9 (so the sum fits a `UInt32`).
    @inlinable
    public func advanced(byNanoseconds delta: UInt32) -> TAI64N {
        precondition(delta < 1_000_000_000 && nanoseconds < 1_000_000_000, "advance a valid stamp by under 1 s")
        let sum = nanoseconds + delta
        return sum < 1_000_000_000
            ? TAI64N(secondsLabel: secondsLabel, nanoseconds: sum)
            : TAI64N(secondsLabel: secondsLabel &+ 1, nanoseconds: sum - 1_000_000_000)
    }

    /// Decodes 12 bytes starting at `pointer`.
    @inlinable
    public init(loadingFrom pointer: UnsafeRawPointer) {
        self.secondsLabel = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
        self.nanoseconds = UInt32(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    /// Decodes exactly 12 bytes; returns nil for any other length.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.byteCount, let base = bytes.baseAddress else { return nil }
        self.init(loadingFrom: base)
    }

    /// Seconds since the Unix epoch that this stamp encodes.
    @inlinable
    public var unixSeconds: Int64 {
        Int64(bitPattern: secondsLabel &- Self.unixEpochLabel)
    }

    /// Writes the 12-byte encoding to `pointer`.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: secondsLabel.bigEndian, as: UInt64.self)
        pointer.storeBytes(of: nanoseconds.bigEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Writes the 12-byte encoding to the start of `buffer`, which must hold at least 12 bytes.
    @inlinable
    public func store(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.byteCount, "TAI64N needs 12 bytes")
        store(to: buffer.baseAddress!)
    }

    /// Orders by seconds label, then nanoseconds: the order of the encoded bytes.
    @inlinable
    public static func < (lhs: TAI64N, rhs: TAI64N) -> Bool {
        (lhs.secondsLabel, lhs.nanoseconds) < (rhs.secondsLabel, rhs.nanoseconds)
    }
}

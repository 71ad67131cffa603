/// What happened to the packets of one ``PacketChannel/send(_:)``.
///
/// Sending drops packets rather than failing or blocking, like a router; the counts let the core keep
/// statistics and notice a peer that is unreachable.
public struct PacketSendResult: Equatable, Sendable {
    /// Entries the kernel accepted (or, for a completion backend, that were queued for it). An entry with a
    /// ``PacketDescriptor/segmentSize`` counts once, whatever its number of segments.
    public var sent: Int
    /// Entries dropped: no destination, queue full, peer unreachable, packet too large.
    public var dropped: Int

    /// A result of `sent` and `dropped` packets.
    public init(sent: Int = 0, dropped: Int = 0) {
        self.sent = sent
        self.dropped = dropped
    }
}

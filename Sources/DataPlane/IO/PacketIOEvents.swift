/// Why an event loop woke its handler: which channels have packets waiting and whether the deadline passed.
public struct PacketIOEvents: OptionSet, Sendable, Hashable {
    /// One bit per event.
    public let rawValue: UInt8

    /// An event set from its raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The loop just started: the handler should return its first deadline.
    public static let started = PacketIOEvents(rawValue: 1 << 0)
    /// At least one UDP socket has datagrams waiting.
    public static let datagramsReadable = PacketIOEvents(rawValue: 1 << 1)
    /// The TUN device has packets waiting.
    public static let tunReadable = PacketIOEvents(rawValue: 1 << 2)
    /// The deadline the handler last returned has passed.
    public static let deadlineReached = PacketIOEvents(rawValue: 1 << 3)
    /// Another thread asked the handler to look at its pending commands (control plane, `wg set`).
    public static let wakeRequested = PacketIOEvents(rawValue: 1 << 4)
}

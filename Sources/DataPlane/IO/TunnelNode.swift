/// The role the driver runs: whatever sits between the packet I/O and the WireGuard engine.
///
/// A plain interface is the `WireGuardDevice` itself; a zero-trust Gateway or Client wraps a device and
/// checks, holds or answers packets on the way through. The driver is generic over this protocol (never
/// an existential), so each node's per-packet calls are specialized and allocate nothing. Like the engine,
/// a node is sans-IO: time is an argument and everything it produces is polled.
public protocol TunnelNode: AnyObject {
    associatedtype Backend: CryptoBackend
    /// What the node tells the control plane (e.g. "create a flow for this Resource").
    associatedtype ControlEvent: Sendable

    /// The WireGuard engine underneath (for wg show/set through UAPI and statistics).
    var device: WireGuardDevice<Backend> { get }

    /// A datagram from the network: decrypted in place, checked, and reported as the engine reports it.
    /// `local` is the local end it arrived at, when the driver knows it; replies to the peer leave from there.
    func handleDatagram(
        _ bytes: UnsafeMutableRawBufferPointer, from source: Endpoint, to local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult

    /// An IP packet from the TUN device at `packet` of `buffer`: encrypted in place, held or dropped.
    func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult

    /// Whether `nextDatagram` has something to return.
    var hasPendingDatagrams: Bool { get }

    /// Writes the next datagram the node queued for the network at the start of `buffer`.
    func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, now: WireGuardTime) -> WireGuardDatagram?

    /// Packets the node made itself for the TUN device (e.g. a Client's local ICMP "prohibited" answers).
    var hasPendingTunPackets: Bool { get }

    /// Writes the next packet for the TUN device at the start of `buffer` and returns its length, or nil
    /// when none is left.
    func nextTunPacket(into buffer: UnsafeMutableRawBufferPointer) -> Int?

    /// Runs every timer due at `now`.
    func updateTimers(now: WireGuardTime)

    /// The earliest time `updateTimers` has work to do, or nil.
    var nextDeadline: MonotonicInstant? { get }

    /// Events for the control plane, polled by the driver after each turn until nil.
    func nextControlEvent() -> ControlEvent?
}

/// A plain WireGuard interface: the device is its own node, with nothing for the TUN device or the
/// control plane beyond what the engine does.
extension TunnelNode {
    /// A datagram from the network whose local end is not known (tests, simulations): replies leave from
    /// wherever the kernel chooses.
    @inlinable
    public func handleDatagram(
        _ bytes: UnsafeMutableRawBufferPointer, from source: Endpoint, now: WireGuardTime
    ) -> WireGuardInboundResult {
        handleDatagram(bytes, from: source, to: nil, now: now)
    }
}

extension WireGuardDevice: TunnelNode {
    public typealias ControlEvent = Never

    /// The device itself.
    public var device: WireGuardDevice<Backend> { self }

    /// Always false: the engine makes no packets for the TUN device.
    public var hasPendingTunPackets: Bool { false }

    /// Always nil: the engine makes no packets for the TUN device.
    public func nextTunPacket(into buffer: UnsafeMutableRawBufferPointer) -> Int? { nil }

    /// Always nil: a plain interface has no control plane.
    public func nextControlEvent() -> Never? { nil }
}

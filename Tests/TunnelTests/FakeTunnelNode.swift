import Crypto
import DataPlane

/// A small node over a real device, standing in for a zero-trust Gateway or Client in driver tests: it
/// answers packets for `refusedDestination` itself (a packet back to the TUN device and a control event),
/// passes everything else to the engine, and has a deadline of its own.
final class FakeTunnelNode: TunnelNode {
    typealias Backend = SodiumBackend
    typealias ControlEvent = String

    let device: WireGuardDevice<SodiumBackend>
    /// Packets queued for the TUN device, oldest first.
    var tunPackets: [[UInt8]] = []
    /// Events queued for the control plane, oldest first.
    var controlEvents: [String] = []
    /// A deadline of the node's own (a Gateway's expiry sweep), merged with the device's.
    var ownDeadline: MonotonicInstant?
    /// Times `updateTimers` ran.
    var timerRuns = 0
    let refusedDestination = IPAddress.v4(IPv4Address(10, 99, 0, 1))

    init(device: WireGuardDevice<SodiumBackend>) {
        self.device = device
    }

    func handleDatagram(
        _ bytes: UnsafeMutableRawBufferPointer, from source: Endpoint, to local: LocalSource?, now: WireGuardTime
    ) -> WireGuardInboundResult {
        let result = device.handleDatagram(bytes, from: source, to: local, now: now)
        if case .packet(_, let peer) = result { controlEvents.append("packet from \(peer)") }
        return result
    }

    func encapsulate(
        buffer: UnsafeMutableRawBufferPointer, packet: Range<Int>, now: WireGuardTime
    ) -> WireGuardOutboundResult {
        guard let header = try? IPPacketHeader(parsing: UnsafeRawBufferPointer(rebasing: buffer[packet])),
              header.destination == refusedDestination, case .v4(let source) = header.source else {
            return device.encapsulate(buffer: buffer, packet: packet, now: now)
        }
        tunPackets.append(ipv4UDP(from: IPv4Address(10, 99, 0, 1), to: source, payload: Array("refused".utf8)))
        controlEvents.append("refused")
        return .dropped(.noRoute)
    }

    var hasPendingDatagrams: Bool { device.hasPendingDatagrams }

    func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, now: WireGuardTime) -> WireGuardDatagram? {
        device.nextDatagram(into: buffer, now: now)
    }

    var hasPendingTunPackets: Bool { !tunPackets.isEmpty }

    func nextTunPacket(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard !tunPackets.isEmpty else { return nil }
        let packet = tunPackets.removeFirst()
        guard packet.count <= buffer.count else { return nil }
        packet.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return packet.count
    }

    func updateTimers(now: WireGuardTime) {
        timerRuns += 1
        if let ownDeadline, now.monotonic >= ownDeadline { self.ownDeadline = nil }
        device.updateTimers(now: now)
    }

    var nextDeadline: MonotonicInstant? {
        guard let ownDeadline else { return device.nextDeadline }
        guard let engine = device.nextDeadline else { return ownDeadline }
        return min(ownDeadline, engine)
    }

    func nextControlEvent() -> String? {
        controlEvents.isEmpty ? nil : controlEvents.removeFirst()
    }
}

/// A command for the fake node's mailbox, as a portal message would be.
enum FakeCommand: Sendable {
    /// Queue this packet for the TUN device.
    case emit([UInt8])
    /// Queue this control event.
    case note(String)
}

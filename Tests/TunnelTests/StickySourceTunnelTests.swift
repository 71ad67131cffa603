import DataPlane
import MemoryIO
import Testing
import Tunnel

/// Through the driver: what the backend reports about where a datagram arrived reaches the engine, and every
/// datagram back to that peer (handshake response, single packets, GSO trains) asks to leave from there.
@Suite("Sticky source through the driver")
struct StickySourceTunnelTests {
    /// B's second address, on B's interface 9: A writes to it, not to B's configured endpoint.
    static let arrival = LocalSource(address: .v4(IPv4Address(192, 0, 2, 22)), interfaceIndex: 9)
    static let header = [UInt8](repeating: 0, count: VirtioNetHeader.size)

    @Test("Replies leave from the address and interface the peer's datagrams arrived at", arguments: [false, true])
    func repliesLeaveFromTheArrivalAddress(offloads: Bool) throws {
        let set: PacketOffloads = offloads ? .all : []
        let pair = DriverPair(bufferCount: 256, bufferSize: PacketOffloads.superPacketBufferSize,
                              offloadsA: set, offloadsB: set)
        pair.arrivalAtB = Self.arrival
        let prefix = offloads ? Self.header : []
        pair.a.io.tun!.inject(prefix + ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2),
                                               payload: Array("hello".utf8)))
        pair.a.handle(.tunReadable, at: pair.now)
        // The initiation crosses; B answers.
        for packet in pair.a.takeSent() {
            pair.b.io.datagrams.inject(packet.bytes, source: pair.a.endpoint,
                                       destination: Endpoint(address: Self.arrival.address, port: 51820),
                                       interfaceIndex: Self.arrival.interfaceIndex)
        }
        pair.b.handle(.datagramsReadable, at: pair.now)
        let response = pair.b.takeSent()
        try #require(response.count == 1)
        #expect(response[0].source?.address == Self.arrival.address)
        #expect(response[0].interfaceIndex == Self.arrival.interfaceIndex)
        for packet in response { pair.a.io.datagrams.inject(packet.bytes, source: pair.b.endpoint) }
        pair.a.handle(.datagramsReadable, at: pair.now)
        pair.exchange()
        try #require(pair.b.io.tun!.sent.count == 1, "the first packet crossed")

        // B's own traffic to A: one packet, and with offloads a super-packet that leaves as GSO trains.
        pair.b.io.tun!.inject(prefix + ipv4UDP(from: IPv4Address(10, 0, 0, 2), to: IPv4Address(10, 0, 0, 1),
                                               payload: Array("back".utf8)))
        if offloads {
            let segments = TCPSegments.run(count: 30, payload: 1380, from: IPv4Address(10, 0, 0, 2),
                                           to: IPv4Address(10, 0, 0, 1))
            pair.b.io.tun!.inject(try TCPSegments.coalesced(segments))
        }
        pair.b.handle(.tunReadable, at: pair.now)
        let sent = pair.b.takeSent()
        #expect(sent.count >= 1)
        #expect(!offloads || sent.contains { $0.segmentSize > 0 }, "the super-packet left as trains")
        for packet in sent {
            #expect(packet.destination == pair.a.endpoint)
            #expect(packet.source?.address == Self.arrival.address)
            #expect(packet.interfaceIndex == Self.arrival.interfaceIndex)
        }
    }
}

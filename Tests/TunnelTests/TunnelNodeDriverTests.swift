import Crypto
import DataPlane
import Foundation
import Locks
import MemoryIO
import Testing
import Tunnel

/// A driver running a node that is not a bare device, with a control mailbox and an event sink.
final class FakeNodeFixture {
    let node: FakeTunnelNode
    let io: MemoryPacketIO
    let clock = ManualWallClock(unixSeconds: 1_800_000_000)
    /// What the driver handed to the event sink, in order.
    let events = Locked<[String]>([])
    /// How often a submitting thread woke the loop.
    let wakes = Locked(0)
    let mailbox: ControlMailbox<FakeCommand, String>
    let tunnel: WireGuardTunnel<FakeTunnelNode, MemoryPacketIO>
    let endpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820)
    var now = MonotonicInstant(nanoseconds: 1_000_000_000)

    init(bufferCount: Int = 64) {
        let key = PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 13 &+ 1) })!)
        node = FakeTunnelNode(device: WireGuardDevice<SodiumBackend>(privateKey: key, random: DriverRandom(state: 7)))
        io = MemoryPacketIO(bufferCount: bufferCount)
        let wakes = wakes
        let events = events
        mailbox = ControlMailbox<FakeCommand, String>(closedAnswer: "closed") { wakes.withLock { $0 += 1 } }
        tunnel = WireGuardTunnel(
            node: node, pool: io.pool, batchSize: 16, wallClock: clock, mailbox: mailbox,
            handler: { tunnel, command, _ in
                switch command {
                case .emit(let packet):
                    tunnel.node.tunPackets.append(packet)
                    return "emitted"
                case .note(let name):
                    tunnel.node.controlEvents.append(name)
                    return "noted"
                }
            },
            events: { event in events.withLock { $0.append(event) } })
    }

    @discardableResult
    func handle(_ events: PacketIOEvents) -> PacketLoopDirective {
        tunnel.handle(events, io: io, now: now)
    }

    var delivered: [String] { events.withLock { $0 } }
}

/// The driver's side of the `TunnelNode` role: node-made TUN packets, control events, commands, deadlines.
@Suite struct TunnelNodeDriverTests {
    let answer = ipv4UDP(from: IPv4Address(10, 99, 0, 1), to: IPv4Address(10, 0, 0, 1), payload: Array("refused".utf8))

    @Test("A packet the node answers itself comes back on the TUN side, and its event reaches the sink")
    func nodeTunPacketsReachTun() throws {
        let fixture = FakeNodeFixture()
        fixture.io.tun!.inject(ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 99, 0, 1), payload: [1]))
        fixture.handle(.tunReadable)
        #expect(fixture.io.tun!.sent.map(\.bytes) == [answer])
        #expect(fixture.delivered == ["refused"])
        #expect(fixture.node.controlEvents.isEmpty && fixture.node.tunPackets.isEmpty)
        #expect(fixture.tunnel.counters.tunPacketsWritten == 1)
        #expect(fixture.io.datagrams.sentCount == 0)
        #expect(fixture.io.pool.availableCount == 64, "every buffer went back to the pool")
    }

    @Test("Posted commands run only when the loop turns, in order; their TUN packets and events go out then")
    func postedCommandsRunOnTheLoop() throws {
        let fixture = FakeNodeFixture()
        // More packets than one TUN batch holds (16): the driver flushes and goes on.
        for index in 0..<40 {
            let packet = ipv4UDP(from: IPv4Address(10, 99, 0, 1), to: IPv4Address(10, 0, 0, 1), payload: [UInt8(index)])
            fixture.mailbox.post(.emit(packet))
        }
        fixture.mailbox.post(.note("first"))
        fixture.mailbox.post(.note("second"))
        #expect(fixture.wakes.withLock { $0 } == 42)
        #expect(fixture.io.tun!.sent.isEmpty && fixture.delivered.isEmpty, "nothing runs off the loop")
        // A turn without the wake event leaves the mailbox alone.
        fixture.handle(.tunReadable)
        #expect(fixture.io.tun!.sent.isEmpty)
        fixture.handle(.wakeRequested)
        #expect(fixture.io.tun!.sent.map { $0.bytes.last } == (0..<40).map { UInt8($0) })
        #expect(fixture.delivered == ["first", "second"])
        #expect(fixture.io.pool.availableCount == 64)
    }

    @Test("submit waits for the loop's answer; once closed, submit gets the closed answer and post is dropped")
    func submitWaitsAndClosedMailboxAnswers() throws {
        let fixture = FakeNodeFixture()
        let answered = Locked<String?>(nil)
        let mailbox = fixture.mailbox
        let thread = Thread {
            // Submitted outside the lock: the loop (this test) reads `answered` while the submitter waits.
            let response = mailbox.submit(.note("submitted"))
            answered.withLock { $0 = response }
        }
        thread.start()
        // This thread is the loop: it turns until the submitter has its answer.
        let start = Date()
        while answered.withLock({ $0 }) == nil && Date().timeIntervalSince(start) < 10 {
            fixture.handle(.wakeRequested)
            usleep(1000)
        }
        #expect(answered.withLock { $0 } == "noted")
        #expect(fixture.delivered == ["submitted"])

        fixture.mailbox.close()
        #expect(fixture.mailbox.submit(.note("late")) == "closed")
        fixture.mailbox.post(.note("later"))
        fixture.handle(.wakeRequested)
        #expect(fixture.delivered == ["submitted"])
    }

    @Test("The loop sleeps until the node's own deadline, and runs the node's timers when it passes")
    func nodeDeadlineIsWaitedFor() throws {
        let fixture = FakeNodeFixture()
        let deadline = MonotonicInstant(nanoseconds: fixture.now.nanoseconds + 3_000_000_000)
        fixture.node.ownDeadline = deadline
        #expect(fixture.handle(.started) == .wait(deadline: deadline))
        fixture.now = deadline
        #expect(fixture.handle(.deadlineReached) == .wait(deadline: nil))
        #expect(fixture.node.timerRuns == 2)
    }

    @Test("When the pool runs dry, node TUN packets wait and the loop is asked back at once; none is lost")
    func nodeTunPacketsWaitForBuffers() throws {
        let fixture = FakeNodeFixture(bufferCount: 8)
        fixture.io.tun!.holdsSentBuffers = true
        for index in 0..<20 { fixture.node.tunPackets.append([0x45, UInt8(index)]) }
        #expect(fixture.handle(.started) == .wait(deadline: fixture.now))
        #expect(fixture.io.tun!.sent.count == 8)
        var turns = 0
        while !fixture.node.tunPackets.isEmpty && turns < 10 {
            fixture.io.tun!.completeSends()
            fixture.handle(.deadlineReached)
            turns += 1
        }
        #expect(fixture.io.tun!.sent.map { $0.bytes[1] } == (0..<20).map { UInt8($0) })
        fixture.io.tun!.completeSends()
        #expect(fixture.io.pool.availableCount == 8)
    }

    @Test("A real peer's traffic crosses a node both ways; the node names the sender by its peer id")
    func trafficCrossesNode() throws {
        let fixture = FakeNodeFixture()
        let peer = DriverNode(seed: 2, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 2)), port: 51820))
        let peerID = try fixture.node.device.addPeer(WireGuardPeerConfiguration(
            publicKey: peer.publicKey, allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 2)), prefixLength: 32)!],
            endpoint: peer.endpoint))
        try peer.device.addPeer(WireGuardPeerConfiguration(
            publicKey: fixture.node.device.publicKey!,
            allowedIPs: [IPNetwork(.v4(IPv4Address(10, 0, 0, 1)), prefixLength: 32)!]))
        let outbound = ipv4UDP(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), payload: [1])
        fixture.io.tun!.inject(outbound)
        fixture.handle(.tunReadable)
        for _ in 0..<10 {
            let fromNode = fixture.io.datagrams.sent
            fixture.io.datagrams.clearSent()
            let fromPeer = peer.takeSent()
            if fromNode.isEmpty && fromPeer.isEmpty { break }
            for packet in fromNode { peer.io.datagrams.inject(packet.bytes, source: fixture.endpoint) }
            for packet in fromPeer { fixture.io.datagrams.inject(packet.bytes, source: peer.endpoint) }
            peer.handle(.datagramsReadable, at: fixture.now)
            fixture.handle(.datagramsReadable)
        }
        #expect(peer.io.tun!.sent.map(\.bytes) == [outbound])
        let inbound = ipv4UDP(from: IPv4Address(10, 0, 0, 2), to: IPv4Address(10, 0, 0, 1), payload: [2])
        peer.io.tun!.inject(inbound)
        peer.handle(.tunReadable, at: fixture.now)
        for packet in peer.takeSent() { fixture.io.datagrams.inject(packet.bytes, source: peer.endpoint) }
        fixture.handle(.datagramsReadable)
        #expect(fixture.io.tun!.sent.map(\.bytes) == [inbound])
        #expect(fixture.delivered == ["packet from \(peerID)"])
    }
}

import Crypto
import DataPlane
import Testing

/// The device's timer schedule: wake-ups find the due peers among thousands without scanning them.
@Suite("Timer schedule")
struct TimerScheduleTests {
    static func publicKey(_ index: Int) -> PublicKey {
        var bytes = SIMD32<UInt8>(repeating: 0x42)
        bytes[0] = UInt8(truncatingIfNeeded: index)
        bytes[1] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[2] = 0x80
        return PublicKey(raw: Key32(bytes: bytes))
    }

    static func device(peers: Int) -> WireGuardDevice<SodiumBackend> {
        let device = WireGuardDevice<SodiumBackend>(privateKey: privateKey(seed: 1), random: SeededRandom(seed: 5))
        for index in 0..<peers {
            try! device.addPeer(WireGuardPeerConfiguration(publicKey: publicKey(index)))
        }
        return device
    }

    @Test func amongThousandsOfIdlePeersOnlyTheArmedOneIsDueAndFires() throws {
        let device = Self.device(peers: 3000)
        var clock = FakeClock()
        clock.advance(seconds: 100)
        #expect(device.nextDeadline == nil, "idle peers arm no timer")
        let endpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 9)), port: 51820)
        try device.updatePeer(WireGuardPeerConfiguration(
            publicKey: Self.publicKey(1234), endpoint: endpoint, persistentKeepalive: .seconds(25)))
        // A persistent keepalive fires as soon as it is configured: due at once.
        let due = try #require(device.nextDeadline)
        #expect(due <= clock.now.monotonic)
        device.updateTimers(now: clock.now)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var sent: [Endpoint] = []
        while let datagram = buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: clock.now) }) {
            sent.append(datagram.endpoint)
        }
        #expect(sent == [endpoint], "one initiation, to the one peer with a timer")
        // Next: the initiation's retransmission, 5 s plus at most 1/3 s of jitter.
        let next = try #require(device.nextDeadline)
        #expect(next > clock.now.monotonic)
        #expect(next <= clock.now.monotonic + .milliseconds(5334))
        #expect(device.removePeer(Self.publicKey(1234)))
        #expect(device.nextDeadline == nil, "a removed peer's entries are not reported")
    }

    @Test func clearedAndPostponedDeadlinesAreNotReportedAsDue() throws {
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self)
        pair.establish()
        // B received data: its keepalive is armed 10 s out. Replying clears it (data counts as a keepalive).
        _ = pair.deliverToB(pair.sealedAtoB())
        let armed = try #require(pair.b.nextDeadline)
        #expect(armed > pair.now.monotonic)
        _ = pair.encapsulate(pair.packetBtoA(), on: pair.b)
        if let after = pair.b.nextDeadline {
            #expect(after > armed, "the cleared keepalive is no longer the next deadline")
        }
    }

    @Test func peersAddedAndRemovedManyTimesDoNotGrowTheSchedule() throws {
        let device = Self.device(peers: 50)
        var clock = FakeClock()
        let endpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 9)), port: 51820)
        for round in 0..<200 {
            let key = Self.publicKey(10_000 + round % 7)
            try device.addPeer(WireGuardPeerConfiguration(publicKey: key, endpoint: endpoint,
                                                          persistentKeepalive: .seconds(1 + round % 5)))
            device.updateTimers(now: clock.now)
            var buffer = [UInt8](repeating: 0, count: 2048)
            while buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: clock.now) }) != nil {}
            clock.advance(seconds: 0.5)
            device.updateTimers(now: clock.now)
            #expect(device.removePeer(key))
        }
        device.updateTimers(now: clock.now)
        #expect(device.timerScheduleEntryCount <= 2 * 50 + 64)
        #expect(device.nextDeadline == nil)
    }
}

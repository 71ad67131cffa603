import Benchmark
import Crypto
import DataPlane

/// What the driver pays after every batch for the engine's timers: `updateTimers` then `nextDeadline`, with
/// 10,000 configured peers of which one has a timer armed (not yet due). A scan of every peer cost about
/// 0.9 ms here; the timer schedule makes it independent of the number of peers. Mallocs must be 0.
func registerTimers() {
    Benchmark("Timers: updateTimers + nextDeadline with 10,000 peers, none due: mallocs must be 0",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo)) { benchmark in
        let device = WireGuardDevice<SodiumBackend>(privateKey: PrivateKey(raw: Key32(bytes: SIMD32(repeating: 7))),
                                                    random: SystemRandomNumberGenerator())
        for index in 0..<10_000 {
            var bytes = SIMD32<UInt8>(repeating: 0x42)
            bytes[0] = UInt8(truncatingIfNeeded: index)
            bytes[1] = UInt8(truncatingIfNeeded: index >> 8)
            try! device.addPeer(WireGuardPeerConfiguration(publicKey: PublicKey(raw: Key32(bytes: bytes))))
        }
        // One peer with a persistent keepalive: its first fires at once (an initiation), then it waits.
        var bytes = SIMD32<UInt8>(repeating: 0x42)
        bytes[0] = 9
        bytes[1] = 0
        try! device.updatePeer(WireGuardPeerConfiguration(
            publicKey: PublicKey(raw: Key32(bytes: bytes)),
            endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, 1)), port: 51820),
            persistentKeepalive: .seconds(25)))
        let now = WireGuardTime(monotonic: MonotonicInstant(nanoseconds: 1_000_000_000),
                                wallClock: WallClockTime(unixSeconds: 1_800_000_000))
        device.updateTimers(now: now)
        var buffer = [UInt8](repeating: 0, count: 2048)
        while buffer.withUnsafeMutableBytes({ device.nextDatagram(into: $0, now: now) }) != nil {}
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            device.updateTimers(now: now)
            blackHole(device.nextDeadline)
        }
        // Before the device goes: freeing 10,000 peers is not the wake-up's cost.
        benchmark.stopMeasurement()
    }
}

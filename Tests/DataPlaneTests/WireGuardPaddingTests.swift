import Crypto
import DataPlane
import Testing

@Suite struct WireGuardPaddingTests {
    @Test("Padding stops at the MTU: a full-size packet does not grow past it, smaller ones pad to 16")
    func paddingRespectsMTU() {
        var configuration = WireGuardConfiguration()
        configuration.mtu = 1420
        let pair = TunnelPair(SodiumBackend.self, SodiumBackend.self, configuration: configuration)
        pair.establish()
        let full = pair.packetAtoB([UInt8](repeating: 7, count: 1420 - 20))
        #expect(full.count == 1420)
        let (fullResult, fullBytes) = pair.encapsulate(full, on: pair.a)
        guard case .send = fullResult else {
            Issue.record("no session: \(fullResult)")
            return
        }
        // 16-byte header + 1420 bytes (no padding past the MTU) + 16-byte tag.
        #expect(fullBytes?.count == 1452)
        #expect(pair.deliverToB(fullBytes!).1 == full)
        let small = pair.packetAtoB([1, 2, 3])
        let (_, smallBytes) = pair.encapsulate(small, on: pair.a)
        #expect(smallBytes?.count == 16 + 32 + 16)
    }
}

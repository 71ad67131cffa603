import DataPlane
import Testing

func mark(_ window: inout ReplayWindow, _ counter: UInt64) -> Bool { window.accept(counter) }

@Suite("WireGuard building blocks")
struct WireGuardUnitTests {
    final class Owner {
        let name: String
        init(_ name: String) { self.name = name }
    }

    @Test("Allowed IPs pick the longest matching prefix for IPv4 and IPv6")
    func longestPrefixMatch() {
        let wide = Owner("wide"), narrow = Owner("narrow"), host = Owner("host"), v6 = Owner("v6")
        var table = AllowedIPs<Owner>()
        table.insert(network("0.0.0.0/0"), value: wide)
        table.insert(network("10.0.0.0/8"), value: narrow)
        table.insert(network("10.1.2.3/32"), value: host)
        let v6Net = IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 0])), prefixLength: 8)!
        table.insert(v6Net, value: v6)
        #expect(table.lookup(.v4(ipv4("10.1.2.3"))) === host)
        #expect(table.lookup(.v4(ipv4("10.1.2.4"))) === narrow)
        #expect(table.lookup(.v4(ipv4("192.168.0.1"))) === wide)
        #expect(table.lookup(.v6(IPv6Address(groups: [0xfd12, 1, 2, 3, 4, 5, 6, 7]))) === v6)
        #expect(table.lookup(.v6(IPv6Address(groups: [0xfe00, 0, 0, 0, 0, 0, 0, 1]))) == nil)
        #expect(network("10.9.9.9/8") == network("10.0.0.0/8"), "host bits are masked")
        table.removeAll(routedTo: narrow)
        #expect(table.lookup(.v4(ipv4("10.1.2.4"))) === wide)
        #expect(table.networks(routedTo: host) == [network("10.1.2.3/32")])
        let mid = IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0xabcd, 0, 0, 0])), prefixLength: 80)!
        table.insert(mid, value: host)
        #expect(table.lookup(.v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0xabcd, 0, 9, 9]))) === host)
        #expect(table.lookup(.v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0xabce, 0, 9, 9]))) === v6)
    }

    @Test("The replay window accepts each counter once within 4032 and rejects older ones")
    func replayWindow() {
        var window = ReplayWindow()
        #expect(ReplayWindow.windowSize >= 2048)
        #expect(mark(&window, 0))
        #expect(!mark(&window, 0))
        #expect(mark(&window, 10_000))
        #expect(!window.wouldAccept(10_000 - ReplayWindow.windowSize - 1))
        #expect(!mark(&window, 10_000 - ReplayWindow.windowSize - 1))
        #expect(window.wouldAccept(10_000 - ReplayWindow.windowSize))
        #expect(mark(&window, 10_000 - ReplayWindow.windowSize))
        #expect(mark(&window, 9_999))
        #expect(!mark(&window, 9_999))
        // Random order inside the window: every counter exactly once.
        var fresh = ReplayWindow()
        var random = SeededRandom(seed: 3)
        var counters = Array(UInt64(0)..<2048)
        counters.shuffle(using: &random)
        for counter in counters { #expect(mark(&fresh, counter)) }
        for counter in counters { #expect(!mark(&fresh, counter)) }
        // A huge jump clears everything older.
        #expect(mark(&fresh, 1 << 40))
        #expect(!mark(&fresh, 100))
        #expect(mark(&fresh, (1 << 40) - 1))
    }

    @Test("IP headers: version, addresses and total length; malformed ones rejected")
    func ipHeader() throws {
        let packet = ipv4Packet(from: "10.0.0.1", to: "10.0.0.2", payload: [1, 2, 3]) + [0, 0, 0]
        let header = try packet.withUnsafeBytes { try IPPacketHeader(parsing: $0) }
        #expect(header.version == 4)
        #expect(header.source == .v4(ipv4("10.0.0.1")))
        #expect(header.destination == .v4(ipv4("10.0.0.2")))
        #expect(header.totalLength == 23)
        var v6 = [UInt8](repeating: 0, count: 48)
        v6[0] = 0x60
        v6[5] = 8
        v6[8] = 0xfd
        v6[39] = 1
        v6[24] = 0xfd
        v6[55 - 16] = 2
        let header6 = try v6.withUnsafeBytes { try IPPacketHeader(parsing: $0) }
        #expect(header6.version == 6)
        #expect(header6.totalLength == 48)
        #expect(header6.source == .v6(IPv6Address(groups: [0xfd00, 0, 0, 0, 0, 0, 0, 0])))
        for bad in [[], [0x45], [0x55] + [UInt8](repeating: 0, count: 30), Array(packet[..<22])] as [[UInt8]] {
            #expect(throws: IPHeaderError.self) { try bad.withUnsafeBytes { try IPPacketHeader(parsing: $0) } }
        }
    }
}

import DataPlane
import FuzzSupport

/// Seeds for the config target: valid files in the shapes the README documents and a few broken ones.
enum ConfigSeeds {
    static func key(_ seed: UInt8) -> String {
        Key32(bytes: SIMD32((0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 13 &+ Int(seed)) })).base64
    }

    static func make() -> [(name: String, bytes: [UInt8])] {
        let full = """
            [Interface]
            PrivateKey = \(key(1))
            ListenPort = 51820
            Address = 10.100.0.1/24, fd00:100::1/64
            MTU = 1420
            DNS = 10.100.0.53, example.internal
            # wg-quick settings fzctl accepts and ignores
            PostUp = iptables -A FORWARD -i %i -j ACCEPT
            SaveConfig = false

            [Peer]
            PublicKey = \(key(2))
            PresharedKey = \(key(3))
            AllowedIPs = 10.100.0.2/32, fd00:100::2/128
            Endpoint = 192.0.2.7:51820
            PersistentKeepalive = 25

            [Peer]
            PublicKey = \(key(4))
            AllowedIPs = 10.200.0.0/16
            Endpoint = [2001:db8::7]:51821

            [Peer]
            publickey=\(key(5))
            allowedips=0.0.0.0/0,::/0
            endpoint=vpn.example.com:443 # resolved by fzctl up

            """
        let minimal = """
            [Interface]
            PrivateKey = \(key(6))

            """
        let broken = """
            [Interface]
            PrivateKey = \(key(7))
            ListenPort = 70000
            [Peer]
            PublicKey = \(key(8))
            AllowedIPs = 10.0.0.0/33

            """
        let duplicate = """
            [Interface]
            PrivateKey = \(key(9))
            FwMark = 0x1234
            Table = off
            [Peer]
            PublicKey = \(key(10))
            [Peer]
            PublicKey = \(key(10))

            """
        return [("full.conf", full), ("minimal.conf", minimal), ("broken.conf", broken),
                ("duplicate.conf", duplicate)].map { ($0.0, Array($0.1.utf8)) }
    }
}

import DataPlane
import FuzzSupport

/// Seeds for the UAPI target: what Debian's `wg` sends for `show`, `set` and `setconf`, and broken
/// requests. Each starts with the size-limit and chunk-seed bytes.
enum UAPISeeds {
    static func hex(_ seed: UInt8) -> String {
        (0..<32).map { index -> String in
            let byte = UInt8(truncatingIfNeeded: index &* 17 &+ Int(seed))
            return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }.joined()
    }

    static func make() -> [(name: String, bytes: [UInt8])] {
        let setconf = """
            set=1
            private_key=\(hex(1))
            listen_port=51820
            replace_peers=true
            public_key=\(hex(2))
            preshared_key=\(hex(3))
            endpoint=192.0.2.7:51820
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=10.100.0.2/32
            allowed_ip=fd00:100::2/128
            public_key=\(hex(4))
            endpoint=[2001:db8::7]:51821
            replace_allowed_ips=true
            allowed_ip=0.0.0.0/0


            """
        let set = """
            set=1
            public_key=\(hex(2))
            update_only=true
            protocol_version=1
            allowed_ip=10.100.0.3/32
            public_key=\(hex(4))
            remove=true


            """
        let seeds: [(String, UInt8, String)] = [
            ("get", 0, "get=1\n\n"),
            ("setconf", 0, setconf),
            ("set-peers", 3, set),
            ("get-then-set", 7, "get=1\n\n" + set),
            ("set-fwmark-private-key-zero", 0, "set=1\nfwmark=0\nprivate_key=\(String(repeating: "0", count: 64))\n\n"),
            ("bad-key", 0, "set=1\npublic_key=zz\n\nget=1\n\n"),
            ("too-large", 1, "set=1\nlisten_port=1\nlisten_port=2\nlisten_port=3\n\n"),
            ("unknown-operation", 0, "delete=1\n\n"),
        ]
        return seeds.map { ($0.0, [$0.1 == 0 ? 0 : ($0.1 == 1 ? 1 : 3), $0.1] + Array($0.2.utf8)) }
    }
}

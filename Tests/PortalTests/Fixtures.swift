import ControlProtocol
import DataPlane
import Portal
import WireGuardConfig

/// A deterministic generator, so preshared keys in tests are predictable.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

enum Fixtures {
    static func key(_ byte: UInt8) -> Key32 {
        Key32(Array(repeating: byte, count: 32))!
    }

    static func publicKey(_ byte: UInt8) -> PublicKey {
        PublicKey(raw: key(byte))
    }

    static func network(_ text: String) -> IPNetwork {
        // Test inputs are literals known to be valid.
        try! IPAddressText.parseNetwork(text)
    }

    static let policyJSON = """
        {"admin_token": "admin-secret",
         "gateways": [{"id": "gw-1", "token": "gw-1-token"}, {"id": "gw-2", "token": "gw-2-token"}],
         "clients": [{"id": "alice", "token": "alice-token"}, {"id": "bob", "token": "bob-token"}],
         "resources": [
            {"id": "web", "name": "Web", "address": "10.201.1.0/24", "gateways": ["gw-1", "gw-2"],
             "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 443},
                         {"protocol": "udp", "port_range_start": 53, "port_range_end": 53},
                         {"protocol": "icmp"}]},
            {"id": "db", "name": "DB", "address": "fd00:db::/64", "gateways": ["gw-2"]}],
         "policies": [{"client": "alice", "resource": "web", "expires_at": 2000},
                      {"client": "alice", "resource": "db"},
                      {"client": "bob", "resource": "db"}]}
        """

    static var policy: PolicyFile {
        try! PolicyFile.parse(bytes: Array(policyJSON.utf8), fileName: "policy.json")
    }

    static let web = WireResource(
        id: "web", name: "Web", address: network("10.201.1.0/24"),
        filters: [.tcp(80...443), .udp(53...53), .icmp]
    )
    static let db = WireResource(id: "db", name: "DB", address: network("fd00:db::/64"), filters: [])

    static let gatewayEndpoint = Endpoint(address: .v4(IPv4Address(198, 51, 100, 1)), port: 51820)
}

/// Seeds for the policy-file target: the README's shape, a reload that removes and changes entries, and
/// files each validation rule refuses.
enum PolicyFileSeeds {
    static let full = """
        {"admin_token": "admin",
         "gateways":  [{"id": "gw-1", "token": "g"}, {"id": "gw-2", "token": "g2"}],
         "clients":   [{"id": "alice", "token": "a"}, {"id": "bob", "token": "b"}],
         "resources": [{"id": "web", "name": "Web", "address": "10.201.1.0/24", "gateways": ["gw-1", "gw-2"],
                        "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 443},
                                    {"protocol": "udp", "port_range_start": 53, "port_range_end": 53},
                                    {"protocol": "icmp"}]},
                       {"id": "db6", "name": "DB", "address": "fd00:10::/64", "gateways": ["gw-2"], "filters": []}],
         "policies":  [{"client": "alice", "resource": "web", "expires_at": 1700000100},
                       {"client": "alice", "resource": "db6"}, {"client": "bob", "resource": "web"}],
         "comment": "extra fields are allowed"}
        """

    static let reloaded = """
        {"admin_token": "admin2",
         "gateways":  [{"id": "gw-2", "token": "g2"}],
         "clients":   [{"id": "alice", "token": "a-new"}],
         "resources": [{"id": "db6", "name": "DB", "address": "fd00:10::/64", "gateways": ["gw-2"],
                        "filters": [{"protocol": "tcp", "port_range_start": 5432, "port_range_end": 5432}]}],
         "policies":  [{"client": "alice", "resource": "db6", "expires_at": 1700000050}]}
        """

    static let empty = #"{"admin_token": "x", "gateways": [], "clients": [], "resources": [], "policies": []}"#

    static let broken: [String] = [
        #"{"admin_token": "", "gateways": [], "clients": [], "resources": [], "policies": []}"#,
        #"{"admin_token": "x", "gateways": [{"id": "g", "token": "t"}, {"id": "g", "token": "u"}], "#
            + #""clients": [], "resources": [], "policies": []}"#,
        #"{"admin_token": "x", "gateways": [], "clients": [{"id": "c", "token": "t"}], "#
            + #""resources": [{"id": "r", "name": "R", "address": "10.0.0.1/24", "gateways": []}], "#
            + #""policies": [{"client": "c", "resource": "nope"}]}"#,
        #"{"admin_token": "x", "gateways": [], "clients": [], "#
            + #""resources": [{"id": "r", "name": "R", "address": "10.0.0.0/8", "gateways": [], "#
            + #""filters": [{"protocol": "tcp", "port_range_start": 90, "port_range_end": 80}]}], "policies": []}"#,
        #"{"admin_token": "x", "gateways": 3}"#,
        "[1, 2, 3",
    ]

    static func make() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(name: String, bytes: [UInt8])] = [
            ("full.json", Array(full.utf8)),
            ("empty.json", Array(empty.utf8)),
            ("reload.json", Array(full.utf8) + [0] + Array(reloaded.utf8)),
            ("reload-to-empty.json", Array(reloaded.utf8) + [0] + Array(empty.utf8)),
        ]
        for (index, text) in broken.enumerated() { seeds.append(("broken-\(index).json", Array(text.utf8))) }
        return seeds
    }
}

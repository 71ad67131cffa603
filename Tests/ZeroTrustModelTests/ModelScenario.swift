import ControlProtocol
import DataPlane
import Portal

/// A deterministic generator (SplitMix64): one seed replays a whole case.
struct ModelRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// The fixed parts of one case: nodes, Resources, the first policy and the Client's feature flag.
struct ModelScenario {
    static let wallOffset: Int64 = 1_700_000_000
    /// The monotonic clock starts at 1 s, so the wall clock starts here.
    static let startWall: Int64 = wallOffset + 1

    var gatewayIDs: [String]
    var clientIDs: [String]
    var reauthorizeOnProhibited: Bool
    var policy: PolicyFile
    /// Addresses traffic is sent to: inside one or two (nested) Resources, or inside none.
    var destinations: [IPAddress]

    static let networks: [(id: String, network: String)] = [
        ("r1-wide", "10.1.0.0/16"), ("r2-narrow", "10.1.2.0/24"), ("r3-v6", "fd00:10::/64"),
        ("r4-other", "10.9.0.0/24"),
    ]
    static let filterChoices: [[WireFilter]] = [
        [], [.tcp(80...80)], [.udp(53...53)], [.icmp], [.tcp(80...80), .icmp], [.tcp(22...80), .udp(53...53)],
        [.tcp(443...443), .udp(100...200)],
    ]
    static let transports: [ModelTransport] = [.tcp(80), .tcp(22), .tcp(443), .udp(53), .udp(123), .icmpEcho]

    init(random: inout ModelRandom) {
        gatewayIDs = random.chance(0.6) ? ["gw-1", "gw-2"] : ["gw-1"]
        clientIDs = random.chance(0.5) ? ["alice", "bob"] : ["alice"]
        reauthorizeOnProhibited = random.chance(0.5)
        let count = random.chance(0.5) ? 4 : 3
        var resources: [PolicyFile.Resource] = []
        for (id, text) in Self.networks.prefix(count) {
            let wire = WireResource(id: id, name: id.uppercased(), address: Self.network(text),
                                    filters: random.pick(Self.filterChoices))
            resources.append(PolicyFile.Resource(resource: wire, gatewayIDs: Self.gatewayList(gatewayIDs, &random)))
        }
        var policies: [PolicyFile.Policy] = []
        for client in clientIDs {
            for resource in resources where random.chance(0.75) {
                let expiry = random.chance(0.35)
                    ? UnixSeconds(Self.startWall + Int64.random(in: 3...40, using: &random)) : nil
                policies.append(PolicyFile.Policy(clientID: client, resourceID: resource.id, expiresAt: expiry))
            }
        }
        policy = PolicyFile(
            adminToken: "admin", gateways: gatewayIDs.map { PolicyFile.Node(id: $0, token: "\($0)-token") },
            clients: clientIDs.map { PolicyFile.Node(id: $0, token: "\($0)-token") }, resources: resources,
            policies: policies)
        destinations = [
            .v4(IPv4Address(10, 1, 2, 5)), .v4(IPv4Address(10, 1, 7, 7)),
            .v6(IPv6Address(groups: [0xfd00, 0x10, 0, 0, 0, 0, 0, 5])), .v4(IPv4Address(10, 50, 0, 1)),
        ] + (count == 4 ? [.v4(IPv4Address(10, 9, 0, 9))] : [])
    }

    /// A non-empty ordered subset of the Gateways.
    static func gatewayList(_ gateways: [String], _ random: inout ModelRandom) -> [String] {
        let shuffled = gateways.shuffled(using: &random)
        return Array(shuffled.prefix(Int.random(in: 1...shuffled.count, using: &random)))
    }

    static func network(_ text: String) -> IPNetwork {
        let pieces = text.split(separator: "/")
        let length = Int(pieces[1])!
        if pieces[0].contains(":") {
            // Only "fd00:10::" is used.
            return IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0x10, 0, 0, 0, 0, 0, 0])), prefixLength: length)!
        }
        let octets = pieces[0].split(separator: ".").map { UInt8($0)! }
        return IPNetwork(.v4(IPv4Address(octets[0], octets[1], octets[2], octets[3])), prefixLength: length)!
    }
}

/// What one step made visible: packets at Gateways' TUN devices, "prohibited" errors at Clients' TUN devices,
/// and the Clients' messages to the portal. Each list is sorted, since only the set per step is specified.
struct ModelObservations: Equatable, CustomStringConvertible {
    var delivered: [String] = []
    var errors: [String] = []
    var requests: [String] = []

    var normalized: ModelObservations {
        ModelObservations(delivered: delivered.sorted(), errors: errors.sorted(), requests: requests.sorted())
    }

    var description: String {
        "delivered: \(delivered)\n    errors: \(errors)\n    requests: \(requests)"
    }
}

/// The per-Client error budget SPEC asks for: a burst of 10, then one per 100 ms.
struct ModelErrorBudget {
    var tokens: UInt64 = 10
    var lastRefill: UInt64 = 0

    mutating func take(now: UInt64) -> Bool {
        if now > lastRefill, now - lastRefill >= 100_000_000 {
            let earned = (now - lastRefill) / 100_000_000
            tokens = min(10, tokens + earned)
            lastRefill += earned * 100_000_000
        }
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }
}

import ControlProtocol
import Foundation
import Portal
import Testing

@Suite struct PolicyFileTests {
    static let issueExample = """
        {"admin_token": "admin",
         "gateways":  [{"id": "gw-1", "token": "g"}],
         "clients":   [{"id": "alice", "token": "a"}],
         "resources": [{"id": "web", "name": "Web", "address": "10.201.1.0/24", "gateways": ["gw-1"],
                        "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 443},
                                    {"protocol": "udp", "port_range_start": 53, "port_range_end": 53},
                                    {"protocol": "icmp"}]}],
         "policies":  [{"client": "alice", "resource": "web", "expires_at": 1767225600}],
         "comment": "extra fields are allowed"}
        """

    @Test func theIssuesExampleParsesToItsEntries() throws {
        let policy = try PolicyFile.parse(bytes: Array(Self.issueExample.utf8), fileName: "policy.json")
        #expect(policy.adminToken == "admin")
        #expect(policy.gateways == [PolicyFile.Node(id: "gw-1", token: "g")])
        #expect(policy.clients == [PolicyFile.Node(id: "alice", token: "a")])
        let web = WireResource(
            id: "web", name: "Web", address: Fixtures.network("10.201.1.0/24"),
            filters: [.tcp(80...443), .udp(53...53), .icmp]
        )
        #expect(policy.resources == [PolicyFile.Resource(resource: web, gatewayIDs: ["gw-1"])])
        #expect(policy.policies == [
            PolicyFile.Policy(clientID: "alice", resourceID: "web", expiresAt: UnixSeconds(1_767_225_600)),
        ])
    }

    @Test func loadReadsAFileAndNamesItInErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.json")
        try Data(Self.issueExample.utf8).write(to: good)
        #expect(try PolicyFile.load(path: good.path).gateways.count == 1)
        let bad = directory.appendingPathComponent("bad.json")
        try Data("{".utf8).write(to: bad)
        #expect {
            _ = try PolicyFile.load(path: bad.path)
        } throws: { error in
            "\(error)".hasPrefix("bad.json: not valid JSON")
        }
        #expect {
            _ = try PolicyFile.load(path: directory.appendingPathComponent("missing.json").path)
        } throws: { error in
            "\(error)".contains("missing.json: cannot read the policy file")
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var json: String
        var message: String
        var testDescription: String { message }
    }

    static func file(
        admin: String = #""admin_token": "admin""#,
        gateways: String = #"[{"id": "gw-1", "token": "g1"}]"#,
        clients: String = #"[{"id": "alice", "token": "a"}]"#,
        resources: String = #"[{"id": "web", "name": "Web", "address": "10.0.0.0/24", "gateways": ["gw-1"]}]"#,
        policies: String = #"[{"client": "alice", "resource": "web"}]"#
    ) -> String {
        [admin, #""gateways": \#(gateways)"#, #""clients": \#(clients)"#, #""resources": \#(resources)"#,
         #""policies": \#(policies)"#].filter { !$0.isEmpty }.joined(separator: ", ").wrappedInBraces
    }

    static func resource(_ fields: String) -> String {
        #"[{"id": "web", "name": "Web", "address": "10.0.0.0/24", "gateways": ["gw-1"]}, {"id": "db", "name": "DB", "#
            + fields + "}]"
    }

    static let cases: [Case] = [
        Case(json: "{", message: "policy.json: not valid JSON"),
        Case(json: "[]", message: "policy.json: field \"(top level)\" must be an object, found an array"),
        Case(json: file(admin: ""), message: "policy.json: missing field \"admin_token\""),
        Case(json: file(admin: #""admin_token": """#), message: "policy.json: admin_token is empty"),
        Case(json: file(policies: "").replacingOccurrences(of: #", "policies": "#, with: ""),
             message: "policy.json: missing field \"policies\""),
        Case(json: file(gateways: #"[{"id": "gw-1", "token": ""}]"#),
             message: #"policy.json: gateways[0] (id "gw-1"): token is empty"#),
        Case(json: file(gateways: #"[{"id": "gw-1"}]"#),
             message: #"policy.json: gateways[0] (id "gw-1"): missing field "token""#),
        Case(json: file(gateways: #"["gw-1"]"#),
             message: #"policy.json: gateways[0]: field "gateways[0]" must be an object, found a string"#),
        Case(json: file(clients: #"[{"id": "alice", "token": "a"}, {"id": "alice", "token": "b"}]"#),
             message: #"policy.json: clients[1] (id "alice"): id "alice" is already used by clients[0]"#),
        Case(json: file(clients: #"[{"id": "alice", "token": "a"}, {"id": "bob", "token": "a"}]"#),
             message: #"policy.json: clients[1] (id "bob"): token is already used by clients[0] (id "alice")"#),
        Case(json: file(resources: resource(#""address": "10.0.0.0/33", "gateways": ["gw-1"]"#)),
             message: #"policy.json: resources[1] (id "db"): address "10.0.0.0/33": prefix length /33 is too long"#),
        Case(json: file(resources: resource(#""address": "db.internal", "gateways": ["gw-1"]"#)),
             message: #"policy.json: resources[1] (id "db"): address "db.internal": 'db.internal' is not an IP"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-9"]"#)),
             message: #"policy.json: resources[1] (id "db"): unknown gateway "gw-9"; define it in gateways first"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": []"#)),
             message: #"policy.json: resources[1] (id "db"): gateways is empty"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16""#)),
             message: #"policy.json: resources[1] (id "db"): missing field "gateways""#),
        Case(json: file(resources: #"[{"id": "web", "name": "Web", "address": "10.0.0.0/24", "gateways": ["gw-1"]}, "#
                + #"{"id": "web", "name": "Web2", "address": "10.1.0.0/24", "gateways": ["gw-1"]}]"#),
             message: #"policy.json: resources[1] (id "web"): id "web" is already used by resources[0]"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "sctp"}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: unknown protocol "sctp"; use "tcp", "udp""#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "tcp", "port_range_start": 443, "port_range_end": 80}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: port range 443-80 starts after it ends"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "udp", "port_range_start": 1, "port_range_end": 65536}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: port_range_end is 65536; "#
                + "a port is 0 to 65535"),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "udp", "port_range_start": -1, "port_range_end": 5}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: port_range_start is -1; "#
                + "a port is 0 to 65535"),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "tcp", "port_range_start": 22}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: port_range_end is missing"#),
        Case(json: file(resources: resource(#""address": "10.1.0.0/16", "gateways": ["gw-1"], "#
                + #""filters": [{"protocol": "icmp", "port_range_start": 1, "port_range_end": 2}]"#)),
             message: #"policy.json: resources[1] (id "db"): filters[0]: an icmp filter has no ports"#),
        Case(json: file(policies: #"[{"client": "mallory", "resource": "web"}]"#),
             message: #"policy.json: policies[0] (client "mallory", resource "web"): unknown client "mallory""#),
        Case(json: file(policies: #"[{"client": "alice", "resource": "nas"}]"#),
             message: #"policy.json: policies[0] (client "alice", resource "nas"): unknown resource "nas""#),
        Case(json: file(policies: #"[{"client": "alice", "resource": "web"}, {"client": "alice", "resource": "web"}]"#),
             message: #"policy.json: policies[1] (client "alice", resource "web"): the same client and resource as "#
                + "policies[0]"),
        Case(json: file(policies: #"[{"client": "alice", "resource": "web", "expires_at": "tomorrow"}]"#),
             message: #"policy.json: policies[0] (client "alice", resource "web"): field "expires_at" must be an "#
                + "integer, found a string"),
    ]

    @Test(arguments: cases)
    func invalidFilesAreRefusedNamingTheEntry(_ testCase: Case) {
        #expect {
            _ = try PolicyFile.parse(bytes: Array(testCase.json.utf8), fileName: "policy.json")
        } throws: { error in
            "\(error)".hasPrefix(testCase.message)
        }
    }

    @Test func theDefaultsOfTheMatrixAreValid() throws {
        let policy = try PolicyFile.parse(bytes: Array(Self.file().utf8), fileName: "policy.json")
        #expect(policy.resources.map(\.id) == ["web"])
        #expect(policy.resources[0].resource.filters.isEmpty)
    }

    @Test func hostBitsOfAResourceAddressAreCleared() throws {
        let json = Self.file(
            resources: #"[{"id": "web", "name": "Web", "address": "10.0.0.7/24", "gateways": ["gw-1"]}]"#
        )
        let policy = try PolicyFile.parse(bytes: Array(json.utf8), fileName: "policy.json")
        #expect(policy.resources[0].resource.address == Fixtures.network("10.0.0.0/24"))
    }
}

extension String {
    fileprivate var wrappedInBraces: String { "{" + self + "}" }
}

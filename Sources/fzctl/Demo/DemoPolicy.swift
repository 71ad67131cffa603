import Foundation

/// The demo's built-in policy file: one Gateway, one Client (alice) allowed to reach both demo Resources,
/// with fresh random tokens each run so a leftover file grants nothing to a later demo.
struct DemoPolicy {
    static let gatewayID = "gw-1"
    static let clientID = "alice"

    let adminToken = DemoPolicy.randomToken()
    let gatewayToken = DemoPolicy.randomToken()
    let clientToken = DemoPolicy.randomToken()

    /// The policy as the portal reads it (issue 6's format).
    func json() throws -> Data {
        let resources: [[String: Any]] = DemoResource.all.map { resource in
            ["id": resource.id, "name": resource.name, "address": resource.network,
             "gateways": [Self.gatewayID], "filters": resource.filters.map(\.policyJSON)]
        }
        let policy: [String: Any] = [
            "admin_token": adminToken,
            "gateways": [["id": Self.gatewayID, "token": gatewayToken]],
            "clients": [["id": Self.clientID, "token": clientToken]],
            "resources": resources,
            "policies": DemoResource.all.map { ["client": Self.clientID, "resource": $0.id] },
        ]
        return try JSONSerialization.data(withJSONObject: policy, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes the policy to `path`, readable by its owner only: it holds the tokens.
    func write(to path: String) throws {
        let data = try json()
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw DemoError.setup("cannot write the policy file \(path)")
        }
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }
}

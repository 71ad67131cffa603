/// Names and addresses of the demo's three namespaces, fixed except for the process id that keeps two demos
/// on one machine apart.
///
///     client ns  [to-gateway 10.200.0.2] --- [to-client 10.200.0.1] gateway ns [to-resources 10.201.x.1]
///                                                                       |
///                                              resources ns [to-gateway 10.201.1.10, 10.201.2.10]
struct DemoTopology {
    let client: String
    let gateway: String
    let resources: String

    init(processID: Int32) {
        client = "fzdemo-client-\(processID)"
        gateway = "fzdemo-gateway-\(processID)"
        resources = "fzdemo-resources-\(processID)"
    }

    /// The Gateway's underlay address: the portal and the Gateway's WireGuard socket listen here.
    static let gatewayAddress = "10.200.0.1"
    static let clientAddress = "10.200.0.2"
    static let underlayPrefix = 24
    static let portalPort = 8080
    static let wireGuardPort = 51820
    static let gatewayTunnel = "fzdemo-gw"
    static let clientTunnel = "fzdemo-client"

    static var portalWebSocket: String { "ws://\(gatewayAddress):\(portalPort)" }
    static var portalHTTP: String { "http://\(gatewayAddress):\(portalPort)" }
}

/// A Resource of the built-in policy, with the host inside it that answers.
struct DemoResource: Sendable {
    let id: String
    let name: String
    let network: String
    let host: String
    /// The Gateway's address on the Resource's subnet.
    let gatewaySide: String
    /// Empty allows everything.
    let filters: [DemoFilter]
    let summary: String

    static let web = DemoResource(
        id: "web", name: "Web server", network: "10.201.1.0/24", host: "10.201.1.10", gatewaySide: "10.201.1.1",
        filters: [], summary: "everything allowed")
    static let database = DemoResource(
        id: "db", name: "Database", network: "10.201.2.0/24", host: "10.201.2.10", gatewaySide: "10.201.2.1",
        filters: [DemoFilter(protocolName: "tcp", ports: 5432...5432), DemoFilter(protocolName: "icmp", ports: nil)],
        summary: "only TCP 5432 and ping allowed")

    static let all = [web, database]
}

/// One filter of a demo Resource, as the policy file spells it.
struct DemoFilter: Sendable {
    let protocolName: String
    let ports: ClosedRange<Int>?

    var policyJSON: [String: Any] {
        var object: [String: Any] = ["protocol": protocolName]
        if let ports {
            object["port_range_start"] = ports.lowerBound
            object["port_range_end"] = ports.upperBound
        }
        return object
    }
}

import PortalClient
import Testing

@Suite("Portal addresses")
struct PortalEndpointTests {
    @Test func parsesHostPortAndPathDroppingTheQuery() throws {
        let endpoint = try PortalEndpoint(parsing: "ws://portal.example:8080/gateway?x=1", scheme: .ws)
        #expect(endpoint == PortalEndpoint(scheme: .ws, host: "portal.example", port: 8080, path: "/gateway"))
        #expect(endpoint.description == "ws://portal.example:8080/gateway")
    }

    @Test func parsesBracketedIPv6AndDefaultsPortAndPath() throws {
        let endpoint = try PortalEndpoint(parsing: "http://[::1]", scheme: .http)
        #expect(endpoint.host == "::1")
        #expect(endpoint.port == 80)
        #expect(endpoint.path == "/")
        #expect(endpoint.address == "[::1]:80")
    }

    @Test func refusesTLSSchemesSayingWhy() {
        #expect(throws: PortalClientError.tlsNotSupported("wss://h:1/gateway")) {
            try PortalEndpoint(parsing: "wss://h:1/gateway", scheme: .ws)
        }
        #expect(throws: PortalClientError.tlsNotSupported("https://h:1")) {
            try PortalEndpoint(parsing: "https://h:1", scheme: .http)
        }
    }

    @Test func refusesOtherSchemesAndMalformedAddresses() {
        #expect(throws: PortalClientError.unsupportedScheme("http://h:1", expected: "ws")) {
            try PortalEndpoint(parsing: "http://h:1", scheme: .ws)
        }
        for bad in ["h:1", "ws://", "ws://:80", "ws://h:0", "ws://h:70000", "ws://h:x", "ws://::1:80",
                    "ws://[::1", "ws://u@h:1"] {
            #expect(throws: PortalClientError.self, "\(bad)") { try PortalEndpoint(parsing: bad, scheme: .ws) }
        }
    }

    @Test func clientInitRefusesAWssURL() {
        #expect(throws: PortalClientError.tlsNotSupported("wss://h/client")) {
            try PortalClient(url: "wss://h/client", token: "t", events: PortalClientEvents())
        }
    }
}

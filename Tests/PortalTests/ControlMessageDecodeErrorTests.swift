import ControlProtocol
import Testing

@Suite struct ControlMessageDecodeErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var message: String
        var testDescription: String { message }
    }

    static let key = Fixtures.key(1).base64

    static let cases: [Case] = [
        Case(text: "not json", message: "control message is not valid JSON: "),
        Case(text: "[1]", message: "control message has no \"event\" string"),
        Case(text: #"{"payload":{}}"#, message: "control message has no \"event\" string"),
        Case(text: #"{"event":"hello","payload":{}}"#, message: "unknown event \"hello\""),
        Case(text: #"{"event":"hello"}"#, message: "unknown event \"hello\""),
        Case(text: #"{"event":"goodbye"}"#, message: "missing field payload in event goodbye"),
        Case(text: #"{"event":"goodbye","payload":[]}"#,
             message: "field payload in event goodbye must be an object, found an array"),
        Case(text: #"{"event":"goodbye","payload":{}}"#, message: "missing field client_id in event goodbye"),
        Case(text: #"{"event":"goodbye","payload":{"client_id":5}}"#,
             message: "field client_id in event goodbye must be a string, found a number"),
        Case(text: #"{"event":"join","payload":{"public_key":"abc"}}"#,
             message: "field public_key in event join: a key is 44 base64 characters"),
        Case(text: #"{"event":"join","payload":{"public_key":"\#(key)","endpoint":"gw.example.com:51820"}}"#,
             message: "field endpoint in event join: \"gw.example.com:51820\" is a hostname"),
        Case(text: #"{"event":"join","payload":{"public_key":"\#(key)","endpoint":"1.2.3.4"}}"#,
             message: "field endpoint in event join: '1.2.3.4' has no port"),
        Case(text: #"{"event":"init","payload":{"client_id":"a","tunnel_ipv4":"100.64.0.300","tunnel_ipv6":"::1"}}"#,
             message: "field tunnel_ipv4 in event init: \"100.64.0.300\" is not an IPv4 address"),
        Case(text: #"{"event":"init","payload":{"client_id":"a","tunnel_ipv4":"100.64.0.3","tunnel_ipv6":"1.2.3.4"}}"#,
             message: "field tunnel_ipv6 in event init: \"1.2.3.4\" is not an IPv6 address"),
        Case(text: #"{"event":"init","payload":{}}"#, message: "event init has neither gateway_id nor client_id"),
        Case(text: #"{"event":"resource_deleted","payload":{"resource_id":null}}"#,
             message: "missing field resource_id in event resource_deleted"),
        Case(text: #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","#
                + #""address":"10.0.0.0/33"}}}"#,
             message: "field resource.address in event resource_updated: \"10.0.0.0/33\": "
                + "prefix length /33 is too long"),
        Case(text: #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","address":"10.0.0.0/8","#
                + #""filters":[{"protocol":"sctp"}]}}}"#,
             message: "field resource.filters[0] in event resource_updated: unknown protocol \"sctp\""),
        Case(text: #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","address":"10.0.0.0/8","#
                + #""filters":[{"protocol":"tcp","port_range_start":90,"port_range_end":80}]}}}"#,
             message: "field resource.filters[0] in event resource_updated: port range 90-80 starts after it ends"),
        Case(text: #"{"event":"resource_updated","payload":{"resource":{"id":"r","name":"R","address":"10.0.0.0/8","#
                + #""filters":[{"port_range_start":1}]}}}"#,
             message: "missing field resource.filters[0].protocol in event resource_updated"),
        Case(text: #"{"event":"flow_creation_failed","payload":{"resource_id":"r","reason":"busy"}}"#,
             message: "field reason in event flow_creation_failed: unknown reason \"busy\""),
        Case(text: #"{"event":"access_authorization_expiry_updated","payload":{"client_id":"a","resource_id":"r","#
                + #""expires_at":1.5}}"#,
             message: "field expires_at in event access_authorization_expiry_updated must be an integer, "
                + "found a number"),
        Case(text: #"{"event":"create_flow","payload":{"resource_id":"r","connected_gateway_ids":["a",2]}}"#,
             message: "field connected_gateway_ids[1] in event create_flow must be a string, found a number"),
    ]

    @Test(arguments: cases)
    func errorsNameTheEventAndField(_ testCase: Case) {
        #expect {
            _ = try ControlMessage.decode(testCase.text)
        } throws: { error in
            "\(error)".hasPrefix(testCase.message)
        }
    }

    @Test func textsOverOneMebibyteAreRefusedBeforeParsing() {
        let padding = String(repeating: "x", count: ControlMessage.maximumSize)
        let text = #"{"event":"goodbye","payload":{"client_id":"\#(padding)"}}"#
        #expect(throws: ControlMessageError.tooLarge(bytes: text.utf8.count, limit: 1 << 20)) {
            _ = try ControlMessage.decode(text)
        }
    }

    @Test func aMessageJustUnderTheLimitIsAccepted() throws {
        let envelope = #"{"event":"goodbye","payload":{"client_id":""}}"#
        let padding = String(repeating: "x", count: ControlMessage.maximumSize - envelope.utf8.count)
        let text = #"{"event":"goodbye","payload":{"client_id":"\#(padding)"}}"#
        #expect(text.utf8.count == ControlMessage.maximumSize)
        #expect(try ControlMessage.decode(text) == .goodbye(GoodbyePayload(clientID: padding)))
    }
}

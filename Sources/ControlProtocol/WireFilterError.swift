/// Why a filter object was refused.
public enum WireFilterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field is missing or of the wrong type.
    case field(JSONFieldError)
    /// `protocol` is not tcp, udp or icmp.
    case unknownProtocol(String)
    /// A port outside 0...65535; `field` is `port_range_start` or `port_range_end`.
    case portOutOfRange(field: String, value: Int64)
    /// `port_range_start` is greater than `port_range_end`.
    case reversedRange(start: Int64, end: Int64)
    /// Only one end of the range was given; the payload names the missing one.
    case halfRange(missing: String)
    /// An icmp filter with ports, which ICMP does not have.
    case portsOnICMP

    public var description: String {
        switch self {
        case .field(let error):
            return error.description
        case .unknownProtocol(let name):
            return "unknown protocol \"\(name)\"; use \"tcp\", \"udp\" or \"icmp\""
        case .portOutOfRange(let field, let value):
            return "\(field) is \(value); a port is 0 to 65535"
        case .reversedRange(let start, let end):
            return "port range \(start)-\(end) starts after it ends; write the lower port in port_range_start"
        case .halfRange(let missing):
            return "\(missing) is missing; give both ends of the port range, or neither for every port"
        case .portsOnICMP:
            return "an icmp filter has no ports; remove port_range_start and port_range_end"
        }
    }
}

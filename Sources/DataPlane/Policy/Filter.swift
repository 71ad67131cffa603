/// One entry of a Resource's filter list: a TCP or UDP destination-port range, or ICMP.
///
/// Mirrors the portal's `{"protocol", "port_range_start", "port_range_end"}` objects; a list of these
/// becomes a `FilterSet`, which is what packets are checked against.
public enum Filter: Hashable, Sendable, CustomStringConvertible {
    /// TCP to a destination port in the range.
    case tcp(ClosedRange<UInt16>)
    /// UDP to a destination port in the range.
    case udp(ClosedRange<UInt16>)
    /// ICMP (IPv4) and ICMPv6 of any type.
    case icmp

    public var description: String {
        switch self {
        case .tcp(let range): return "tcp/\(Self.describe(range))"
        case .udp(let range): return "udp/\(Self.describe(range))"
        case .icmp: return "icmp"
        }
    }

    static func describe(_ range: ClosedRange<UInt16>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}

/// One entry of a Resource's filter list, as the wire and the policy file write it.
///
/// Mirrors the data plane's `Filter` without depending on it, so the protocol can be parsed by anyone;
/// a tcp/udp filter written without ports means every port and is stored as `0...65535`.
public enum WireFilter: Hashable, Sendable {
    case tcp(ClosedRange<UInt16>)
    case udp(ClosedRange<UInt16>)
    case icmp

    /// Every port, what a tcp/udp filter without `port_range_start`/`port_range_end` allows.
    public static let allPorts: ClosedRange<UInt16> = 0...UInt16.max

    /// Reads `{"protocol", "port_range_start", "port_range_end"}`; both ports or neither.
    public init(reading object: JSONObjectReader) throws(WireFilterError) {
        let name: String
        let start: Int64?
        let end: Int64?
        do {
            name = try object.string("protocol")
            start = try object.optionalInteger("port_range_start")
            end = try object.optionalInteger("port_range_end")
        } catch {
            throw .field(error)
        }
        let ports: ClosedRange<UInt16>?
        switch (start, end) {
        case (nil, nil):
            ports = nil
        case (.some, nil):
            throw .halfRange(missing: "port_range_end")
        case (nil, .some):
            throw .halfRange(missing: "port_range_start")
        case (.some(let start), .some(let end)):
            for (key, port) in [("port_range_start", start), ("port_range_end", end)]
            where port < 0 || port > Int64(UInt16.max) {
                throw .portOutOfRange(field: key, value: port)
            }
            guard start <= end else { throw .reversedRange(start: start, end: end) }
            ports = UInt16(start)...UInt16(end)
        }
        switch name {
        case "tcp": self = .tcp(ports ?? Self.allPorts)
        case "udp": self = .udp(ports ?? Self.allPorts)
        case "icmp":
            guard ports == nil else { throw .portsOnICMP }
            self = .icmp
        default: throw .unknownProtocol(name)
        }
    }

    /// The wire object; ports are always written for tcp/udp so the reader never has to guess.
    public var json: JSONValue {
        switch self {
        case .tcp(let ports): return Self.json(protocol: "tcp", ports: ports)
        case .udp(let ports): return Self.json(protocol: "udp", ports: ports)
        case .icmp: return .object(["protocol": .string("icmp")])
        }
    }

    private static func json(protocol name: String, ports: ClosedRange<UInt16>) -> JSONValue {
        .object([
            "protocol": .string(name),
            "port_range_start": .integer(Int64(ports.lowerBound)),
            "port_range_end": .integer(Int64(ports.upperBound)),
        ])
    }
}

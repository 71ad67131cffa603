/// A request on a UAPI socket: `get=1` or `set=1` with its lines, each ended by a blank line.
///
/// `wg(8)`, wireguard-go and boringtun speak this on `/var/run/wireguard/<iface>.sock`; implementing it
/// lets Debian's `wg show` and `wg set` drive our device unchanged.
public enum UAPIRequest: Hashable, Sendable {
    /// `get=1`: report the device as `UAPIDeviceSnapshot.getResponse` does.
    case get
    /// `set=1`: apply the operations.
    case set(UAPISetRequest)

    /// Parses one complete request: its lines up to and including the terminating blank line.
    ///
    /// Use `UAPIRequestReader` to cut requests out of a byte stream; this takes exactly one.
    public static func parse(_ bytes: some Collection<UInt8>) throws(UAPIError) -> UAPIRequest {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0, as: UTF8.self)) }
        // A complete request is: operation line, body lines, an empty line, then the empty remainder.
        guard let blank = lines.firstIndex(where: \.isEmpty), blank > 0, blank + 1 < lines.count else {
            if let first = lines.first, first.isEmpty { throw .unknownOperation("") }
            throw .incomplete
        }
        let trailing = lines[(blank + 1)...]
        if let extra = trailing.firstIndex(where: { !$0.isEmpty }) {
            throw .malformedLine(line: extra + 1, text: String(lines[extra]))
        }
        guard trailing.count == 1 else { throw .malformedLine(line: blank + 2, text: "") }
        let body = Array(lines[1..<blank])
        switch lines[0] {
        case "get=1":
            if let first = body.first { throw .unexpectedGetContent(line: 2, text: String(first)) }
            return .get
        case "set=1":
            return .set(try UAPISetRequest.parse(lines: body, firstLineNumber: 2))
        default:
            throw .unknownOperation(String(lines[0]))
        }
    }

    /// The request on the wire, ending with the blank line.
    public var serialized: String {
        switch self {
        case .get: return "get=1\n\n"
        case .set(let request): return request.serialized
        }
    }
}

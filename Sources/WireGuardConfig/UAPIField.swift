import DataPlane

/// One `key=value` line of a UAPI message, with typed accessors that throw `UAPIError.invalidValue`.
struct UAPIField {
    var line: Int
    var key: String
    var value: Substring

    func invalid(_ reason: String) -> UAPIError {
        .invalidValue(line: line, key: key, value: String(value), reason: reason)
    }

    /// A 64-digit hex key.
    func hexKey() throws(UAPIError) -> Key32 {
        switch HexKey.decode(value) {
        case .success(let key): return key
        case .failure(let error): throw invalid(error.reason)
        }
    }

    /// A plain decimal number up to `maximum`.
    func number(maximum: UInt64) throws(UAPIError) -> Int {
        guard let number = IPAddressText.parseDecimal(value, maximum: maximum) else {
            throw invalid("expected a decimal number from 0 to \(maximum)")
        }
        return number
    }

    /// The literal `true`, the only value the protocol defines for flags.
    func requireTrue() throws(UAPIError) {
        guard value == "true" else { throw invalid("the only valid value is true") }
    }

    /// `a.b.c.d:port` or `[v6]:port`; names are refused because the client resolves them.
    func endpoint() throws(UAPIError) -> Endpoint {
        let parsed: ConfigEndpoint
        do {
            parsed = try ConfigEndpoint(parsing: value)
        } catch {
            throw invalid(error.description)
        }
        guard let endpoint = parsed.resolved else {
            throw invalid(EndpointParseError.unresolvedHost(String(value)).description)
        }
        return endpoint
    }

    /// `address/length`; the length is required, host bits are cleared.
    func network() throws(UAPIError) -> IPNetwork {
        guard value.contains("/") else { throw invalid("expected address/length, e.g. 10.0.0.0/24") }
        do {
            return try IPAddressText.parseNetwork(value)
        } catch {
            throw invalid(error.description)
        }
    }
}

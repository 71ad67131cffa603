import DataPlane
import WireGuardConfig

/// Reads one event's payload, turning every problem into a `ControlMessageError` that names the event.
struct PayloadReader {
    let event: String
    let object: JSONObjectReader

    init(event: String, object: JSONObjectReader) {
        self.event = event
        self.object = object
    }

    func nested(_ key: String) throws(ControlMessageError) -> PayloadReader {
        PayloadReader(event: event, object: try wrap { () throws(JSONFieldError) in try object.object(key) })
    }

    func wrap<T>(_ body: () throws(JSONFieldError) -> T) throws(ControlMessageError) -> T {
        do {
            return try body()
        } catch {
            throw ControlMessageError(error, event: event)
        }
    }

    func invalid(_ key: String, _ problem: String) -> ControlMessageError {
        .invalidValue(field: object.path(of: key), event: event, problem: problem)
    }

    func string(_ key: String) throws(ControlMessageError) -> String {
        try wrap { () throws(JSONFieldError) in try object.string(key) }
    }

    func strings(_ key: String) throws(ControlMessageError) -> [String] {
        try wrap { () throws(JSONFieldError) in try object.optionalStrings(key) ?? [] }
    }

    func time(_ key: String) throws(ControlMessageError) -> UnixSeconds? {
        try wrap { () throws(JSONFieldError) in try object.optionalInteger(key) }.map { UnixSeconds($0) }
    }

    func ipv4(_ key: String) throws(ControlMessageError) -> IPv4Address {
        let text = try string(key)
        guard case .v4(let address)? = IPAddressText.parseAddress(text) else {
            throw invalid(key, "\"\(text)\" is not an IPv4 address such as 100.64.0.1")
        }
        return address
    }

    func ipv6(_ key: String) throws(ControlMessageError) -> IPv6Address {
        let text = try string(key)
        guard case .v6(let address)? = IPAddressText.parseAddress(text) else {
            throw invalid(key, "\"\(text)\" is not an IPv6 address such as fd00:2021:1111::1")
        }
        return address
    }

    func network(_ key: String) throws(ControlMessageError) -> IPNetwork {
        let text = try string(key)
        do {
            return try IPAddressText.parseNetwork(text)
        } catch {
            throw invalid(key, "\"\(text)\": \(error)")
        }
    }

    func key(_ key: String) throws(ControlMessageError) -> Key32 {
        let text = try string(key)
        do {
            return try Key32(base64: text)
        } catch {
            throw invalid(key, error.description)
        }
    }

    func endpoint(_ key: String) throws(ControlMessageError) -> Endpoint {
        let text = try string(key)
        let parsed: ConfigEndpoint
        do {
            parsed = try ConfigEndpoint(parsing: text)
        } catch {
            throw invalid(key, error.description)
        }
        guard let endpoint = parsed.resolved else {
            throw invalid(key, "\"\(text)\" is a hostname; the endpoint must be an IP address and port")
        }
        return endpoint
    }

    func resource(_ key: String) throws(ControlMessageError) -> WireResource {
        try nested(key).resource()
    }

    /// Reads this object as a Resource.
    func resource() throws(ControlMessageError) -> WireResource {
        let id = try string("id")
        let name = try string("name")
        let address = try network("address")
        let filterObjects = try wrap { () throws(JSONFieldError) in try object.objects("filters", required: false) }
        var filters: [WireFilter] = []
        for (index, filterObject) in filterObjects.enumerated() {
            do {
                filters.append(try WireFilter(reading: filterObject))
            } catch {
                if case .field(let fieldError) = error { throw ControlMessageError(fieldError, event: event) }
                throw invalid("filters[\(index)]", error.description)
            }
        }
        return WireResource(id: id, name: name, address: address, filters: filters)
    }

    func resources(_ key: String) throws(ControlMessageError) -> [WireResource] {
        let readers = try wrap { () throws(JSONFieldError) in try object.objects(key, required: false) }
        var resources: [WireResource] = []
        for reader in readers { resources.append(try PayloadReader(event: event, object: reader).resource()) }
        return resources
    }
}

extension IPv4Address {
    var json: JSONValue { .string(description) }
}

extension IPv6Address {
    var json: JSONValue { .string(IPAddressText.format(self)) }
}

extension Key32 {
    var json: JSONValue { .string(base64) }
}

extension Endpoint {
    var json: JSONValue { .string(IPAddressText.format(self)) }
}

extension Optional where Wrapped == UnixSeconds {
    var json: JSONValue { map { .integer($0.rawValue) } ?? .null }
}

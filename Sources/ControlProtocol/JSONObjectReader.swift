/// Typed access to the fields of one JSON object, with errors that carry the field's full path.
///
/// Shared by the message decoder and the policy file parser so both report problems the same way.
/// Fields the reader is not asked about are ignored, which is what lets either side add fields.
public struct JSONObjectReader: Sendable {
    /// Where this object sits in the document (`""` for the top level, `resource`, `filters[2]`).
    public let path: String
    /// The object's fields.
    public let fields: [String: JSONValue]

    /// Reads `value` as an object found at `path`.
    public init(_ value: JSONValue, path: String) throws(JSONFieldError) {
        guard case .object(let fields) = value else {
            if case .null = value, !path.isEmpty { throw .missing(path: path) }
            throw .wrongType(path: path.isEmpty ? "(top level)" : path, expected: "an object", found: value.typeName)
        }
        self.path = path
        self.fields = fields
    }

    /// A reader over `fields` whose errors name paths under `path`.
    public init(fields: [String: JSONValue], path: String) {
        self.path = path
        self.fields = fields
    }

    /// The path of `key` inside this object.
    public func path(of key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The value of `key`; nil when absent or null, which the wire format treats alike.
    public func value(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    /// A required string.
    public func string(_ key: String) throws(JSONFieldError) -> String {
        guard let value = try optionalString(key) else { throw .missing(path: path(of: key)) }
        return value
    }

    /// A string that may be absent or null.
    public func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw .wrongType(path: path(of: key), expected: "a string", found: value.typeName)
        }
        return text
    }

    /// A required integer.
    public func integer(_ key: String) throws(JSONFieldError) -> Int64 {
        guard let value = try optionalInteger(key) else { throw .missing(path: path(of: key)) }
        return value
    }

    /// An integer that may be absent or null; `3.0` is accepted, `3.5` is not.
    public func optionalInteger(_ key: String) throws(JSONFieldError) -> Int64? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let number):
            return number
        case .number(let number) where number.rounded() == number && abs(number) < 9.0e18:
            return Int64(number)
        default:
            throw .wrongType(path: path(of: key), expected: "an integer", found: value.typeName)
        }
    }

    /// A required array.
    public func array(_ key: String) throws(JSONFieldError) -> [JSONValue] {
        guard let value = try optionalArray(key) else { throw .missing(path: path(of: key)) }
        return value
    }

    /// An array that may be absent or null.
    public func optionalArray(_ key: String) throws(JSONFieldError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else {
            throw .wrongType(path: path(of: key), expected: "an array", found: value.typeName)
        }
        return items
    }

    /// A required array of strings.
    public func strings(_ key: String) throws(JSONFieldError) -> [String] {
        guard let value = try optionalStrings(key) else { throw .missing(path: path(of: key)) }
        return value
    }

    /// An array of strings that may be absent or null.
    public func optionalStrings(_ key: String) throws(JSONFieldError) -> [String]? {
        guard let items = try optionalArray(key) else { return nil }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw .wrongType(path: "\(path(of: key))[\(index)]", expected: "a string", found: item.typeName)
            }
            strings.append(text)
        }
        return strings
    }

    /// A required nested object.
    public func object(_ key: String) throws(JSONFieldError) -> JSONObjectReader {
        guard let value = value(key) else { throw .missing(path: path(of: key)) }
        return try JSONObjectReader(value, path: path(of: key))
    }

    /// The elements of the array `key` as objects; an absent array reads as empty when `required` is false.
    public func objects(_ key: String, required: Bool = true) throws(JSONFieldError) -> [JSONObjectReader] {
        let items: [JSONValue]
        if required {
            items = try array(key)
        } else {
            items = try optionalArray(key) ?? []
        }
        var readers: [JSONObjectReader] = []
        for (index, item) in items.enumerated() {
            readers.append(try JSONObjectReader(item, path: "\(path(of: key))[\(index)]"))
        }
        return readers
    }
}

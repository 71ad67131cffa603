import Logging

/// JSON text building shared by both handlers: string escaping and metadata values.
enum JSONText {
    /// Appends `value` as a JSON string literal, escaping quotes, backslashes and every control character.
    static func appendString(_ value: String, to output: inout String) {
        output.append("\"")
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output.append("\\\"")
                case "\\": output.append("\\\\")
                case "\n": output.append("\\n")
                case "\r": output.append("\\r")
                case "\t": output.append("\\t")
                case "\u{08}": output.append("\\b")
                case "\u{0C}": output.append("\\f")
                case _ where scalar.value < 0x20:
                    output.append("\\u00")
                    output.append(hexDigit(scalar.value >> 4))
                    output.append(hexDigit(scalar.value & 0xF))
                default:
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output.append("\"")
    }

    /// Appends a metadata value: strings as strings, dictionaries as objects (keys sorted so output is stable),
    /// arrays as arrays. Booleans, integers and finite floating-point numbers logged with `"\(value)"` stay
    /// strings, but values stored as `.stringConvertible` of those types become JSON booleans and numbers so that
    /// `jq` can compare them.
    static func appendValue(_ value: Logger.Metadata.Value, to output: inout String) {
        switch value {
        case .string(let string):
            appendString(string, to: &output)
        case .stringConvertible(let convertible):
            if let literal = literal(for: convertible) {
                output.append(literal)
            } else {
                appendString(convertible.description, to: &output)
            }
        case .dictionary(let dictionary):
            output.append("{")
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { output.append(",") }
                appendString(key, to: &output)
                output.append(":")
                appendValue(dictionary[key]!, to: &output)
            }
            output.append("}")
        case .array(let array):
            output.append("[")
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(",") }
                appendValue(element, to: &output)
            }
            output.append("]")
        }
    }

    private static func literal(for value: any CustomStringConvertible & Sendable) -> String? {
        if let bool = value as? Bool { return bool ? "true" : "false" }
        if value is any BinaryInteger { return value.description }
        if let double = value as? Double { return double.isFinite ? double.description : nil }
        if let float = value as? Float { return float.isFinite ? float.description : nil }
        return nil
    }

    private static func hexDigit(_ nibble: UInt32) -> String {
        String(UnicodeScalar(UInt8(nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10)))
    }
}

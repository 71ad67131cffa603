/// A JSON object lacks a field, or holds one of the wrong type.
///
/// Paths are written as the user would find them in the text: `resource.filters[0].protocol`.
public enum JSONFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field is absent (or null where a value is required).
    case missing(path: String)
    /// The field holds the wrong JSON type.
    case wrongType(path: String, expected: String, found: String)

    /// The path of the offending field.
    public var path: String {
        switch self {
        case .missing(let path), .wrongType(let path, _, _): return path
        }
    }

    public var description: String {
        switch self {
        case .missing(let path): return "missing field \"\(path)\""
        case .wrongType(let path, let expected, let found):
            return "field \"\(path)\" must be \(expected), found \(found)"
        }
    }
}

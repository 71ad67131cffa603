import ControlProtocol

/// A policy file that cannot be used, printed as `FILE: ENTRY: problem`.
public struct PolicyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the operator named it (its last path component when it was read).
    public var fileName: String
    /// The entry at fault, e.g. `resources[1] (id "db")`; nil when the problem is the whole file.
    public var entry: String?
    public var problem: PolicyProblem

    public init(fileName: String, entry: String? = nil, problem: PolicyProblem) {
        self.fileName = fileName
        self.entry = entry
        self.problem = problem
    }

    public var description: String {
        if let entry { return "\(fileName): \(entry): \(problem)" }
        return "\(fileName): \(problem)"
    }
}

/// What is wrong with a policy file or one of its entries.
public enum PolicyProblem: Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case tooLarge(limit: Int)
    case notJSON(String)
    /// A field is missing or of the wrong type.
    case field(JSONFieldError)
    /// An id or token that is the empty string.
    case empty(field: String)
    /// The same id twice in one list; the payload describes the first occurrence.
    case duplicateID(String, first: String)
    /// The same token for two nodes of one role, so a connection could not tell them apart.
    case duplicateToken(first: String)
    /// The same client and resource in two policies.
    case duplicatePolicy(first: String)
    case badAddress(String, detail: String)
    case badFilter(String, WireFilterError)
    /// A reference to a gateway, client or resource id the file does not define.
    case unknownReference(kind: String, id: String)

    public var description: String {
        switch self {
        case .unreadable(let reason): return "cannot read the policy file: \(reason)"
        case .tooLarge(let limit): return "the policy file is larger than \(limit) bytes"
        case .notJSON(let detail): return "not valid JSON: \(detail)"
        case .field(let error): return error.description
        case .empty(let field): return "\(field) is empty; give it a value"
        case .duplicateID(let id, let first): return "id \"\(id)\" is already used by \(first); ids must be unique"
        case .duplicateToken(let first):
            return "token is already used by \(first); every node needs its own token"
        case .duplicatePolicy(let first):
            return "the same client and resource as \(first); keep one policy per pair"
        case .badAddress(let text, let detail): return "address \"\(text)\": \(detail)"
        case .badFilter(let path, let error): return "\(path): \(error)"
        case .unknownReference(let kind, let id): return "unknown \(kind) \"\(id)\"; define it in \(kind)s first"
        }
    }
}

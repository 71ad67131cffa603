/// Failures `fzctl` reports as one line, with the exit status scripts can test.
enum FZCtlError: Error, CustomStringConvertible {
    /// A name that is not a backend at all: exit 2, listing the valid names.
    case unknownBackend(kind: String, name: String, valid: [String])
    /// A real backend that cannot run on this host.
    case unavailableBackend(kind: String, name: String, reason: String)
    /// Bad input on stdin, in a flag value or in the environment.
    case invalidInput(String)

    var exitCode: Int32 {
        switch self {
        case .unknownBackend: return 2
        case .unavailableBackend: return 3
        case .invalidInput: return 1
        }
    }

    var description: String {
        switch self {
        case .unknownBackend(let kind, let name, let valid):
            return "unknown \(kind) backend '\(name)'; valid names: \(valid.joined(separator: ", "))"
        case .unavailableBackend(let kind, let name, let reason):
            return "\(kind) backend '\(name)' is not available on this host: \(reason)"
        case .invalidInput(let message):
            return message
        }
    }
}

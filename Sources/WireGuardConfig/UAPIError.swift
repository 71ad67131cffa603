/// Why a UAPI request (or, on the client side, a `get` response) was refused, with its errno.
///
/// A UAPI server answers every request with `errno=N`; `errno` gives the value each case maps to and
/// `UAPIResponse.status(for:)` writes the line. `description` is for logs and names the request line.
public enum UAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where a key appeared: before the first `public_key` (device) or after it (peer).
    public enum Scope: String, Sendable {
        /// Before the first `public_key`.
        case device
        /// After a `public_key`.
        case peer
    }

    /// The first line is not `get=1` or `set=1`. EPROTO.
    case unknownOperation(String)
    /// A line without `=`. EPROTO.
    case malformedLine(line: Int, text: String)
    /// Anything between `get=1` and the blank line that ends it. EINVAL.
    case unexpectedGetContent(line: Int, text: String)
    /// A key that does not exist in this scope. EINVAL.
    case unknownKey(line: Int, key: String, scope: Scope)
    /// A known key with a value it cannot take. EINVAL.
    case invalidValue(line: Int, key: String, value: String, reason: String)
    /// The input ended before the blank line that ends a request or response. EPROTO.
    case incomplete
    /// More bytes than the reader's limit arrived without a blank line. EMSGSIZE.
    case requestTooLarge(limit: Int)
    /// The request was well formed but applying it failed (e.g. EADDRINUSE for a taken port).
    case applyFailed(errno: Int32, reason: String)
    /// A server answered `errno=N` with N nonzero (client side); `errno` is its positive value.
    case remoteError(errno: Int32)
    /// The server already serves its limit of connections at once. EBUSY.
    case tooManyConnections(limit: Int)

    /// The positive errno value this error is reported as.
    public var errno: Int32 {
        switch self {
        case .unknownOperation, .malformedLine, .incomplete: return UAPIErrno.protocolError
        case .unexpectedGetContent, .unknownKey, .invalidValue: return UAPIErrno.invalidArgument
        case .requestTooLarge: return UAPIErrno.messageTooLong
        case .tooManyConnections: return UAPIErrno.busy
        case .applyFailed(let errno, _), .remoteError(let errno): return errno
        }
    }

    public var description: String {
        switch self {
        case .unknownOperation(let text):
            return "unknown UAPI operation '\(DisplayText.echo(text))'; a request starts with get=1 or set=1"
        case .malformedLine(let line, let text):
            return "UAPI line \(line): '\(DisplayText.echo(text))' is not key=value"
        case .unexpectedGetContent(let line, let text):
            return "UAPI line \(line): '\(DisplayText.echo(text))' after get=1; a get request is get=1 and a blank line"
        case .unknownKey(let line, let key, let scope):
            let hint = scope == .device ? "before the first public_key" : "in a peer (after public_key)"
            return "UAPI line \(line): '\(DisplayText.echo(key))' is not a valid key \(hint)"
        case .invalidValue(let line, let key, let value, let reason):
            return "UAPI line \(line): \(DisplayText.echo(key))=\(DisplayText.echo(value)): \(reason)"
        case .incomplete:
            return "the UAPI message ended before its terminating blank line"
        case .requestTooLarge(let limit):
            return "the UAPI request exceeds \(limit) bytes without a terminating blank line"
        case .tooManyConnections(let limit):
            return "the UAPI server is already serving \(limit) connections; try again"
        case .applyFailed(let errno, let reason):
            return "applying the UAPI request failed (errno \(errno)): \(reason)"
        case .remoteError(let errno):
            return "the UAPI server answered errno=\(errno)"
        }
    }
}

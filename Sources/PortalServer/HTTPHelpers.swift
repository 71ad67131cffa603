import NIOCore
import NIOHTTP1

extension HTTPHeaders {
    /// The token of `Authorization: Bearer TOKEN` (scheme case-insensitive), nil when absent or another scheme.
    var bearerToken: String? {
        guard let value = self.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: " \t")
        return token.isEmpty ? nil : token
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var view = self
        while let first = view.first, set.contains(first) { view = view.dropFirst() }
        while let last = view.last, set.contains(last) { view = view.dropLast() }
        return String(view)
    }
}

extension TimeAmount {
    /// NIO's time from a standard `Duration`, rounded to nanoseconds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The path part of a request target, without the query string.
func requestPath(_ uri: String) -> String {
    String(uri.prefix { $0 != "?" && $0 != "#" })
}

/// A short JSON error body; `message` is ours, never echoed input, so it needs no escaping beyond quotes.
func errorBody(_ message: String) -> String {
    let escaped = message.replacingQuotes()
    return "{\"error\":\"\(escaped)\"}"
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for character in self {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.append(character)
            }
        }
        return out
    }
}

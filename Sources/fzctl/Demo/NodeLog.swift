import Foundation

/// A node's JSON log file (`--log-format json`), read back for evidence: which control messages went where.
struct NodeLog {
    let path: String

    /// One parsed line: its text as written and its top-level fields as strings.
    struct Entry {
        let line: String
        let fields: [String: String]

        /// Whether every `(field, value)` pair in `wanted` is on this line.
        func matches(_ wanted: [String: String]) -> Bool {
            wanted.allSatisfy { fields[$0.key] == $0.value }
        }
    }

    /// How many lines the file has now: a mark to read only what is written after it.
    var mark: Int { lines().count }

    /// The JSON lines after `mark` carrying every field in `wanted`.
    func entries(after mark: Int = 0, matching wanted: [String: String] = [:]) -> [Entry] {
        lines().dropFirst(mark).compactMap(Self.parse).filter { $0.matches(wanted) }
    }

    /// Every line after `mark`, parsed or not, for a failure report.
    func tail(after mark: Int = 0, limit: Int = 20) -> [String] {
        Array(lines().dropFirst(mark).suffix(limit))
    }

    private func lines() -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        // A line still being written has no newline yet; it is read on the next call.
        var text = String(decoding: data, as: UTF8.self)
        if let lastNewline = text.lastIndex(of: "\n") {
            text = String(text[...lastNewline])
        } else {
            return []
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    private static func parse(_ line: String) -> Entry? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return nil
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: fields[key] = text
            case let number as NSNumber: fields[key] = number.stringValue
            default: continue
            }
        }
        return Entry(line: line, fields: fields)
    }
}

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

        /// Whether `other` logs the same control message again: equal fields but the per-line ones, and
        /// written within 50 ms.
        func repeats(_ other: Entry) -> Bool {
            guard fields["message_type"] != nil, let first = seconds, let second = other.seconds,
                  abs(second - first) < 0.05 else { return false }
            let perLine: Set<String> = ["time", "message", "direction", "severity", "target"]
            return fields.filter { !perLine.contains($0.key) } == other.fields.filter { !perLine.contains($0.key) }
        }

        /// The line's `time` (RFC 3339, UTC) as seconds into its day: enough to tell lines 50 ms apart.
        var seconds: Double? {
            guard let time = fields["time"], let clock = time.split(separator: "T").last else { return nil }
            let parts = clock.trimmingCharacters(in: CharacterSet(charactersIn: "Z")).split(separator: ":")
            guard parts.count == 3, let hours = Double(parts[0]), let minutes = Double(parts[1]),
                  let secondsPart = Double(parts[2]) else { return nil }
            return hours * 3600 + minutes * 60 + secondsPart
        }
    }

    /// How many lines the file has now: a mark to read only what is written after it.
    var mark: Int { lines().count }

    /// The JSON lines after `mark` carrying every field in `wanted`.
    func entries(after mark: Int = 0, matching wanted: [String: String] = [:]) -> [Entry] {
        lines().dropFirst(mark).compactMap(Self.parse).filter { $0.matches(wanted) }
    }

    /// Like `entries`, one per control message: a log that writes a message twice (the portal's audit event
    /// and its send) yields it once, preferring the line that says which way it went.
    func messages(after mark: Int = 0, matching wanted: [String: String] = [:]) -> [Entry] {
        var result: [Entry] = []
        for entry in entries(after: mark, matching: wanted) {
            // A repeat is written within microseconds; 50 ms tells it from a real second message.
            if let index = result.indices.reversed().prefix(8).first(where: { result[$0].repeats(entry) }) {
                if result[index].fields["direction"] == nil && entry.fields["direction"] != nil {
                    result[index] = entry
                }
                continue
            }
            result.append(entry)
        }
        return result
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

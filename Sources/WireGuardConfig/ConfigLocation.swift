/// A line of a config file, printed `wg0.conf:7` so editors and terminals can jump to it.
public struct ConfigLocation: Hashable, Sendable, CustomStringConvertible {
    /// The name the caller gave the text, usually the path it was read from.
    public var fileName: String
    /// The 1-based line number.
    public var line: Int

    /// A location in `fileName` at `line` (1-based).
    public init(fileName: String, line: Int) {
        self.fileName = fileName
        self.line = line
    }

    /// `wg0.conf:7`.
    public var description: String { "\(fileName):\(line)" }
}

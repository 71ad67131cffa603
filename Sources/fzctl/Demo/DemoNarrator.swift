/// Writes the demo's story to stdout: numbered steps, the commands run, the evidence, and a verdict per claim.
///
/// Every write goes straight to the file descriptor, so the story and the nodes' own output never interleave
/// mid-line and an interrupted demo shows everything up to the interrupt.
struct DemoNarrator {
    private let indent = "      "

    func headline(_ text: String) {
        FileOutput.standardOutput("\(text)\n")
    }

    func step(_ number: Int, of total: Int, _ title: String) {
        FileOutput.standardOutput("\n[\(number)/\(total)] \(title)\n")
    }

    /// Plain explanation under a step.
    func say(_ text: String) {
        FileOutput.standardOutput("\(indent)\(text)\n")
    }

    /// A command as the reader could type it, and the namespace it runs in.
    func command(_ words: [String], in namespace: String) {
        let shown = words.map { word in
            word.contains(where: { " <>&|;'\"$".contains($0) }) ? "'\(word)'" : word
        }
        FileOutput.standardOutput("\(indent)$ \(shown.joined(separator: " "))    (in \(namespace))\n")
    }

    /// Output or log lines, quoted verbatim.
    func quote(_ lines: [String]) {
        for line in lines {
            FileOutput.standardOutput("\(indent)  | \(line)\n")
        }
    }

    /// A claim and whether it held; returns `held` so a step can `&&` its claims.
    @discardableResult
    func verdict(_ held: Bool, _ claim: String) -> Bool {
        FileOutput.standardOutput("\(indent)\(held ? "✔" : "✘ NOT AS EXPECTED:") \(claim)\n")
        return held
    }
}

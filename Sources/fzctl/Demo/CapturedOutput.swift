import Foundation
import HostSetup

/// A finished command's exit status and its stdout and stderr interleaved, whatever the status.
///
/// `Subprocess.run` throws on a non-zero exit; the demo needs the output of commands that are meant to fail
/// (`ping` answered "Packet filtered" exits 1), so this runs them under `sh`, which always exits 0 and
/// appends the command's own status as a last marker line.
struct CapturedOutput {
    let status: Int32
    let output: String
    /// Wall time the command took, for "answered at once".
    let seconds: Double

    static let marker = "fzctl-demo-exit-status="

    var succeeded: Bool { status == 0 }

    /// The output's lines, without empty ones.
    var lines: [String] {
        output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static func run(_ command: [String]) throws -> CapturedOutput {
        let started = ContinuousClock.now
        let text = try Subprocess.run(["sh", "-c", "\"$@\" 2>&1; echo \"\(marker)$?\"", "sh"] + command)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        guard let last = lines.last, last.hasPrefix(marker), let status = Int32(last.dropFirst(marker.count)) else {
            return CapturedOutput(status: -1, output: text, seconds: seconds)
        }
        lines.removeLast()
        return CapturedOutput(status: status, output: lines.joined(separator: "\n"), seconds: seconds)
    }
}

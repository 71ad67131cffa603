import Foundation
import Testing

/// The test-only `FZ_TEST_REKEY_AFTER_SECONDS` knob of `fzctl up` (scripts/soak uses it; the soak checks that
/// it shortens the timers). A bad value is a one-line startup error, checked before anything needs root.
@Suite struct TestTimerKnobTests {
    @Test("A bad FZ_TEST_REKEY_AFTER_SECONDS stops fzctl up with one error line naming the variable",
          arguments: ["", "0", "121", "-5", "2.5", "ten", " 5"])
    func rejectsBadValues(_ value: String) async throws {
        // One directory per case: the cases run in parallel and each removes its own.
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fz-knob-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wg9.conf").path
        try "[Interface]\nPrivateKey = \(String(repeating: "A", count: 43))=\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await FzctlRunner.fzctl(["up", path], environment: ["FZ_TEST_REKEY_AFTER_SECONDS": value])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("fzctl: error: FZ_TEST_REKEY_AFTER_SECONDS: '\(value)'") == true,
                "\(result.stderr)")
    }
}

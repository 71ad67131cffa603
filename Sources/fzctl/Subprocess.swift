import Foundation

/// Running the system tools `fzctl bench tunnel` orchestrates (`ip`, `wg`, `wireguard-go`, `iperf3`).
///
/// Only the benchmark and setup paths use this; the data path never spawns processes.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let command: [String]
        let status: Int32
        let output: String

        var description: String {
            let detail = output.split(separator: "\n").last.map(String.init) ?? ""
            return "`\(command.joined(separator: " "))` exited with \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        }
    }

    /// Runs `command` to completion and returns its stdout; throws with its stderr when it fails.
    @discardableResult
    static func run(_ command: [String], stdin: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let errorData = LockedBox<Data>(Data())
        let reader = Thread { errorData.value = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        let stdout = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(command: command, status: process.terminationStatus,
                          output: String(decoding: errorData.value, as: UTF8.self) + stdout)
        }
        return stdout
    }

    /// Starts `command` in the background with its output going to `logPath`.
    static func start(_ command: [String], logPath: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Whether `tool` is on PATH.
    static func available(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"])) != nil
    }
}

/// A value shared with one helper thread, guarded by a lock.
final class LockedBox<Value>: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

import Foundation

/// Runs the built `fzctl` (or another program) as a user would, capturing its output.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum FzctlRunner {
    /// The `fzctl` binary built next to the test bundle.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["FZCTL_PATH"] {
            return URL(fileURLWithPath: path)
        }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDirectory.appendingPathComponent("fzctl")
    }

    static func fzctl(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:])
        async throws -> ProcessResult
    {
        try await run(binary, arguments, stdin: stdin, environment: environment)
    }

    /// `fzctl` through `runBlocking`.
    static func fzctlBlocking(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try runBlocking(binary, arguments, stdin: stdin)
    }

    /// Finds `name` on PATH, or nil.
    static func which(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `executable` to its end on a thread of its own and returns what it printed.
    ///
    /// The wait must not happen on a Swift concurrency thread: the interop and end-to-end scripts run for
    /// minutes, and on a 2-core host two of them blocking the cooperative pool starved every other test in the
    /// process long enough for a portal test's 45 s keepalive to fire.
    static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil,
                    environment: [String: String] = [:]) async throws -> ProcessResult
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    try runBlocking(executable, arguments, stdin: stdin, environment: environment)
                })
            }
            thread.start()
        }
    }

    /// The blocking form, for the few static initializers that cannot await; everything else uses `run`.
    static func runBlocking(_ executable: URL, _ arguments: [String], stdin: String? = nil,
                                    environment: [String: String] = [:]) throws -> ProcessResult
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // The tests decide the log filter and flags; the caller's shell must not leak into them.
        env = env.filter { !$0.key.hasPrefix("FZFF_") && $0.key != "FZ_LOG" }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let stdin {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.set(errPipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

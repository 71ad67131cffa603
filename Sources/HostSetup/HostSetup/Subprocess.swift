import Foundation

/// Running the system tools fzctl orchestrates (`ip`, `nft`, `wg`, `wireguard-go`, `iperf3`).
///
/// Only the benchmark and setup paths use this; the data path never spawns processes.
public enum Subprocess {
    public struct Failure: Error, CustomStringConvertible {
        let command: [String]
        let status: Int32
        let output: String

        public var description: String {
            let detail = output.split(separator: "\n").last.map(String.init) ?? ""
            return "`\(command.joined(separator: " "))` exited with \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        }
    }

    /// Runs `command` to completion and returns its stdout; throws with its output when it fails.
    ///
    /// Uses `posix_spawnp` and pipes directly rather than Foundation's `Process`, whose run-loop plumbing
    /// needs a working loopback interface (not a given in a fresh network namespace).
    @discardableResult
    public static func run(_ command: [String], stdin: String? = nil) throws -> String {
        var outPipe: [Int32] = [0, 0]
        var inPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&inPipe) == 0, pipe(&errPipe) == 0 else {
            throw Failure(command: command, status: -1, output: "pipe failed: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in [outPipe[0], outPipe[1], inPipe[0], inPipe[1], errPipe[0], errPipe[1]] {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        // The child gets default signal dispositions and an empty mask, whatever `fzctl up` blocked.
        var attributes = defaultSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        let (pid, spawned) = spawn(command, &actions, &attributes)
        close(outPipe[1])
        close(inPipe[0])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(inPipe[1])
            close(errPipe[0])
            throw Failure(command: command, status: -1, output: String(cString: strerror(spawned)))
        }
        if let stdin {
            var bytes = Array(stdin.utf8)
            _ = bytes.withUnsafeMutableBytes { write(inPipe[1], $0.baseAddress, $0.count) }
        }
        close(inPipe[1])
        // The tools run here write little to stderr, so reading stdout to its end first cannot deadlock.
        let output = readAll(outPipe[0])
        let errors = readAll(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            throw Failure(command: command, status: code, output: String(decoding: errors, as: UTF8.self) + text)
        }
        return text
    }

    /// Reads `fd` to its end and closes it.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output.append(contentsOf: chunk[0..<n])
        }
        close(fd)
        return output
    }

    /// Starts `command` in the background with its output going to `logPath`.
    ///
    /// Spawned like `run`, with default signal handling whatever this process inherited, so
    /// `terminate()` stops the child even when our parent ignored SIGTERM.
    public static func start(_ command: [String], logPath: String) throws -> SpawnedProcess {
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else {
            throw Failure(command: command, status: -1, output: "cannot open \(logPath): errno \(errno)")
        }
        defer { close(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        var attributes = defaultSignalAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        let (pid, spawned) = spawn(command, &actions, &attributes)
        guard spawned == 0 else {
            throw Failure(command: command, status: -1, output: String(cString: strerror(spawned)))
        }
        return SpawnedProcess(pid: pid)
    }

    /// `posix_spawnp` with `command` as argv; returns the pid and the spawn result (0 on success).
    static func spawn(
        _ command: [String], _ actions: inout posix_spawn_file_actions_t, _ attributes: inout posix_spawnattr_t
    ) -> (pid_t, Int32) {
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, command[0], &actions, &attributes, &argv, environ)
        return (pid, result)
    }

    /// Spawn attributes that give the child an empty signal mask and default SIGINT/SIGTERM handling.
    static func defaultSignalAttributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }

    /// Whether `tool` is on PATH.
    public static func available(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"])) != nil
    }
}

/// A child started with `Subprocess.start`.
public final class SpawnedProcess {
    public let pid: pid_t
    private var status: Int32?

    init(pid: pid_t) {
        self.pid = pid
    }

    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = raw
            return false
        }
        return true
    }

    /// Asks the child to stop (SIGTERM), and kills it (SIGKILL) if it has not within `grace`.
    public func stop(grace: Double = 3) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        var waited = 0.0
        while isRunning && waited < grace {
            usleep(20_000)
            waited += 0.02
        }
        if isRunning {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = raw
        }
    }
}

/// A value shared with one helper thread, guarded by a lock.
public final class LockedBox<Value>: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

import Foundation
import Testing

/// `fzctl up` and its UAPI socket as operators meet them: `wg` clients that leave early, and a second
/// `fzctl up` of the same interface name in another network namespace (`/var/run/wireguard` is shared).
///
/// Needs root (network namespaces, TUN devices); without it the suite is reported as not run.
@Suite(.serialized, .enabled(if: geteuid() == 0, "NOT RUN: fzctl up needs root for network namespaces and TUN"))
struct UpUAPITests {
    /// A network namespace for the test's lifetime.
    final class Namespace {
        let name: String

        init(_ name: String) throws {
            self.name = name
            _ = try FzctlRunner.runBlocking(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "del", name])
            let added = try FzctlRunner.runBlocking(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "add", name])
            guard added.status == 0 else { throw POSIXError(.EPERM) }
        }

        deinit {
            _ = try? FzctlRunner.runBlocking(URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "del", name])
        }
    }

    /// A directory for the test's lifetime holding an interface config (a new key, 10.77.0.1/24).
    final class Scratch {
        let name: String
        let directory: String
        let config: String

        init(interfacePrefix: String) async throws {
            name = "\(interfacePrefix)\(getpid() % 100_000)"
            directory = NSTemporaryDirectory() + "fz-up-\(name)"
            config = directory + "/\(name).conf"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let key = try await FzctlRunner.fzctl(["genkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try "[Interface]\nPrivateKey = \(key)\nAddress = 10.77.0.1/24\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Starts `fzctl up` in `namespace`; the caller interrupts it.
    static func startUp(_ config: String, in namespace: Namespace, environment: [String: String] = [:]
    ) throws -> (Process, Pipe) {
        let process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, FzctlRunner.binary.path, "up", config,
                             "--crypto", "sodium", "--log", "warn"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    static func waitFor(_ path: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Calls `body` with the AF_UNIX address of `path` and its length (for bind or connect).
    static func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Connects to the UAPI socket, sends `get=1` and closes at once, before the answer arrives.
    static func getAndHangUp(_ path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard withUnixAddress(path, { connect(fd, $0, $1) }) == 0 else { return }
        _ = send(fd, "get=1\n\n", 7, Int32(MSG_NOSIGNAL))
    }

    @Test("wg clients that hang up early do not kill fzctl up; a second up of the name elsewhere is refused")
    func uapiSurvivesClientsAndIsNotTakenOver() async throws {
        let wg = try #require(FzctlRunner.which("wg"), "wireguard-tools is not installed (./scripts/setup)")
        let scratch = try await Scratch(interfacePrefix: "fzu")
        defer { withExtendedLifetime(scratch) {} }
        let (name, config) = (scratch.name, scratch.config)
        let first = try Namespace("fzuapi-a-\(getpid())")
        let second = try Namespace("fzuapi-b-\(getpid())")
        let socketPath = "/var/run/wireguard/\(name).sock"

        let (up, _) = try Self.startUp(config, in: first)
        defer { if up.isRunning { up.interrupt() } }
        try #require(Self.waitFor(socketPath), "fzctl up did not create \(socketPath)")

        for _ in 0..<50 { Self.getAndHangUp(socketPath) }
        usleep(200_000)
        #expect(up.isRunning, "fzctl up died (signal 13 is SIGPIPE): status \(up.isRunning ? 0 : up.terminationStatus)")
        let show = try await FzctlRunner.run(wg, ["show", name, "public-key"])
        #expect(show.status == 0 && show.stdout.count == 45, "\(show.stderr)")

        // The same name in another namespace: refused, and the first keeps its socket.
        let again = try await FzctlRunner.run(URL(fileURLWithPath: "/usr/bin/timeout"), [
            "-s", "INT", "10", "ip", "netns", "exec", second.name, FzctlRunner.binary.path, "up", config,
            "--crypto", "sodium", "--log", "warn",
        ])
        #expect(again.status == 1, "\(again.stderr)")
        #expect(again.stderr.contains("UAPI socket \(socketPath) is in use by another process"), "\(again.stderr)")
        #expect(try await FzctlRunner.run(wg, ["show", name, "public-key"]).stdout == show.stdout)

        up.interrupt()
        up.waitUntilExit()
        #expect(up.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath))
    }

    @Test("Under a service manager, fzctl up sends READY=1 once the interface is up and STOPPING=1 when stopped")
    func upNotifiesTheServiceManager() async throws {
        let scratch = try await Scratch(interfacePrefix: "fzn")
        defer { withExtendedLifetime(scratch) {} }
        let (name, config, directory) = (scratch.name, scratch.config, scratch.directory)
        let namespace = try Namespace("fznotify-\(getpid())")
        // A socket path, not an abstract name: those are private to a network namespace.
        let listenerPath = directory + "/notify.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(listener) }
        let bound = Self.withUnixAddress(listenerPath) { bind(listener, $0, $1) }
        try #require(bound == 0, "bind \(listenerPath): errno \(errno)")
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func receive() -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(listener, &buffer, buffer.count, 0)
            return count < 0 ? "nothing within 20 s" : String(decoding: buffer[..<count], as: UTF8.self)
        }

        let (up, _) = try Self.startUp(config, in: namespace, environment: ["NOTIFY_SOCKET": listenerPath])
        defer { if up.isRunning { up.interrupt() } }
        let ready = receive()
        #expect(ready.hasPrefix("READY=1\nSTATUS=interface \(name) up\nMAINPID="), "\(ready)")
        // READY=1 follows the addresses: the interface already has its own.
        let addresses = try FzctlRunner.runBlocking(URL(fileURLWithPath: "/usr/sbin/ip"),
                                                    ["-n", namespace.name, "addr", "show", "dev", name])
        #expect(addresses.stdout.contains("10.77.0.1/24"), "\(addresses.stdout)")
        up.interrupt()
        #expect(receive() == "STOPPING=1\nSTATUS=interface \(name) stopping\n")
        up.waitUntilExit()
        #expect(up.terminationStatus == 0)
    }
}

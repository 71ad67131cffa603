import Foundation
import Testing

/// `--io` on a host where io_uring is refused (`scripts/without-io-uring`: a seccomp filter that fails
/// `io_uring_setup` with EPERM, as container runtimes' default profiles do).
///
/// Needs root (namespaces, TUN devices); without it the suite is reported as not run.
@Suite(.serialized, .enabled(if: geteuid() == 0, "NOT RUN: fzctl up needs root for network namespaces and TUN"))
struct IOBackendSelectionTests {
    static var withoutIOUring: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/without-io-uring")
    }

    @Test("Without io_uring, backends says why and auto picks epoll; --io io-uring exits 3 with the reason")
    func ioUringRefusedExitsThreeByName() async throws {
        let listing = try await FzctlRunner.run(Self.withoutIOUring, [FzctlRunner.binary.path, "backends"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let uringLine = listing.stdout.split(separator: "\n").first { $0.hasPrefix("  io-uring") }
        #expect(uringLine?.contains("unusable: ") == true, "\(listing.stdout)")
        #expect(uringLine?.contains("seccomp") == true, "the reason names the filter: \(listing.stdout)")
        #expect(listing.stdout.contains("auto picks: epoll"), "\(listing.stdout)")

        let scratch = try await UpUAPITests.Scratch(interfacePrefix: "fzsel")
        defer { withExtendedLifetime(scratch) {} }
        let config = scratch.config
        let refused = try await FzctlRunner.run(Self.withoutIOUring, [
            FzctlRunner.binary.path, "up", config, "--io", "io-uring", "--crypto", "sodium"])
        #expect(refused.status == 3, "\(refused.stderr)")
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(refused.stderr)")
        #expect(refused.stderr.contains("I/O backend 'io-uring' is not available on this host"), "\(refused.stderr)")
        #expect(refused.stderr.contains("EPERM"), "\(refused.stderr)")
    }

    @Test("Without io_uring, fzctl up --io auto logs why and runs the interface on epoll")
    func autoFallsBackToEpoll() async throws {
        let namespace = try UpUAPITests.Namespace("fzsel\(getpid() % 100_000)")
        let scratch = try await UpUAPITests.Scratch(interfacePrefix: "fzauto")
        defer { withExtendedLifetime(scratch) {} }
        let config = scratch.config
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, Self.withoutIOUring.path, FzctlRunner.binary.path,
                             "up", config, "--io", "auto", "--crypto", "sodium", "--log-format", "json"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
        var log = ""
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !log.contains("\"interface up\"") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
        }
        #expect(log.contains("\"interface up\""), "fzctl up came up: \(log)")
        let fallback = log.split(separator: "\n").first { $0.contains("packet I/O backend unusable here") }
        #expect(fallback?.contains("io-uring") == true && fallback?.contains("EPERM") == true, "\(log)")
        let up = log.split(separator: "\n").first { $0.contains("\"interface up\"") }
        #expect(up?.contains("\"io\":\"epoll\"") == true, "\(up ?? "")")
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

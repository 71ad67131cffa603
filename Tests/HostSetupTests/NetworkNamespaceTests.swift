import Foundation
import HostSetup
import Testing

/// Entering a named network namespace on the calling thread and coming back.
@Suite(.enabled(if: geteuid() == 0, "NOT RUN: creating a network namespace needs root"))
struct NetworkNamespaceTests {
    /// The inode that identifies a namespace file.
    static func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXError(.ENOENT) }
        return UInt64(info.st_ino)
    }

    @Test func bodyRunsInsideTheNamespaceAndTheThreadComesBack() throws {
        let name = "fzns\(getpid())"
        _ = try? Subprocess.run(["ip", "netns", "del", name])
        try Subprocess.run(["ip", "netns", "add", name])
        defer { _ = try? Subprocess.run(["ip", "netns", "del", name]) }
        let before = try Self.inode("/proc/thread-self/ns/net")
        let target = try Self.inode("/var/run/netns/\(name)")
        #expect(before != target)

        let inside = try NetworkNamespace(name: name).run { try Self.inode("/proc/thread-self/ns/net") }
        #expect(inside == target)
        #expect(try Self.inode("/proc/thread-self/ns/net") == before)

        // What the body throws passes through, and the thread still comes back.
        #expect(throws: POSIXError.self) {
            try NetworkNamespace(name: name).run { throw POSIXError(.EIO) }
        }
        #expect(try Self.inode("/proc/thread-self/ns/net") == before)
    }

    @Test func aMissingNamespaceIsNamedInTheError() {
        let error = #expect(throws: NetworkNamespaceError.self) {
            try NetworkNamespace(name: "fz-no-such-namespace").run {}
        }
        #expect(error.map { "\($0)" }?.contains("/var/run/netns/fz-no-such-namespace") == true)
    }
}

import DataPlane
import Foundation
import HostSetup
import Testing

/// rtnetlink against the kernel, inside a network namespace the test creates (with a veth pair in it).
@Suite(.enabled(if: geteuid() == 0, "NOT RUN: rtnetlink changes need root and a network namespace"))
struct InterfaceNetlinkTests {
    /// Runs `command`, returning its standard output; a failure fails the test.
    @discardableResult
    static func run(_ command: [String]) throws -> String {
        try Subprocess.run(command)
    }

    /// glibc's setns(2), which Swift's Glibc module does not export (it is behind _GNU_SOURCE).
    static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
            fatalError("setns is missing from the C library")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    /// Runs `body` on a thread of its own that has entered namespace `name` (setns is per thread).
    static func inNamespace<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result {
                    let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw POSIXError(.ENOENT) }
                    defer { close(fd) }
                    guard Self.setns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0 else { throw POSIXError(.EPERM) }
                    return try body()
                })
            }
            thread.start()
        }
    }

    @Test func routesAddressesMTUAndLinkStateReachTheKernelInBatches() async throws {
        let namespace = "fznl\(getpid())"
        _ = try? Self.run(["ip", "netns", "del", namespace])
        try Self.run(["ip", "netns", "add", namespace])
        defer { _ = try? Self.run(["ip", "netns", "del", namespace]) }
        try Self.run(["ip", "-n", namespace, "link", "add", "fzdummy0", "type", "veth", "peer", "name", "fzdummy1"])
        try Self.run(["ip", "-n", namespace, "link", "set", "fzdummy1", "up"])

        // 1,500 routes: more than one batch of 256, IPv4 and IPv6.
        let v4 = (0..<1000).map {
            IPNetwork(.v4(IPv4Address(10, UInt8($0 / 250), UInt8($0 % 250), 0)), prefixLength: 24)!
        }
        let v6 = (0..<500).map {
            IPNetwork(.v6(IPv6Address(groups: [0xfd00, 0x77, UInt16($0), 0, 0, 0, 0, 0])), prefixLength: 64)!
        }
        let refused = try await Self.inNamespace(namespace) { () -> [String] in
            let link = try InterfaceNetlink(interface: "fzdummy0")
            try link.setLink(mtu: 1380, up: true)
            try link.replaceAddress(.v4(IPv4Address(192, 0, 2, 1)), prefixLength: 24)
            try link.replaceAddress(.v6(IPv6Address(groups: [0xfd00, 0x99, 0, 0, 0, 0, 0, 1])), prefixLength: 64,
                                    noDAD: true)
            var refused = link.replaceRoutes(v4 + v6).map { "\($0.0): \($0.1)" }
            // Replacing again is idempotent, as `ip route replace` is.
            refused += link.replaceRoutes(Array(v4.prefix(10))).map { "\($0.0): \($0.1)" }
            return refused
        }
        #expect(refused.isEmpty, "\(refused.prefix(3))")
        let shown = try Self.run(["ip", "-n", namespace, "link", "show", "fzdummy0"])
        #expect(shown.contains("mtu 1380"), "\(shown)")
        #expect(shown.contains(",UP"), "\(shown)")
        let addresses = try Self.run(["ip", "-n", namespace, "address", "show", "dev", "fzdummy0"])
        #expect(addresses.contains("inet 192.0.2.1/24"), "\(addresses)")
        #expect(addresses.contains("inet6 fd00:99::1/64"), "\(addresses)")
        let routes4 = try Self.run(["ip", "-n", namespace, "route", "show", "dev", "fzdummy0", "proto", "boot"])
        #expect(routes4.split(separator: "\n").count == 1000)
        #expect(routes4.contains("10.3.249.0/24 scope link"), "\(routes4.suffix(200))")
        let routes6 = try Self.run(["ip", "-n", namespace, "-6", "route", "show", "dev", "fzdummy0", "proto", "boot"])
        #expect(routes6.split(separator: "\n").count == 500)

        // Deleting: the routes go; one that is not there is reported, the rest still removed.
        let missing = IPNetwork(.v4(IPv4Address(172, 31, 0, 0)), prefixLength: 16)!
        let notThere = try await Self.inNamespace(namespace) { () -> [String] in
            let link = try InterfaceNetlink(interface: "fzdummy0")
            let result = link.deleteRoutes(Array(v4.prefix(300)) + [missing] + Array(v4.suffix(5)))
            // After the routes: removing an interface's last IPv4 address flushes its IPv4 routes.
            try link.deleteAddress(.v4(IPv4Address(192, 0, 2, 1)), prefixLength: 24)
            return result.map { "\($0.0)" }
        }
        #expect(notThere == ["\(missing)"])
        #expect(try await Self.inNamespace(namespace) {
            // Deleted routes are gone: deleting them again refuses every one.
            try InterfaceNetlink(interface: "fzdummy0").deleteRoutes(Array(v4.prefix(3))).count
        } == 3)
        let left = try Self.run(["ip", "-n", namespace, "-6", "route", "show", "dev", "fzdummy0", "proto", "boot"])
        #expect(left.split(separator: "\n").count == 500, "IPv6 routes stay")
        let addressesAfter = try Self.run(["ip", "-n", namespace, "address", "show", "dev", "fzdummy0"])
        #expect(!addressesAfter.contains("192.0.2.1"))
    }

    @Test func aMissingInterfaceIsNamedInTheError() async throws {
        do {
            _ = try InterfaceNetlink(interface: "fznosuch0")
            Issue.record("opened a missing interface")
        } catch {
            #expect(error.description.hasPrefix("cannot configure fznosuch0: no such interface"), "\(error)")
        }
    }
}

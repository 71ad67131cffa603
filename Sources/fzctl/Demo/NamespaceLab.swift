import Foundation
import HostSetup

/// Network namespaces joined by veth pairs, and the processes started inside them, all removed by `tearDown()`.
///
/// Everything the lab creates is recorded before the command that creates it returns, under one lock, and
/// `tearDown()` takes that lock and closes the lab: a signal arriving mid-setup removes what exists and nothing
/// is created after it. Commands run through `Subprocess`, as `ip netns exec NAME ...`.
final class NamespaceLab: @unchecked Sendable {
    // Safe: every stored property is read and written with `lock` held.
    private let lock = NSLock()
    private var namespaces: [NetworkNamespace] = []
    private var processes: [(label: String, process: SpawnedProcess)] = []
    private var closed = false

    /// Creates the namespace `name` with its loopback up.
    func addNamespace(_ name: String) throws -> NetworkNamespace {
        try locked {
            try Subprocess.run(["ip", "netns", "add", name])
            let namespace = NetworkNamespace(name: name)
            namespaces.append(namespace)
            try Subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"])
            return namespace
        }
    }

    /// A veth pair with one end in each namespace, both up; created in place, so names only need to be
    /// unique inside their namespace.
    func link(_ first: NetworkNamespace, _ firstInterface: String, to second: NetworkNamespace,
              _ secondInterface: String) throws {
        try locked {
            try Subprocess.run(["ip", "link", "add", firstInterface, "netns", first.name, "type", "veth",
                                "peer", "name", secondInterface, "netns", second.name])
            try Subprocess.run(["ip", "-n", first.name, "link", "set", firstInterface, "up"])
            try Subprocess.run(["ip", "-n", second.name, "link", "set", secondInterface, "up"])
        }
    }

    /// Adds `address` (CIDR) to `interface`; IPv6 addresses skip duplicate address detection, which would
    /// otherwise hold them unusable for a second or two on a link nobody else shares.
    func addAddress(_ address: String, interface: String, in namespace: NetworkNamespace) throws {
        var command = ["ip", "-n", namespace.name, "addr", "add", address, "dev", interface]
        if address.contains(":") { command.append("nodad") }
        try locked { _ = try Subprocess.run(command) }
    }

    /// Runs `command` inside `namespace` to completion; its exit status and output, whatever the status.
    func capture(in namespace: NetworkNamespace, _ command: [String]) throws -> CapturedOutput {
        try ensureOpen()
        return try CapturedOutput.run(["ip", "netns", "exec", namespace.name] + command)
    }

    /// Starts `command` inside `namespace` in the background, stdout and stderr to `logPath`, with `environment`
    /// added; `label` names it in `tearDown()`'s report.
    func start(_ label: String, in namespace: NetworkNamespace, _ command: [String],
               environment: [String: String] = [:], logPath: String) throws -> SpawnedProcess {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let full = ["ip", "netns", "exec", namespace.name] + (assignments.isEmpty ? [] : ["env"] + assignments)
            + command
        return try locked {
            let process = try Subprocess.start(full, logPath: logPath)
            processes.append((label, process))
            return process
        }
    }

    /// Stops every process (SIGTERM, then SIGKILL after a grace period) and deletes every namespace, which
    /// takes their veths, TUN devices, routes and nftables rules with them; what it did, one line per item.
    /// Idempotent, and callable from a signal-watching thread while the main thread is mid-step.
    @discardableResult
    func tearDown() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        var report: [String] = []
        for (label, process) in processes.reversed() {
            let wasRunning = process.isRunning
            process.stop(grace: 5)
            if wasRunning { report.append("stopped \(label) (pid \(process.pid))") }
        }
        processes = []
        for namespace in namespaces.reversed() {
            do {
                try Subprocess.run(["ip", "netns", "del", namespace.name])
                report.append("deleted network namespace \(namespace.name)")
            } catch {
                report.append("could not delete network namespace \(namespace.name): \(error)")
            }
        }
        namespaces = []
        return report
    }

    private func ensureOpen() throws {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw NamespaceLabError.closed }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw NamespaceLabError.closed }
        return try body()
    }
}

/// Why the lab refused to do something.
enum NamespaceLabError: Error, CustomStringConvertible {
    /// `tearDown()` already ran (an interrupt): nothing new is created.
    case closed

    var description: String {
        switch self {
        case .closed: return "the namespaces were already removed (interrupted)"
        }
    }
}

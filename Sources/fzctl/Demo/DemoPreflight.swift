import Foundation
import HostSetup

/// What `fzctl demo` needs from the host, checked before it changes anything.
enum DemoPreflight {
    /// The tools the demo and the nodes run, with the Debian package that has each.
    static let tools: [(tool: String, package: String)] = [
        ("ip", "iproute2"), ("nft", "nftables"), ("ping", "iputils-ping"), ("bash", "bash"), ("timeout", "coreutils"),
    ]

    static func check() throws {
        guard geteuid() == 0 else { throw DemoError.needsRoot }
        for (tool, package) in tools where !Subprocess.available(tool) {
            throw DemoError.missingTool(tool, package: package)
        }
        guard FileManager.default.fileExists(atPath: "/dev/net/tun") else { throw DemoError.noTunDevice }
    }

    /// The running fzctl's own path: the nodes are this binary, whatever PATH holds. Read from /proc/self/exe
    /// here, since inside `ip netns exec` that link would name `ip`.
    static func ownExecutable() throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            throw DemoError.setup("cannot find this program's path in /proc/self/exe: \(error)")
        }
    }

    /// A fresh private directory for the policy and the logs.
    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/fzctl-demo.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DemoError.setup("cannot create a temporary directory in /tmp: errno \(errno)")
        }
        return String(cString: made)
    }

    /// `path` created if missing, for `--log-dir`.
    static func prepare(directory path: String) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DemoError.setup("--log-dir \(path): \(error)")
        }
        return path
    }
}

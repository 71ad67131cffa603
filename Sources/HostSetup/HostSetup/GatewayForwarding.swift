import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a Gateway changes on its host so Client traffic reaches the protected network: IP forwarding on,
/// and (unless the operator routes the tunnel network) a masquerade rule for traffic from the tunnel
/// network that leaves through any other interface, as Firezone's Gateway does. Undone by `restore`.
public final class GatewayForwarding {
    let interface: String
    let masquerade: Bool
    var savedSysctls: [(path: String, value: String)] = []
    var tableCreated = false

    /// The nftables table this process owns: one per interface, so two Gateways on a host do not collide.
    public var tableName: String { "fzctl-\(interface)" }

    static let forwardingSysctls = ["/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"]

    /// - Parameters:
    ///   - interface: the Gateway's TUN device.
    ///   - masquerade: false for `--no-masquerade`.
    public init(interface: String, masquerade: Bool) {
        self.interface = interface
        self.masquerade = masquerade
    }

    /// Turns forwarding on (remembering the old values) and installs the masquerade table.
    public func apply() throws(HostSetupError) {
        for path in Self.forwardingSysctls {
            guard let old = Self.read(path) else {
                // No IPv6 on this host: IPv4 forwarding alone still serves IPv4 Resources.
                if path.contains("ipv6") { continue }
                throw .sysctl("cannot read \(path)")
            }
            if old != "1" {
                guard Self.write(path, "1") else { throw .sysctl("cannot enable forwarding: write to \(path) failed") }
                savedSysctls.append((path, old))
            }
        }
        guard masquerade else { return }
        guard (try? Subprocess.run(["sh", "-c", "command -v nft"])) != nil else {
            throw .missingTool("nft", package: "nftables")
        }
        try? Subprocess.run(["nft", "delete", "table", "inet", tableName])
        let ruleset = """
            table inet \(tableName) {
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr 100.64.0.0/10 oifname != "\(interface)" masquerade
                    ip6 saddr fd00:2021:1111::/107 oifname != "\(interface)" masquerade
                }
            }

            """
        do {
            try Subprocess.run(["nft", "-f", "-"], stdin: ruleset)
        } catch {
            throw .commandFailed("cannot install the masquerade rules: \(error)")
        }
        tableCreated = true
    }

    /// Removes the table and puts the forwarding settings back as they were.
    public func restore() {
        if tableCreated {
            try? Subprocess.run(["nft", "delete", "table", "inet", tableName])
            tableCreated = false
        }
        for (path, value) in savedSysctls.reversed() { _ = Self.write(path, value) }
        savedSysctls.removeAll()
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, 64, file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func write(_ path: String, _ value: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        return fputs(value + "\n", file) >= 0
    }
}

import Foundation
import HostSetup
import WireGuardConfig

/// The measurement behind `fzctl bench tunnel`: TCP (and UDP) throughput through real tunnels.
///
/// Each pair gets two fresh network namespaces joined by a veth pair, one WireGuard implementation on
/// each side, and iperf3 from side A to side B over the inner addresses. The reference pair is
/// Debian's wireguard-go on both sides, measured in the same run.
struct TunnelBenchmark {
    enum Side: String {
        case fzctl
        case wireguardGo = "wireguard-go"
    }

    struct Pair {
        let a: Side
        let b: Side
        var name: String { "\(a.rawValue)<->\(b.rawValue)" }
    }

    struct Result {
        let pair: String
        let io: String
        let crypto: String
        let test: String
        let gigabitsPerSecond: Double
    }

    let fzctlPath: String
    let crypto: String
    let io: String
    let seconds: Int
    let tests: [String]

    static func parsePairs(_ text: String) throws -> [Pair] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let sides = item.split(separator: "<").joined().split(separator: ">").joined()
            let parts = sides.components(separatedBy: "-")
            // Accepted spellings: fzctl-fzctl, fzctl-wireguard-go, wireguard-go-wireguard-go (or with <->).
            let normalized = parts.joined(separator: "-")
            switch normalized {
            case "fzctl-fzctl": return Pair(a: .fzctl, b: .fzctl)
            case "fzctl-wireguard-go": return Pair(a: .fzctl, b: .wireguardGo)
            case "wireguard-go-fzctl": return Pair(a: .wireguardGo, b: .fzctl)
            case "wireguard-go-wireguard-go": return Pair(a: .wireguardGo, b: .wireguardGo)
            default:
                throw FZCtlError.invalidInput("--pairs: '\(DisplayText.echo(item))' is not a pair; "
                    + "use fzctl-fzctl, fzctl-wireguard-go or wireguard-go-wireguard-go")
            }
        }
    }

    func run(_ pair: Pair) throws -> [Result] {
        let topology = try Topology(id: "\(getpid() % 100_000)")
        defer { topology.tearDown() }
        try topology.start(pair, fzctl: fzctlPath, crypto: crypto, io: io)
        try topology.waitForHandshake()
        var results: [Result] = []
        let io = pair.a == .fzctl || pair.b == .fzctl ? self.io : "wireguard-go"
        let crypto = pair.a == .fzctl || pair.b == .fzctl ? self.crypto : "wireguard-go"
        for test in tests {
            let rate = try topology.iperf(test: test, seconds: seconds)
            results.append(Result(pair: pair.name, io: io, crypto: crypto, test: test, gigabitsPerSecond: rate))
        }
        return results
    }

    static func json(_ results: [Result]) -> String {
        "[" + results.map { r in
            "{\"pair\": \"\(r.pair)\", \"io\": \"\(r.io)\", \"crypto\": \"\(r.crypto)\", \"test\": \"\(r.test)\", "
                + "\"gbit_per_s\": \(CryptoBenchmark.format(r.gigabitsPerSecond, 3))}"
        }.joined(separator: ",\n ") + "]"
    }

    static func table(_ results: [Result]) -> String {
        var out = "pair".padding(30) + "io".padding(14) + "crypto".padding(14) + "test".padding(6)
            + "Gbit/s".leftPadded(9) + "vs wireguard-go".leftPadded(17) + "\n"
        for r in results {
            let reference = results.first { $0.pair == "wireguard-go<->wireguard-go" && $0.test == r.test }
            let ratio = reference.map { $0.gigabitsPerSecond > 0 ? r.gigabitsPerSecond / $0.gigabitsPerSecond : 0 }
            out += r.pair.padding(30) + r.io.padding(14) + r.crypto.padding(14) + r.test.padding(6)
                + CryptoBenchmark.format(r.gigabitsPerSecond, 3).leftPadded(9)
                + (ratio.map { CryptoBenchmark.format($0, 2) + "x" } ?? "-").leftPadded(17) + "\n"
        }
        return out
    }
}

/// Two namespaces, a veth pair and a tunnel between them; everything is removed by `tearDown`.
final class Topology {
    let nsA: String
    let nsB: String
    let ifA: String
    let ifB: String
    let work: String
    var processes: [SpawnedProcess] = []

    static let outerA = "10.203.0.1", outerB = "10.203.0.2"
    static let innerA = "10.204.0.1", innerB = "10.204.0.2"

    init(id: String) throws {
        nsA = "fzba\(id)"
        nsB = "fzbb\(id)"
        ifA = "fzta\(id)"
        ifB = "fztb\(id)"
        work = NSTemporaryDirectory() + "fz-bench-\(id)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Subprocess.run(["ip", "netns", "add", nsA])
        try Subprocess.run(["ip", "netns", "add", nsB])
        try Subprocess.run(["ip", "link", "add", "v\(ifA)", "type", "veth", "peer", "name", "v\(ifB)"])
        try Subprocess.run(["ip", "link", "set", "v\(ifA)", "netns", nsA])
        try Subprocess.run(["ip", "link", "set", "v\(ifB)", "netns", nsB])
        try Subprocess.run(["ip", "-n", nsA, "addr", "add", "\(Self.outerA)/24", "dev", "v\(ifA)"])
        try Subprocess.run(["ip", "-n", nsB, "addr", "add", "\(Self.outerB)/24", "dev", "v\(ifB)"])
        for (ns, dev) in [(nsA, "v\(ifA)"), (nsB, "v\(ifB)")] {
            try Subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"])
            try Subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"])
        }
    }

    func start(_ pair: TunnelBenchmark.Pair, fzctl: String, crypto: String, io: String) throws {
        let keyA = try Subprocess.run(["wg", "genkey"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let keyB = try Subprocess.run(["wg", "genkey"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let pubA = try Subprocess.run(["wg", "pubkey"], stdin: keyA).trimmingCharacters(in: .whitespacesAndNewlines)
        let pubB = try Subprocess.run(["wg", "pubkey"], stdin: keyB).trimmingCharacters(in: .whitespacesAndNewlines)
        try startSide(pair.a, ns: nsA, iface: ifA, key: keyA, address: Self.innerA, peer: pubB,
                      peerInner: Self.innerB, peerOuter: Self.outerB, fzctl: fzctl, crypto: crypto, io: io)
        try startSide(pair.b, ns: nsB, iface: ifB, key: keyB, address: Self.innerB, peer: pubA,
                      peerInner: Self.innerA, peerOuter: Self.outerA, fzctl: fzctl, crypto: crypto, io: io)
    }

    func startSide(_ side: TunnelBenchmark.Side, ns: String, iface: String, key: String, address: String,
                   peer: String, peerInner: String, peerOuter: String, fzctl: String, crypto: String,
                   io: String) throws {
        let config = """
            [Interface]
            PrivateKey = \(key)
            ListenPort = 51820
            Address = \(address)/24
            MTU = 1420

            [Peer]
            PublicKey = \(peer)
            AllowedIPs = \(peerInner)/32
            Endpoint = \(peerOuter):51820

            """
        let path = "\(work)/\(iface).conf"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        switch side {
        case .fzctl:
            processes.append(try Subprocess.start(
                ["ip", "netns", "exec", ns, fzctl, "up", path, "--interface", iface, "--crypto", crypto, "--io", io],
                logPath: "\(work)/\(iface).log"))
            try waitFor("\(iface) to come up") { (try? Subprocess.run(["ip", "-n", ns, "link", "show", iface])) != nil }
        case .wireguardGo:
            processes.append(try Subprocess.start(
                ["ip", "netns", "exec", ns, "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", iface],
                logPath: "\(work)/\(iface).log"))
            try waitFor("wireguard-go's \(iface)") {
                FileManager.default.fileExists(atPath: "/var/run/wireguard/\(iface).sock")
            }
            let wgConfig = config.split(separator: "\n")
                .filter { !$0.hasPrefix("Address") && !$0.hasPrefix("MTU") }.joined(separator: "\n")
            let wgPath = "\(work)/\(iface).wg"
            try wgConfig.write(toFile: wgPath, atomically: true, encoding: .utf8)
            try Subprocess.run(["ip", "netns", "exec", ns, "wg", "setconf", iface, wgPath])
            try Subprocess.run(["ip", "-n", ns, "addr", "add", "\(address)/24", "dev", iface])
            try Subprocess.run(["ip", "-n", ns, "link", "set", iface, "mtu", "1420", "up"])
        }
    }

    func waitFor(_ what: String, timeout: Double = 10, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        throw FZCtlError.invalidInput("timed out waiting for \(what); logs in \(work)")
    }

    func waitForHandshake() throws {
        try waitFor("the first ping through the tunnel (handshake)", timeout: 20) {
            (try? Subprocess.run(["ip", "netns", "exec", nsA, "ping", "-c", "1", "-W", "1", Self.innerB])) != nil
        }
    }

    /// Runs iperf3 from A to B and returns the received throughput in Gbit/s.
    func iperf(test: String, seconds: Int) throws -> Double {
        let server = try Subprocess.start(["ip", "netns", "exec", nsB, "iperf3", "-s", "-B", Self.innerB],
                                          logPath: "\(work)/iperf-server-\(test).log")
        processes.append(server)
        var command = ["ip", "netns", "exec", nsA, "iperf3", "-c", Self.innerB, "-t", "\(seconds)", "-J"]
        if test == "udp" { command += ["-u", "-b", "0", "-l", "1372"] }
        // The server may still be starting; a refused connection is retried a few times. iperf3 -J reports
        // some failures only in its JSON, with exit status 0.
        var result: (object: [String: Any], end: [String: Any])?
        var lastError = "no attempt"
        for _ in 1...20 {
            do {
                let output = try Subprocess.run(command)
                if let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] {
                    if let error = object["error"] as? String {
                        lastError = error
                    } else if let end = object["end"] as? [String: Any] {
                        result = (object, end)
                        break
                    }
                }
            } catch {
                lastError = "\(error)"
            }
            // Only a server that is not listening yet is worth another try.
            guard lastError.contains("connect") || lastError.contains("refused") else { break }
            usleep(200_000)
        }
        server.stop()
        guard let end = result?.end else {
            throw FZCtlError.invalidInput("iperf3 \(test) through the tunnel failed: \(lastError)")
        }
        if test == "udp" {
            // The receiver's view: what arrived, not what the sender pushed into a full queue.
            let sum = (end["sum_received"] as? [String: Any]) ?? (end["sum"] as? [String: Any]) ?? [:]
            let bits = sum["bits_per_second"] as? Double ?? 0
            let lost = (end["sum"] as? [String: Any])?["lost_percent"] as? Double ?? 0
            return (end["sum_received"] != nil ? bits : bits * (1 - lost / 100)) / 1e9
        }
        let received = end["sum_received"] as? [String: Any]
        return (received?["bits_per_second"] as? Double ?? 0) / 1e9
    }

    func tearDown() {
        for process in processes { process.stop() }
        _ = try? Subprocess.run(["ip", "netns", "del", nsA])
        _ = try? Subprocess.run(["ip", "netns", "del", nsB])
        for iface in [ifA, ifB] { try? FileManager.default.removeItem(atPath: "/var/run/wireguard/\(iface).sock") }
        try? FileManager.default.removeItem(atPath: work)
    }
}

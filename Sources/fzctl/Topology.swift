import Foundation
import HostSetup

/// Two namespaces, a veth pair and a tunnel between them; everything is removed by `tearDown`.
final class Topology {
    let nsA: String
    let nsB: String
    let ifA: String
    let ifB: String
    let work: String
    var processes: [SpawnedProcess] = []
    /// The two tunnel processes (fzctl or wireguard-go), whose CPU time the benchmark reads.
    var tunnelProcesses: [SpawnedProcess] = []
    /// Each tunnel process's log, in the order of `tunnelProcesses`.
    private var tunnelLogs: [String] = []
    private var iperfServer: SpawnedProcess?
    private var udpProbe: PacedUDPProbe?

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

    /// Where iperf3 sends: B's tunnel address, or its veth address when there is no tunnel.
    private var target = Topology.innerB

    /// Starts side A and side B; fzctl sides run `variant` (required when a side is fzctl). The bare veth starts
    /// nothing: iperf3 then runs between the outer addresses.
    func start(_ pair: TunnelBenchmark.Pair, fzctl: String, variant: TunnelBenchmark.Variant?) throws {
        guard let sides = pair.sides else {
            target = Self.outerB
            return
        }
        let keyA = try Subprocess.run(["wg", "genkey"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let keyB = try Subprocess.run(["wg", "genkey"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let pubA = try Subprocess.run(["wg", "pubkey"], stdin: keyA).trimmingCharacters(in: .whitespacesAndNewlines)
        let pubB = try Subprocess.run(["wg", "pubkey"], stdin: keyB).trimmingCharacters(in: .whitespacesAndNewlines)
        try startSide(sides.a, ns: nsA, iface: ifA, key: keyA, address: Self.innerA, peer: pubB,
                      peerInner: Self.innerB, peerOuter: Self.outerB, fzctl: fzctl, variant: variant)
        try startSide(sides.b, ns: nsB, iface: ifB, key: keyB, address: Self.innerB, peer: pubA,
                      peerInner: Self.innerA, peerOuter: Self.outerA, fzctl: fzctl, variant: variant)
    }

    func startSide(_ side: TunnelBenchmark.Side, ns: String, iface: String, key: String, address: String,
                   peer: String, peerInner: String, peerOuter: String, fzctl: String,
                   variant: TunnelBenchmark.Variant?) throws {
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
        let logPath = "\(work)/\(iface).log"
        switch side {
        case .fzctl:
            guard let variant else { preconditionFailure("an fzctl side needs a variant") }
            let process = try Subprocess.start(
                ["ip", "netns", "exec", ns, fzctl, "up", path, "--interface", iface, "--crypto", variant.crypto,
                 "--io", variant.io, "--offloads", variant.offload ? "all" : "none",
                 "--threads", "\(variant.threads)"],
                logPath: logPath)
            processes.append(process)
            tunnelProcesses.append(process)
            tunnelLogs.append(logPath)
            try waitFor("\(iface) to come up", process: process, logPath: logPath) {
                (try? Subprocess.run(["ip", "-n", ns, "link", "show", iface])) != nil
            }
        case .wireguardGo:
            let process = try Subprocess.start(
                ["ip", "netns", "exec", ns, "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", iface],
                logPath: logPath)
            processes.append(process)
            tunnelProcesses.append(process)
            tunnelLogs.append(logPath)
            try waitFor("wireguard-go's \(iface)", process: process, logPath: logPath) {
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

    /// Waits for `condition`, failing early with the end of the process's log if the tunnel process exits.
    func waitFor(_ what: String, process: SpawnedProcess, logPath: String, _ condition: () -> Bool) throws {
        try waitFor(what) {
            if !process.isRunning {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let tail = log.split(separator: "\n").suffix(3).joined(separator: " / ")
                throw FZCtlError.invalidInput("the tunnel process exited before \(what): \(tail)")
            }
            return condition()
        }
    }

    func waitFor(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        throw FZCtlError.invalidInput("timed out waiting for \(what); logs in \(work)")
    }

    /// Waits until A reaches B over the address iperf3 will use (through the tunnel: its first handshake).
    func waitForHandshake() throws {
        try waitFor("the first ping to \(target) (through a tunnel: its handshake)", timeout: 20) {
            (try? Subprocess.run(["ip", "netns", "exec", nsA, "ping", "-c", "1", "-W", "1", target])) != nil
        }
    }

    /// Runs iperf3 from A to B for `seconds` (UDP at `offeredGigabitsPerSecond`, TCP as fast as it goes) and
    /// returns what B received, the loss (UDP) and both tunnel processes' CPU time per gigabit received.
    func iperf(test: String, seconds: Int, offeredGigabitsPerSecond: Double?) throws -> TunnelBenchmark.Measurement {
        if iperfServer == nil {
            let server = try Subprocess.start(["ip", "netns", "exec", nsB, "iperf3", "-s", "-B", target],
                                              logPath: "\(work)/iperf-server.log")
            processes.append(server)
            iperfServer = server
        }
        // Bounded: an iperf3 client whose tunnel went away can spin forever instead of failing.
        let limit = seconds + 20
        var command = ["timeout", "-k", "2", "\(limit)", "ip", "netns", "exec", nsA, "iperf3", "-c", target,
                       "-t", "\(seconds)", "-J"]
        if test == "udp" {
            let bitsPerSecond = Int(((offeredGigabitsPerSecond ?? 1) * 1e9).rounded())
            // 4 MiB socket buffers on both iperf3 ends: with the default ~200 KiB the receiving iperf3, not the
            // tunnel, drops bursts, and the loss search would measure iperf3.
            command += ["-u", "-b", "\(bitsPerSecond)", "-l", "1372", "-w", "4M"]
        }
        // The server may still be starting; a refused connection is retried a few times. iperf3 -J reports
        // some failures only in its JSON, with exit status 0.
        var end: [String: Any]?
        var lastError = "no attempt"
        var cpuSeconds = 0.0
        for _ in 1...20 {
            let cpuBefore = tunnelCPUSeconds()
            do {
                let output = try Subprocess.run(command)
                if let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] {
                    if let error = object["error"] as? String {
                        lastError = error
                    } else if let found = object["end"] as? [String: Any] {
                        end = found
                        cpuSeconds = tunnelCPUSeconds() - cpuBefore
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
        guard let end else {
            if let died = tunnelProcesses.indices.first(where: { !tunnelProcesses[$0].isRunning }) {
                throw FZCtlError.invalidInput("a tunnel process exited during iperf3 \(test): " + exitReport(died))
            }
            if lastError.contains("exited with 124") {
                lastError = "iperf3 did not finish within \(limit) s"
            }
            throw FZCtlError.invalidInput("iperf3 \(test) through the tunnel failed: \(lastError)")
        }
        let sum = end["sum"] as? [String: Any] ?? [:]
        let received = end["sum_received"] as? [String: Any]
        let gigabitsPerSecond: Double
        let loss: Double?
        if test == "udp" {
            // The receiver's view: what arrived, not what the sender pushed into a full queue.
            let lost = (received?["lost_percent"] as? Double) ?? (sum["lost_percent"] as? Double) ?? 0
            let bits = (received ?? sum)["bits_per_second"] as? Double ?? 0
            gigabitsPerSecond = (received != nil ? bits : bits * (1 - lost / 100)) / 1e9
            loss = lost
        } else {
            gigabitsPerSecond = (received?["bits_per_second"] as? Double ?? 0) / 1e9
            loss = nil
        }
        let duration = (received ?? sum)["seconds"] as? Double ?? Double(seconds)
        let gigabits = gigabitsPerSecond * duration
        return TunnelBenchmark.Measurement(
            gigabitsPerSecond: gigabitsPerSecond, lossPercent: loss,
            offeredGigabitsPerSecond: test == "udp" ? offeredGigabitsPerSecond : nil,
            // iperf3's sender summary: what it wrote over its sending time. Its loss counts against the datagrams
            // it numbered, so unlike fzctl's sender a write the kernel refused is lost but not in this rate, and
            // datagrams lost after the last one to arrive are not counted at all.
            sentGigabitsPerSecond: test == "udp" ? (sum["bits_per_second"] as? Double).map { $0 / 1e9 } : nil,
            cpuSecondsPerGigabit: gigabits > 0 ? cpuSeconds / gigabits : 0)
    }

    /// Offers UDP from A to B with fzctl's own paced sender at `offeredGigabitsPerSecond` for `seconds` and returns
    /// what B received, the loss and both tunnel processes' CPU time per gigabit received.
    func pacedUDP(seconds: Int, offeredGigabitsPerSecond: Double) throws -> TunnelBenchmark.Measurement {
        if udpProbe == nil {
            udpProbe = try PacedUDPProbe(source: NetworkNamespace(name: nsA), sink: NetworkNamespace(name: nsB),
                                         target: target)
        }
        guard let udpProbe else { preconditionFailure("the probe was just made") }
        let cpuBefore = tunnelCPUSeconds()
        let counts = try udpProbe.measure(offeredGigabitsPerSecond: offeredGigabitsPerSecond,
                                          seconds: Double(seconds))
        let cpuSeconds = tunnelCPUSeconds() - cpuBefore
        if let died = tunnelProcesses.indices.first(where: { !tunnelProcesses[$0].isRunning }) {
            throw FZCtlError.invalidInput("a tunnel process exited during the UDP probe: " + exitReport(died))
        }
        let gigabits = counts.gigabitsPerSecond * counts.seconds
        return TunnelBenchmark.Measurement(
            gigabitsPerSecond: counts.gigabitsPerSecond, lossPercent: counts.lossPercent,
            offeredGigabitsPerSecond: offeredGigabitsPerSecond, sentGigabitsPerSecond: counts.sentGigabitsPerSecond,
            cpuSecondsPerGigabit: gigabits > 0 ? cpuSeconds / gigabits : 0)
    }

    /// The lines of tunnel process `index`'s log that say why it stopped.
    private func exitReport(_ index: Int) -> String {
        let log = (try? String(contentsOfFile: tunnelLogs[index], encoding: .utf8)) ?? ""
        let lines = log.split(separator: "\n")
        // A crash report is long: its failure line says the most; else the end of the log.
        let telling = lines.filter { $0.localizedCaseInsensitiveContains("failure")
            || $0.localizedCaseInsensitiveContains("error") || $0.hasPrefix("Fatal") }
        let shown = telling.isEmpty ? Array(lines.suffix(3)) : Array(telling.prefix(3))
        return shown.joined(separator: " / ")
    }

    /// User plus system CPU seconds the tunnel processes have used so far (`/proc/PID/stat`).
    func tunnelCPUSeconds() -> Double {
        tunnelProcesses.reduce(0) { $0 + ProcessCPU.seconds(of: $1.pid) }
    }

    func tearDown() {
        udpProbe?.close()
        udpProbe = nil
        for process in processes { process.stop() }
        _ = try? Subprocess.run(["ip", "netns", "del", nsA])
        _ = try? Subprocess.run(["ip", "netns", "del", nsB])
        for iface in [ifA, ifB] { try? FileManager.default.removeItem(atPath: "/var/run/wireguard/\(iface).sock") }
        try? FileManager.default.removeItem(atPath: work)
    }
}

/// CPU time of another process, from `/proc/PID/stat`.
enum ProcessCPU {
    /// utime + stime of `pid` in seconds, or 0 if it cannot be read.
    static func seconds(of pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return 0 }
        return seconds(statLine: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// utime + stime from a `/proc/PID/stat` line. The command name (field 2) may hold spaces and parentheses,
    /// so fields are counted from the last `)`: utime and stime are fields 14 and 15.
    static func seconds(statLine: String, ticksPerSecond: Double) -> Double {
        guard let close = statLine.lastIndex(of: ")"), ticksPerSecond > 0 else { return 0 }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }
}

import DataPlane
import Foundation
import Glibc
import Synchronization

/// The measurement behind `fzctl bench io`: how many UDP packets per second one backend's loop thread moves
/// on loopback, and how much of that thread's CPU time each million costs.
///
/// For each row a fresh backend is opened on 127.0.0.1 and runs a ``IOBenchHandler`` on its own loop thread;
/// a ``UDPGSOGenerator`` thread floods it with UDP GSO sends (64 datagrams or 64 KB per call) so the generator
/// is never the bottleneck, and its CPU never counts: only the loop thread's clock
/// (`pthread_getcpuclockid`) is read. `receive` rows receive and release; `forward` rows send every received
/// entry on to a sink socket nobody reads (sends to it succeed; the kernel drops what overflows its buffer).
/// With offloads, the backend receives with UDP GRO (an entry is a train of datagrams) and forwards with UDP GSO.
struct IOBenchmark {
    enum Mode: String, CaseIterable {
        case receive
        case forward
    }

    struct Row {
        let io: String
        let mode: Mode
        let bytes: Int
        let offload: Bool
        /// What the backend had in effect, e.g. `gro,gso (set by the bench)`, or `none`.
        let offloadsUsed: String
        let packetsPerSecond: Double
        let cpuSecondsPerMillionPackets: Double
        /// The loop thread's CPU time over wall time, 0...1.
        let loopCPUShare: Double
        /// Why the row could not be measured, or nil.
        let error: String?
    }

    let backends: [any BenchIOBackend.Type]
    let sizes: [Int]
    let modes: [Mode]
    let offloadModes: [Bool]
    let seconds: Double

    /// Every row; a row that fails carries its error and the run goes on. Offload rows a backend cannot run
    /// on this host are left out and named in `skipped`.
    func run(log: (String) -> Void) -> (rows: [Row], skipped: [String]) {
        var rows: [Row] = []
        var skipped: [String] = []
        for backend in backends {
            let probe = backend.probe()
            for offload in offloadModes {
                for mode in modes {
                    let wanted = Self.wantedOffloads(mode: mode, offload: offload)
                    if probe.isUsable && !probe.offloads.isSuperset(of: wanted) {
                        skipped.append("\(backend.name) \(mode.rawValue) with offloads: this host lacks "
                            + "\(wanted.subtracting(probe.offloads)) for it")
                        continue
                    }
                    for size in sizes {
                        log("\(backend.name) \(mode.rawValue) \(size) bytes offload \(offload)")
                        rows.append(measure(backend, probe: probe, mode: mode, size: size, offload: offload))
                    }
                }
            }
        }
        return (rows, skipped)
    }

    /// The offloads a row with `offload` asks of the backend in `mode`.
    static func wantedOffloads(mode: Mode, offload: Bool) -> PacketOffloads {
        guard offload else { return [] }
        return mode == .receive ? [.udpGRO] : [.udpGRO, .udpGSO]
    }

    func measure(_ backend: any BenchIOBackend.Type, probe: PacketIOProbe, mode: Mode, size: Int, offload: Bool)
        -> Row
    {
        func failed(_ reason: String) -> Row {
            Row(io: backend.name, mode: mode, bytes: size, offload: offload, offloadsUsed: "-", packetsPerSecond: 0,
                cpuSecondsPerMillionPackets: 0, loopCPUShare: 0, error: reason)
        }
        if let reason = probe.unusableReason { return failed("\(backend.name) is not usable here: \(reason)") }
        let wanted = Self.wantedOffloads(mode: mode, offload: offload)
        let counters = IOBenchCounters()
        let sink: BenchSinkSocket
        let running: any BenchLoopRunning
        do {
            sink = try BenchSinkSocket()
            running = try backend.start(
                IOBenchSetup(mode: mode, offloads: wanted, sink: sink.endpoint, counters: counters))
        } catch {
            return failed("\(error)")
        }
        defer { _ = running.stopAndJoin() }
        let generator: UDPGSOGenerator
        do {
            generator = try UDPGSOGenerator(port: running.port, payloadBytes: size)
        } catch {
            return failed("\(error)")
        }
        generator.start()
        defer { generator.stop() }
        // Warm up (caches, socket buffers filling), then measure.
        usleep(UInt32(min(0.2, seconds / 2) * 1e6))
        guard let before = counters.snapshot() else {
            return failed(counters.failure ?? "the loop thread did not start")
        }
        usleep(UInt32(seconds * 1e6))
        guard let after = counters.snapshot() else {
            return failed(counters.failure ?? "the loop thread stopped")
        }
        if let failure = counters.failure { return failed(failure) }
        let packets = Double(after.packets - before.packets)
        let wall = after.wallSeconds - before.wallSeconds
        let cpu = after.cpuSeconds - before.cpuSeconds
        guard packets > 0, wall > 0 else {
            return failed("no packets arrived in \(seconds) s (generator: \(generator.failure ?? "sent"))")
        }
        return Row(io: backend.name, mode: mode, bytes: size, offload: offload,
                   offloadsUsed: running.offloadsUsed, packetsPerSecond: packets / wall,
                   cpuSecondsPerMillionPackets: cpu / (packets / 1e6), loopCPUShare: cpu / wall, error: nil)
    }

    static func json(_ rows: [Row]) -> String {
        "[" + rows.map { r in
            var object = "{\"io\": \(jsonString(r.io)), \"mode\": \"\(r.mode.rawValue)\", \"bytes\": \(r.bytes), "
                + "\"offload\": \(r.offload), \"mpps\": \(CryptoBenchmark.format(r.packetsPerSecond / 1e6, 4)), "
                + "\"cpu_s_per_mpkt\": \(CryptoBenchmark.format(r.cpuSecondsPerMillionPackets, 4)), "
                + "\"loop_cpu_share\": \(CryptoBenchmark.format(r.loopCPUShare, 3)), "
                + "\"offloads_used\": \(jsonString(r.offloadsUsed))"
            if let error = r.error { object += ", \"error\": \(jsonString(error))" }
            return object + "}"
        }.joined(separator: ",\n ") + "]"
    }

    static func table(_ rows: [Row], skipped: [String], seconds: Double) -> String {
        var out = "UDP on loopback, one loop thread per backend, \(CryptoBenchmark.format(seconds, 1)) s per row; "
            + "CPU is the loop thread's only\n\n"
        out += "io".padding(10) + "mode".padding(9) + "bytes".leftPadded(6) + "  " + "offload".padding(9)
            + "Mpps".leftPadded(8) + "CPU s/Mpkt".leftPadded(12) + "loop CPU".leftPadded(10) + "  offloads used\n"
        for r in rows {
            out += r.io.padding(10) + r.mode.rawValue.padding(9) + "\(r.bytes)".leftPadded(6) + "  "
                + (r.offload ? "yes" : "no").padding(9)
            if let error = r.error {
                out += "error: \(error)\n"
                continue
            }
            out += CryptoBenchmark.format(r.packetsPerSecond / 1e6, 3).leftPadded(8)
                + CryptoBenchmark.format(r.cpuSecondsPerMillionPackets, 3).leftPadded(12)
                + (CryptoBenchmark.format(r.loopCPUShare * 100, 0) + "%").leftPadded(10) + "  " + r.offloadsUsed + "\n"
        }
        for line in skipped { out += "not run: \(line)\n" }
        return out
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// What a backend needs to start one row's loop.
struct IOBenchSetup: Sendable {
    let mode: IOBenchmark.Mode
    /// The offloads the row asks for: empty, `gro` (receive) or `gro,gso` (forward).
    let offloads: PacketOffloads
    /// Where `forward` sends.
    let sink: Endpoint
    let counters: IOBenchCounters

    /// Bytes per pool buffer: a whole GRO train (64 KiB) with room around it, or one datagram.
    var bufferSize: Int { offloads.contains(.udpGRO) ? PacketOffloads.superPacketBufferSize : 2048 }
    /// Buffers in the pool: a few batches' worth; trains are large.
    var bufferCount: Int { offloads.contains(.udpGRO) ? 512 : 1024 }
    /// `SO_RCVBUF` / `SO_SNDBUF` asked for the backend's socket.
    static let socketBufferBytes = 8 << 20
}

/// Counts what the loop thread moved, and lets another thread read its CPU clock.
///
/// Written only by the loop thread (relaxed stores of a running total), read by the bench's main thread.
final class IOBenchCounters: Sendable {
    private let packets = Atomic<Int>(0)
    private let clock = Atomic<Int32>(-1)
    private let failed = Mutex<String?>(nil)

    struct Snapshot {
        let packets: Int
        let cpuSeconds: Double
        let wallSeconds: Double
    }

    /// Called on the loop thread once, when its loop starts: publishes the thread's CPU clock.
    func loopStarted() {
        var id = clockid_t()
        if pthread_getcpuclockid(pthread_self(), &id) == 0 {
            clock.store(id, ordering: .releasing)
        }
    }

    /// Called on the loop thread: `count` more packets moved.
    @inline(__always)
    func add(_ count: Int) {
        packets.store(packets.load(ordering: .relaxed) &+ count, ordering: .relaxed)
    }

    /// Called on the loop thread when a channel call failed; the loop then stops.
    func fail(_ reason: String) {
        failed.withLock { $0 = $0 ?? reason }
    }

    var failure: String? { failed.withLock { $0 } }

    /// The packet total, the loop thread's CPU time and the wall clock now; nil before the loop started.
    func snapshot() -> Snapshot? {
        let id = clock.load(ordering: .acquiring)
        guard id != -1 else { return nil }
        var cpu = timespec()
        var wall = timespec()
        guard clock_gettime(id, &cpu) == 0 else { return nil }
        clock_gettime(CLOCK_MONOTONIC, &wall)
        return Snapshot(packets: packets.load(ordering: .relaxed), cpuSeconds: Self.seconds(cpu),
                        wallSeconds: Self.seconds(wall))
    }

    private static func seconds(_ time: timespec) -> Double {
        Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The bench's core on a backend's loop thread: receives until nothing waits (bounded, so the loop still sees
/// its stop signal under a flood), counts packets (a GRO train counts each datagram) and releases them or sends
/// them on to the sink. Generic over the backend so the packet path is specialized for it.
final class IOBenchHandler<IO: PacketIO>: PacketIOHandler {
    private let mode: IOBenchmark.Mode
    private let sink: Endpoint
    private let counters: IOBenchCounters
    private var batch: PacketBatch

    /// Most receive calls per wake-up before the loop gets control back.
    private static var receivesPerWake: Int { 64 }

    init(io: IO, setup: IOBenchSetup, batchSize: Int) {
        mode = setup.mode
        sink = setup.sink
        counters = setup.counters
        batch = PacketBatch(pool: io.pool, capacity: batchSize)
    }

    func handle(_ events: PacketIOEvents, io: IO, now: MonotonicInstant) -> PacketLoopDirective {
        if events.contains(.started) { counters.loopStarted() }
        do {
            for _ in 0..<Self.receivesPerWake {
                guard try io.datagrams.receive(into: &batch) > 0 else { break }
                var packets = 0
                for index in 0..<batch.count { packets += batch[index].packetCount }
                if mode == .forward {
                    for index in 0..<batch.count {
                        var entry = batch[index]
                        entry.destination = sink
                        entry.source = nil
                        batch[index] = entry
                    }
                    let result = try io.datagrams.send(&batch)
                    // Drops are counted per entry; a dropped train takes its share of the packets with it.
                    let entries = result.sent + result.dropped
                    if result.dropped > 0, entries > 0 { packets = packets * result.sent / entries }
                } else {
                    batch.removeAll()
                }
                counters.add(packets)
            }
        } catch {
            counters.fail("\(error)")
            return .stop
        }
        return .wait(deadline: nil)
    }
}

/// A plain UDP socket on 127.0.0.1 that `forward` rows send to and nobody reads.
final class BenchSinkSocket {
    let fileDescriptor: Int32
    let endpoint: Endpoint

    init() throws(IOBenchError) {
        let (fd, port) = try BenchSocket.openLoopbackUDP()
        fileDescriptor = fd
        endpoint = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: port)
    }

    deinit { close(fileDescriptor) }
}

/// A system call of the bench itself failed.
struct IOBenchError: Error, CustomStringConvertible {
    let description: String

    init(_ call: String, errno code: Int32) {
        description = "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Small socket calls the bench makes on its own sockets.
enum BenchSocket {
    /// `SOL_UDP` options (linux/udp.h), spelled out because glibc's headers do not always export them.
    static let solUDP: Int32 = 17
    static let udpSegment: Int32 = 103
    static let udpGRO: Int32 = 104

    /// A blocking UDP socket bound to 127.0.0.1 on a kernel-chosen port, and that port.
    static func openLoopbackUDP() throws(IOBenchError) -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_UDP))
        guard fd >= 0 else { throw IOBenchError("socket(AF_INET, SOCK_DGRAM)", errno: errno) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw IOBenchError("bind/getsockname(127.0.0.1)", errno: code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// Sets an `Int32` socket option.
    static func set(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32, name: String)
        throws(IOBenchError)
    {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw IOBenchError("setsockopt(\(name))", errno: errno)
        }
    }

    /// Which of UDP GSO and GRO this kernel accepts on a UDP socket.
    static func probeOffloads() -> PacketOffloads {
        guard let (fd, _) = try? openLoopbackUDP() else { return [] }
        defer { close(fd) }
        var found: PacketOffloads = []
        if (try? set(fd, solUDP, udpGRO, 1, name: "UDP_GRO")) != nil { found.insert(.udpGRO) }
        if (try? set(fd, solUDP, udpSegment, 1400, name: "UDP_SEGMENT")) != nil { found.insert(.udpGSO) }
        return found
    }
}

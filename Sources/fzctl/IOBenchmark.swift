import DataPlane
import Foundation
import Glibc
import PacketLoopSupport
import Synchronization

/// The measurement behind `fzctl bench io`: how many UDP packets per second one backend's loop thread moves
/// on loopback, and how much of that thread's CPU time each million costs.
///
/// For each row a fresh backend is opened on 127.0.0.1 and runs a ``IOBenchHandler`` on its own loop thread. The
/// row's cost is the loop threads' CPU clocks (`pthread_getcpuclockid`).
///
/// `receive` rows: a ``UDPGSOGenerator`` thread floods the backend with UDP GSO sends (64 datagrams or 64 KB per
/// call), and the backend receives and releases. The generator's own clock is reported beside the loops': on
/// loopback the kernel delivers each datagram in the sender's context, so it pays the receiving socket's share.
///
/// `forward` rows recirculate: the generator injects a fixed load (``windowPerWorker(size:)`` datagrams per
/// worker) once, and each worker sends every entry it receives back to its own port, where the steering program
/// hands it to the same worker again. Each worker so pays for a whole hop per datagram (its receive, its send and
/// the kernel's delivery of that send, which loopback runs in the sender's context) and no traffic source shares
/// the cores with it: a running generator costs about what a worker does per datagram, and on a 2-core host would
/// leave a second worker little to gain. After the measurement the workers drain the load, and the row reports what
/// did not come back (`lost`): a thinning load would not show in the rate. With `countReorderings` they run open
/// instead: the generator feeds the workers, each sends on to a sink socket of its own, and a thread reading the
/// sink checks each flow's order.
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
        /// Loop threads (workers), each with its own socket on the one port.
        let threads: Int
        /// What the backend had in effect, e.g. `gro,gso (set by the bench)`, or `none`.
        let offloadsUsed: String
        let packetsPerSecond: Double
        let cpuSecondsPerMillionPackets: Double
        /// The loop thread's CPU time over wall time, 0...1.
        let loopCPUShare: Double
        /// The traffic generator's CPU seconds per million packets the loops moved (nil: not measured). On a host
        /// where it shares the cores with the loops, it bounds what more workers can gain.
        var generatorCPUSecondsPerMillionPackets: Double? = nil
        /// Why the row could not be measured, or nil.
        let error: String?
        /// Datagrams the sink saw before one of their flow it had already seen (nil: not counted).
        var reorderings: Int? = nil
        /// A recirculating row's load: datagrams injected, and how many of them did not come back when the workers
        /// drained it after the measurement (nil: not a recirculating row).
        var injected: Int? = nil
        var lost: Int? = nil
        /// Rounds the figures are the median of.
        let rounds: Int
        /// The lowest and highest CPU cost of the rounds (both the one figure after one round).
        let cpuRange: ClosedRange<Double>

        init(
            io: String, mode: Mode, bytes: Int, offload: Bool, threads: Int, offloadsUsed: String,
            packetsPerSecond: Double, cpuSecondsPerMillionPackets: Double, loopCPUShare: Double, error: String?,
            rounds: Int = 1, cpuRange: ClosedRange<Double>? = nil
        ) {
            self.io = io
            self.mode = mode
            self.bytes = bytes
            self.offload = offload
            self.threads = threads
            self.offloadsUsed = offloadsUsed
            self.packetsPerSecond = packetsPerSecond
            self.cpuSecondsPerMillionPackets = cpuSecondsPerMillionPackets
            self.loopCPUShare = loopCPUShare
            self.error = error
            self.rounds = rounds
            self.cpuRange = cpuRange ?? cpuSecondsPerMillionPackets...cpuSecondsPerMillionPackets
        }
    }

    /// One row to measure, before any round has run.
    struct Plan {
        let backend: any BenchIOBackend.Type
        let probe: PacketIOProbe
        let mode: Mode
        let size: Int
        let offload: Bool
        let threads: Int
    }

    let backends: [any BenchIOBackend.Type]
    let sizes: [Int]
    let modes: [Mode]
    let offloadModes: [Bool]
    let seconds: Double
    /// Worker counts to measure each row with.
    var threads: [Int] = [1]
    /// Whether the sink reads what `forward` rows send and counts reorderings within each flow.
    var countReorderings = false
    /// Times each row is measured. Rounds run one after another through every row, so the backends take turns
    /// and a burst of noise from the rest of the machine falls on all of them, not on one backend's rows.
    var rounds = 1

    /// Flows the generator sends (each its own socket and source port), spread over the workers by the
    /// receiver-index steering program: a datagram's bytes 4-7 carry its flow, as a transport message's do.
    static let flows = 8

    /// How far the generator may run ahead of each worker: a few batches, well inside a socket buffer.
    static func windowPerWorker(size: Int) -> Int {
        min(2048, max(256, (IOBenchSetup.socketBufferBytes / 4) / max(size + 700, 1)))
    }

    /// Every row; a row that fails carries its error and the run goes on. Offload rows a backend cannot run
    /// on this host are left out and named in `skipped`.
    func run(log: (String) -> Void) -> (rows: [Row], skipped: [String]) {
        let (plans, skipped) = plan()
        var samples = Array(repeating: [Row](), count: plans.count)
        for round in 1...max(1, rounds) {
            for (index, plan) in plans.enumerated() {
                // A row that failed once is reported as failed; measuring it again would only repeat the error.
                if samples[index].last?.error != nil { continue }
                log("\(plan.backend.name) \(plan.mode.rawValue) \(plan.size) bytes offload \(plan.offload) "
                    + "threads \(plan.threads)" + (rounds > 1 ? " round \(round) of \(rounds)" : ""))
                samples[index].append(measure(plan.backend, probe: plan.probe, mode: plan.mode, size: plan.size,
                                              offload: plan.offload, threads: plan.threads))
            }
        }
        return (samples.map(Self.median), skipped)
    }

    /// The rows to measure, in the order the table lists them, and the offload rows this host cannot run.
    func plan() -> (plans: [Plan], skipped: [String]) {
        var plans: [Plan] = []
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
                        for threads in threads {
                            plans.append(Plan(backend: backend, probe: probe, mode: mode, size: size,
                                              offload: offload, threads: threads))
                        }
                    }
                }
            }
        }
        return (plans, skipped)
    }

    /// One row from a row's rounds: the median of each figure, the CPU cost's range, and the reorderings of all
    /// rounds together. A failed round makes the row a failure.
    static func median(_ samples: [Row]) -> Row {
        if let failed = samples.first(where: { $0.error != nil }) {
            return failed
        }
        let first = samples[0]
        let cpu = samples.map(\.cpuSecondsPerMillionPackets)
        var row = Row(io: first.io, mode: first.mode, bytes: first.bytes, offload: first.offload,
                      threads: first.threads, offloadsUsed: first.offloadsUsed,
                      packetsPerSecond: BenchMedian.of(samples.map(\.packetsPerSecond)),
                      cpuSecondsPerMillionPackets: BenchMedian.of(cpu),
                      loopCPUShare: BenchMedian.of(samples.map(\.loopCPUShare)),
                      error: nil, rounds: samples.count, cpuRange: cpu.min()!...cpu.max()!)
        let counted = samples.compactMap(\.reorderings)
        if !counted.isEmpty { row.reorderings = counted.reduce(0, +) }
        let lost = samples.compactMap(\.lost)
        if !lost.isEmpty {
            row.lost = lost.reduce(0, +)
            row.injected = samples.compactMap(\.injected).reduce(0, +)
        }
        let generator = samples.compactMap(\.generatorCPUSecondsPerMillionPackets)
        if generator.count == samples.count { row.generatorCPUSecondsPerMillionPackets = BenchMedian.of(generator) }
        return row
    }

    /// The offloads a row with `offload` asks of the backend in `mode`.
    static func wantedOffloads(mode: Mode, offload: Bool) -> PacketOffloads {
        guard offload else { return [] }
        return mode == .receive ? [.udpGRO] : [.udpGRO, .udpGSO]
    }

    func measure(
        _ backend: any BenchIOBackend.Type, probe: PacketIOProbe, mode: Mode, size: Int, offload: Bool, threads: Int
    ) -> Row {
        func failed(_ reason: String) -> Row {
            Row(io: backend.name, mode: mode, bytes: size, offload: offload, threads: threads, offloadsUsed: "-",
                packetsPerSecond: 0, cpuSecondsPerMillionPackets: 0, loopCPUShare: 0, error: reason)
        }
        if let reason = probe.unusableReason { return failed("\(backend.name) is not usable here: \(reason)") }
        guard size >= UDPGSOGenerator.headerBytes else {
            return failed("datagrams of \(size) bytes cannot carry the flow and sequence header")
        }
        let wanted = Self.wantedOffloads(mode: mode, offload: offload)
        let counters = (0..<threads).map { _ in IOBenchCounters() }
        // Forward rows recirculate unless a sink must read them in order (see the type's comment).
        let recirculate = mode == .forward && !countReorderings
        var sinks: [BenchSinkSocket] = []
        var running: [any BenchLoopRunning] = []
        defer { for loop in running { _ = loop.stopAndJoin() } }
        do {
            if mode == .forward && !recirculate {
                for _ in 0..<threads { sinks.append(try BenchSinkSocket()) }
            }
            for worker in 0..<threads {
                var setup = IOBenchSetup(mode: mode, offloads: wanted,
                                         sink: sinks.isEmpty ? nil : sinks[worker].endpoint, counters: counters[worker])
                setup.port = running.first?.port ?? 0
                setup.reusePort = threads > 1
                setup.threadName = "fz-bench-w\(worker)"
                running.append(try backend.start(setup))
            }
            if threads > 1 {
                for fd in running[0].fileDescriptors { try WorkerSteering.attach(to: fd, workers: threads) }
            }
        } catch {
            return failed("\(error)")
        }
        let orders = countReorderings && mode == .forward ? sinks.map {
            $0.startCountingReorderings(datagramBytes: size)
        } : []
        defer { for order in orders { order.stop() } }
        let generator: UDPGSOGenerator
        var injected = 0
        do {
            let taken = counters
            let count: @Sendable (Int) -> Int = { taken[$0].packetCount }
            let received = recirculate ? nil : count
            generator = try UDPGSOGenerator(
                port: running[0].port, payloadBytes: size, flows: Self.flows, workers: threads, received: received,
                windowPerWorker: Self.windowPerWorker(size: size))
            if recirculate {
                injected = try generator.inject(datagramsPerWorker: Self.windowPerWorker(size: size))
            } else {
                generator.start()
            }
        } catch {
            return failed("\(error)")
        }
        defer { generator.stop() }
        // Warm up (caches, socket buffers filling), then measure.
        usleep(UInt32(min(0.2, seconds / 2) * 1e6))
        let generatorBefore = generator.cpuSeconds()
        let before = counters.map { $0.snapshot() }
        if before.contains(where: { $0 == nil }) {
            return failed(counters.lazy.compactMap(\.failure).first ?? "a loop thread did not start")
        }
        usleep(UInt32(seconds * 1e6))
        let after = counters.map { $0.snapshot() }
        let generatorAfter = generator.cpuSeconds()
        if after.contains(where: { $0 == nil }) {
            return failed(counters.lazy.compactMap(\.failure).first ?? "a loop thread stopped")
        }
        if let failure = counters.lazy.compactMap(\.failure).first { return failed(failure) }
        var drained = 0
        if recirculate {
            // Every injected datagram is in a socket queue, in a worker's batch or in a send in flight. Draining
            // workers receive and release, so all of it comes back unless some was lost on the way round (a full
            // socket buffer, a failed send), which would have thinned the load during the measurement unseen.
            for counter in counters { counter.startDraining() }
            for _ in 0..<200 {
                drained = counters.reduce(0) { $0 + $1.drainedCount }
                if drained >= injected { break }
                usleep(5_000)
            }
        }
        var packets = 0.0
        var cpu = 0.0
        var wall = 0.0
        for (start, end) in zip(before, after) {
            packets += Double(end!.packets - start!.packets)
            cpu += end!.cpuSeconds - start!.cpuSeconds
            wall = max(wall, end!.wallSeconds - start!.wallSeconds)
        }
        guard packets > 0, wall > 0 else {
            return failed("no packets arrived in \(seconds) s (generator: \(generator.failure ?? "sent"))")
        }
        var row = Row(io: backend.name, mode: mode, bytes: size, offload: offload, threads: threads,
                      offloadsUsed: running[0].offloadsUsed, packetsPerSecond: packets / wall,
                      cpuSecondsPerMillionPackets: cpu / (packets / 1e6), loopCPUShare: cpu / wall, error: nil)
        if !recirculate, let start = generatorBefore, let end = generatorAfter {
            row.generatorCPUSecondsPerMillionPackets = (end - start) / (packets / 1e6)
        }
        if recirculate {
            row.injected = injected
            row.lost = max(0, injected - drained)
        }
        if !orders.isEmpty {
            generator.stop()
            row.reorderings = orders.reduce(0) { $0 + $1.finish() }
            if orders.contains(where: { $0.checked == 0 }) {
                return failed("a sink saw none of the forwarded datagrams")
            }
        }
        return row
    }

    static func json(_ rows: [Row]) -> String {
        "[" + rows.map { r in
            var object = "{\"io\": \(jsonString(r.io)), \"mode\": \"\(r.mode.rawValue)\", \"bytes\": \(r.bytes), "
                + "\"offload\": \(r.offload), \"threads\": \(r.threads), "
                + "\"mpps\": \(CryptoBenchmark.format(r.packetsPerSecond / 1e6, 4)), "
                + "\"cpu_s_per_mpkt\": \(CryptoBenchmark.format(r.cpuSecondsPerMillionPackets, 4)), "
                + "\"loop_cpu_share\": \(CryptoBenchmark.format(r.loopCPUShare, 3)), "
                + "\"rounds\": \(r.rounds), "
                + "\"cpu_s_per_mpkt_min\": \(CryptoBenchmark.format(r.cpuRange.lowerBound, 4)), "
                + "\"cpu_s_per_mpkt_max\": \(CryptoBenchmark.format(r.cpuRange.upperBound, 4)), "
                + "\"offloads_used\": \(jsonString(r.offloadsUsed))"
            if let generator = r.generatorCPUSecondsPerMillionPackets {
                object += ", \"generator_cpu_s_per_mpkt\": \(CryptoBenchmark.format(generator, 4))"
            }
            if let reorderings = r.reorderings { object += ", \"reorderings\": \(reorderings)" }
            if let injected = r.injected, let lost = r.lost {
                object += ", \"injected\": \(injected), \"lost\": \(lost)"
            }
            if let error = r.error { object += ", \"error\": \(jsonString(error))" }
            return object + "}"
        }.joined(separator: ",\n ") + "]"
    }

    static func table(_ rows: [Row], skipped: [String], seconds: Double, rounds: Int = 1) -> String {
        var out = "UDP on loopback, one loop thread per worker, \(CryptoBenchmark.format(seconds, 1)) s per row"
            + (rounds > 1 ? ", median of \(rounds) interleaved rounds" : "")
            + "; CPU is the loop threads' only (summed); gen s/Mpkt is the traffic generator's\n\n"
        out += "io".padding(10) + "mode".padding(9) + "bytes".leftPadded(6) + "  " + "offload".padding(9)
            + "threads".leftPadded(7) + "Mpps".leftPadded(8) + "CPU s/Mpkt".leftPadded(12)
            + (rounds > 1 ? "CPU range".leftPadded(15) : "") + "loop CPU".leftPadded(10) + "gen s/Mpkt".leftPadded(12)
            + "  offloads used\n"
        for r in rows {
            out += r.io.padding(10) + r.mode.rawValue.padding(9) + "\(r.bytes)".leftPadded(6) + "  "
                + (r.offload ? "yes" : "no").padding(9) + "\(r.threads)".leftPadded(7)
            if let error = r.error {
                out += "error: \(error)\n"
                continue
            }
            out += CryptoBenchmark.format(r.packetsPerSecond / 1e6, 3).leftPadded(8)
                + CryptoBenchmark.format(r.cpuSecondsPerMillionPackets, 3).leftPadded(12)
                + (rounds > 1 ? (CryptoBenchmark.format(r.cpuRange.lowerBound, 3) + "-"
                    + CryptoBenchmark.format(r.cpuRange.upperBound, 3)).leftPadded(15) : "")
                + (CryptoBenchmark.format(r.loopCPUShare * 100, 0) + "%").leftPadded(10)
                + (r.generatorCPUSecondsPerMillionPackets.map { CryptoBenchmark.format($0, 3) } ?? "-").leftPadded(12)
                + "  " + r.offloadsUsed
                + (r.reorderings.map { "; \($0) reorderings" } ?? "")
                + (r.lost.map { "; \($0) of \(r.injected ?? 0) lost" } ?? "") + "\n"
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
    /// Where `forward` sends; nil: back to the backend's own address (a recirculating row).
    let sink: Endpoint?
    let counters: IOBenchCounters
    /// The port to bind (0: the kernel chooses; further workers bind the first one's).
    var port: UInt16 = 0
    /// `SO_REUSEPORT`, for one socket per worker on one port.
    var reusePort = false
    /// The loop thread's name (`fz-bench-wN`), so per-thread tools tell it from the generator.
    var threadName: String? = nil

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
    private let draining = Atomic<Bool>(false)
    private let drained = Atomic<Int>(0)
    private let clock = ThreadCPUClock()
    private let failed = Mutex<String?>(nil)

    struct Snapshot {
        let packets: Int
        let cpuSeconds: Double
        let wallSeconds: Double
    }

    /// Packets moved so far (any thread).
    var packetCount: Int { packets.load(ordering: .relaxed) }

    /// Called on the loop thread once, when its loop starts: publishes the thread's CPU clock.
    func loopStarted() {
        clock.publish()
    }

    /// Called on the loop thread: `count` more packets moved.
    @inline(__always)
    func add(_ count: Int) {
        packets.store(packets.load(ordering: .relaxed) &+ count, ordering: .relaxed)
    }

    /// Asks the loop to stop forwarding and to receive and release from now on, counting what it takes.
    func startDraining() {
        draining.store(true, ordering: .releasing)
    }

    /// Whether the loop should drain instead of forwarding (loop thread).
    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Datagrams taken while draining (any thread).
    var drainedCount: Int { drained.load(ordering: .acquiring) }

    /// Called on the loop thread: `count` more datagrams taken while draining.
    func addDrained(_ count: Int) {
        drained.store(drained.load(ordering: .relaxed) &+ count, ordering: .releasing)
    }

    /// Called on the loop thread when a channel call failed; the loop then stops.
    func fail(_ reason: String) {
        failed.withLock { $0 = $0 ?? reason }
    }

    var failure: String? { failed.withLock { $0 } }

    /// The packet total, the loop thread's CPU time and the wall clock now; nil before the loop started.
    func snapshot() -> Snapshot? {
        guard let cpu = clock.seconds() else { return nil }
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &wall)
        return Snapshot(packets: packets.load(ordering: .relaxed), cpuSeconds: cpu,
                        wallSeconds: ThreadCPUClock.seconds(wall))
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

    /// `ownAddress`: where the backend listens, the sink of a recirculating row.
    init(io: IO, setup: IOBenchSetup, batchSize: Int, ownAddress: Endpoint) {
        mode = setup.mode
        sink = setup.sink ?? ownAddress
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
                if mode == .forward && counters.isDraining {
                    batch.removeAll()
                    counters.addDrained(packets)
                    continue
                }
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

/// A UDP socket on 127.0.0.1 that `forward` rows send to and nobody reads (unless reorderings are counted).
///
/// It takes GSO trains whole (`UDP_GRO`), as a NIC with UDP segmentation offload would: on loopback the kernel
/// delivers a worker's send synchronously, in the worker's own context, and without GRO here it would split
/// every train into one buffer per datagram only to drop them at the full queue, so a forward row would measure
/// the sink's kernel work as much as the backend's.
final class BenchSinkSocket {
    let fileDescriptor: Int32
    let endpoint: Endpoint

    init() throws(IOBenchError) {
        let (fd, port) = try BenchSocket.openLoopbackUDP()
        // Best effort: a kernel without UDP_GRO (before 5.0) still gets a sink, one that splits trains.
        try? BenchSocket.set(fd, BenchSocket.solUDP, BenchSocket.udpGRO, 1, name: "UDP_GRO")
        fileDescriptor = fd
        endpoint = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: port)
    }

    deinit { close(fileDescriptor) }

    /// Starts reading the sink on a thread of its own and counting datagrams that arrive after a later one of
    /// their flow (by the generator's sequence numbers). A read may return a train of `datagramBytes` datagrams.
    func startCountingReorderings(datagramBytes: Int) -> ReorderCounter {
        let counter = ReorderCounter(fileDescriptor: fileDescriptor, datagramBytes: datagramBytes)
        counter.start()
        return counter
    }
}

/// Reads a sink socket and counts, per flow, datagrams whose sequence number is below the highest seen: a
/// drop (the sink's buffer overflowing) leaves a gap, never a reordering, so any count above 0 is one.
final class ReorderCounter: Sendable {
    private let fileDescriptor: Int32
    private let datagramBytes: Int
    private let thread = BenchThread()
    private let result = Mutex<(reorderings: Int, checked: Int)>((0, 0))

    init(fileDescriptor: Int32, datagramBytes: Int) {
        self.fileDescriptor = fileDescriptor
        self.datagramBytes = datagramBytes
    }

    /// Datagrams checked so far (valid after `finish()`).
    var checked: Int { result.withLock { $0.checked } }

    func start() {
        thread.start(name: "fz-bench-sink") { [self] in read() }
    }

    /// Stops reading (once); later calls return at once.
    func stop() {
        thread.stop()
    }

    /// Reads what is still queued for a moment, stops and returns the count.
    func finish() -> Int {
        usleep(50_000)
        stop()
        return result.withLock { $0.reorderings }
    }

    private func read() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var highest = [UInt64?](repeating: nil, count: 256)
        var reorderings = 0
        var checked = 0
        while thread.isRunning {
            let count = recv(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 {
                var poll = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&poll, 1, 10)
                continue
            }
            // One datagram, or a train of them back to back (UDP_GRO), each `datagramBytes` but maybe the last.
            var offset = 0
            while count - offset >= UDPGSOGenerator.headerBytes {
                defer { offset += datagramBytes }
                guard buffer[offset] == 4 else { continue }
                let flow = Int(buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
                let sequence = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian
                guard flow < highest.count else { continue }
                checked += 1
                if let top = highest[flow], sequence < top {
                    reorderings += 1
                } else {
                    highest[flow] = sequence
                }
            }
        }
        result.withLock { $0 = (reorderings, checked) }
    }
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

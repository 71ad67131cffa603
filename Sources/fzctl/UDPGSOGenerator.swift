import CFZSocketControl
import DataPlane
import Foundation
import Glibc
import Synchronization

/// The traffic source of `fzctl bench io`: one thread and one plain UDP socket per flow, each connected to the
/// backend under test, sending UDP GSO trains (`sendmsg` with a `UDP_SEGMENT` control message, up to 64 datagrams
/// per call) round-robin over the flows as fast as the kernel takes them.
///
/// Every datagram starts like a WireGuard transport message: type 4, its flow number where the receiver index
/// goes (bytes 4-7, so the workers' steering program spreads flows as it spreads sessions) and a per-flow
/// sequence number (bytes 8-15), which the sink checks for reordering.
///
/// With a `received` count it runs closed-loop, per worker: flow `f` goes to worker `f % workers` (what the
/// steering program does with bytes 4-7), and the generator stays at most `windowPerWorker` datagrams ahead of
/// what that worker has taken. A train goes to the next flow whose worker has room; when none has, it sleeps
/// briefly. On loopback a send never blocks (what overflows the receiver is dropped), so an open-loop generator
/// would spin a whole core; on a 2-core host that core is what a second worker needs. One window over all
/// workers would let a worker that fell behind hold the generator back while the other one ran dry.
///
/// On loopback the kernel delivers each datagram in the sender's context and splits a train for a receiver without
/// GRO (one with GRO gets it whole), so a running generator pays the receiving side's kernel work: about as much per
/// datagram as a `forward` worker spends. `inject(datagramsPerWorker:)` instead sends a fixed load once, on the
/// caller's thread, for `forward` rows whose workers send every datagram back to their own port.
final class UDPGSOGenerator: Sendable {
    /// Bytes of the flow and sequence header every datagram starts with.
    static let headerBytes = 16
    private let fileDescriptors: [Int32]
    private let payloadBytes: Int
    /// Datagrams per `sendmsg`: 64, or fewer where 64 would pass the 65507-byte UDP limit.
    let segmentsPerSend: Int
    private let thread = BenchThread()
    private let failed = Mutex<String?>(nil)

    private let received: (@Sendable (Int) -> Int)?
    private let workers: Int
    private let windowPerWorker: Int
    /// The sending thread's CPU clock, once it runs.
    private let clock = ThreadCPUClock()

    /// Opens `flows` sockets and connects each to `127.0.0.1:port`. `received(w)` is what worker `w` of `workers`
    /// has taken so far; `windowPerWorker` is how far the generator may run ahead of each.
    init(
        port: UInt16, payloadBytes: Int, flows: Int = 1, workers: Int = 1, received: (@Sendable (Int) -> Int)? = nil,
        windowPerWorker: Int = 0
    ) throws(IOBenchError) {
        self.received = received
        self.workers = max(1, workers)
        self.windowPerWorker = max(1, windowPerWorker)
        precondition(payloadBytes >= Self.headerBytes && payloadBytes <= 65_507, "payload out of range")
        var descriptors: [Int32] = []
        for _ in 0..<max(1, flows) {
            do {
                descriptors.append(try Self.connectedSocket(port: port))
            } catch {
                for fd in descriptors { close(fd) }
                throw error
            }
        }
        fileDescriptors = descriptors
        self.payloadBytes = payloadBytes
        segmentsPerSend = max(1, min(64, 65_507 / payloadBytes))
    }

    private static func connectedSocket(port: UInt16) throws(IOBenchError) -> Int32 {
        let (fd, _) = try BenchSocket.openLoopbackUDP()
        var address = BenchSocket.loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                connect(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            let code = errno
            close(fd)
            throw IOBenchError("connect(127.0.0.1:\(port))", errno: code)
        }
        // Root may exceed wmem_max; otherwise the default is fine for loopback.
        try? BenchSocket.set(fd, SOL_SOCKET, SO_SNDBUFFORCE, Int32(IOBenchSetup.socketBufferBytes),
                             name: "SO_SNDBUFFORCE")
        return fd
    }

    deinit { for fd in fileDescriptors { close(fd) } }

    /// Why sending stopped early, or nil.
    var failure: String? { failed.withLock { $0 } }

    /// CPU seconds the sending thread has used so far, kernel work done in its context included (on loopback that
    /// is also the receiving sockets' share of the delivery); nil before it started.
    func cpuSeconds() -> Double? { clock.seconds() }

    /// Starts the sending thread.
    func start() {
        thread.start(name: "fz-bench-gen") { [self] in sendUntilStopped() }
    }

    /// Stops the sending thread and waits for it (once; later calls return at once).
    func stop() {
        thread.stop()
    }

    /// Sends at least `datagramsPerWorker` datagrams to each worker that owns a flow, spread over its flows in whole
    /// trains (so rounded up), on the calling thread, and returns how many it sent in all. A `forward` row starts
    /// its recirculating load with it.
    @discardableResult
    func inject(datagramsPerWorker: Int) throws(IOBenchError) -> Int {
        var trains = TrainBuilder(payloadBytes: payloadBytes, segmentsPerSend: segmentsPerSend,
                                  flows: fileDescriptors.count)
        var quota = [Int](repeating: 0, count: fileDescriptors.count)
        for flow in 0..<fileDescriptors.count {
            let flowsOfWorker = (0..<fileDescriptors.count).filter { $0 % workers == flow % workers }.count
            quota[flow] = (datagramsPerWorker + flowsOfWorker - 1) / flowsOfWorker
        }
        var sentPerFlow = [Int](repeating: 0, count: fileDescriptors.count)
        var retries = 0
        // Round-robin over the flows, a train at a time, so every flow is moving before the first one is whole.
        while let flow = (0..<fileDescriptors.count).first(where: { sentPerFlow[$0] < quota[$0] }) {
            for other in flow..<fileDescriptors.count where sentPerFlow[other] < quota[other] {
                let code = trains.send(flow: other, on: fileDescriptors[other])
                if code == 0 {
                    sentPerFlow[other] += segmentsPerSend
                    continue
                }
                // A full queue or a receiver not there yet: give the workers a moment, a bounded number of times.
                guard code == EINTR || code == EAGAIN || code == ENOBUFS || code == ECONNREFUSED, retries < 10_000
                else {
                    throw IOBenchError("sendmsg(UDP_SEGMENT)", errno: code)
                }
                retries += 1
                usleep(10)
            }
        }
        return sentPerFlow.reduce(0, +)
    }

    private func sendUntilStopped() {
        clock.publish()
        var trains = TrainBuilder(payloadBytes: payloadBytes, segmentsPerSend: segmentsPerSend,
                                  flows: fileDescriptors.count)
        var flow = 0
        // Per worker: datagrams sent to it, debt forgotten (see below), and since when it has had no room.
        var sent = [Int](repeating: 0, count: workers)
        var offset = [Int](repeating: 0, count: workers)
        var waitingSince = [UInt64?](repeating: nil, count: workers)
        let flowWorkers = min(workers, fileDescriptors.count)
        while thread.isRunning {
            flow = flow + 1 == fileDescriptors.count ? 0 : flow + 1
            let worker = flow % workers
            if let received {
                let ahead = sent[worker] - received(worker) - offset[worker]
                if ahead >= windowPerWorker {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if let since = waitingSince[worker] {
                        // A datagram the receiver dropped is never taken: after 2 ms without room, forget the debt.
                        if now - since > 2_000_000 {
                            offset[worker] += ahead
                            waitingSince[worker] = nil
                        }
                    } else {
                        waitingSince[worker] = now
                    }
                    // Sleep only once a whole turn over the flows found no worker with room.
                    // (Workers above the flow count get no flows and so never have a debt to wait for.)
                    if flow == fileDescriptors.count - 1 && !(0..<flowWorkers).contains(where: { other in
                        sent[other] - received(other) - offset[other] < windowPerWorker
                    }) {
                        usleep(20)
                    }
                    continue
                }
                waitingSince[worker] = nil
            }
            let code = trains.send(flow: flow, on: fileDescriptors[flow])
            if code == 0 {
                sent[worker] += segmentsPerSend
                continue
            }
            // A full queue or a receiver that is not there yet: try again.
            if code == EINTR || code == EAGAIN || code == ENOBUFS || code == ECONNREFUSED { continue }
            failed.withLock { $0 = "\(IOBenchError("sendmsg(UDP_SEGMENT)", errno: code))" }
            return
        }
    }
}

/// One GSO train at a time for ``UDPGSOGenerator``: a payload of `segmentsPerSend` datagrams, each stamped with its
/// flow and the flow's next sequence number, and the `msghdr` with the `UDP_SEGMENT` control message that sends
/// it. Owns its memory (so it cannot be copied), and frees it when it goes away.
private struct TrainBuilder: ~Copyable {
    private let payloadBytes: Int
    private let segmentsPerSend: Int
    private let payload: UnsafeMutableRawBufferPointer
    private let control: UnsafeMutableRawPointer
    private let vector: UnsafeMutablePointer<iovec>
    private var message = msghdr()
    private var sequences: [UInt64]

    init(payloadBytes: Int, segmentsPerSend: Int, flows: Int) {
        self.payloadBytes = payloadBytes
        self.segmentsPerSend = segmentsPerSend
        let total = payloadBytes * segmentsPerSend
        payload = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
        let controlCapacity = cfz_send_control_space()
        control = UnsafeMutableRawPointer.allocate(byteCount: controlCapacity, alignment: 16)
        vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
        sequences = [UInt64](repeating: 0, count: flows)
        for index in 0..<total { payload[index] = UInt8(truncatingIfNeeded: index) }
        vector.initialize(to: iovec(iov_base: payload.baseAddress, iov_len: total))
        message.msg_iov = vector
        message.msg_iovlen = 1
        if segmentsPerSend > 1 {
            // The control message is a fixed few bytes; building it cannot fail with this capacity.
            let length = cfz_build_send_control(control, controlCapacity, AF_INET, nil, 0, UInt16(payloadBytes))
            precondition(length > 0, "could not build the UDP_SEGMENT control message")
            message.msg_control = control
            message.msg_controllen = Int(length)
        }
    }

    deinit {
        payload.deallocate()
        control.deallocate()
        vector.deallocate()
    }

    /// Stamps the next train of `flow` and sends it on `fd`: 0, or the `errno` of a failed `sendmsg` (the flow's
    /// sequence numbers then stay where they were).
    mutating func send(flow: Int, on fd: Int32) -> Int32 {
        var sequence = sequences[flow]
        for segment in 0..<segmentsPerSend {
            let start = payload.baseAddress! + segment * payloadBytes
            start.storeBytes(of: UInt32(4).littleEndian, as: UInt32.self)
            start.storeBytes(of: UInt32(flow).littleEndian, toByteOffset: 4, as: UInt32.self)
            start.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
            sequence += 1
        }
        guard sendmsg(fd, &message, 0) >= 0 else { return errno }
        sequences[flow] = sequence
        return 0
    }
}

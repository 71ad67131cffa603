import CFZSocketControl
import Foundation
import Glibc
import HostSetup
import Synchronization

/// The UDP traffic of `fzctl bench tunnel --udp-source fzctl` (the default): a paced sender in namespace A and a
/// counting receiver in namespace B, two sockets held by threads of the bench process itself.
///
/// iperf3 writes one datagram per system call and its server reads one per call: measured on a 2-core host, the
/// two iperf3 processes took 0.73 of a core at 0.57 Gbit/s, and over the bare veth iperf3 topped out at
/// 1.29 Gbit/s, so at the rates a fast tunnel carries iperf3, not the tunnel, set the result. This sender writes
/// UDP GSO trains (one `sendmsg` carries 47 datagrams of ``payloadBytes``, the size iperf3 was given, so each
/// inner packet is 1400 bytes), paced to the offered rate, as a QUIC stack with GSO sends; the kernel splits a
/// train before a TUN that did not ask for UDP segmentation offload and hands it whole to one that did. (iperf3
/// paces by the millisecond: from 0.5 Gbit/s on, its bursts are longer than one train.) The receiver asks for UDP GRO and
/// counts the datagrams of the current probe (a random tag in their first 8 bytes, so stragglers of an earlier
/// probe are not counted). Loss is what the sender sent, or tried to, and never arrived, whatever dropped it. Sends
/// never block: a socket queue full because the tunnel falls behind refuses the train, and that counts as lost.
final class PacedUDPProbe: Sendable {
    /// UDP payload bytes per datagram (iperf3 `-l 1372` before): 1400-byte IPv4 packets inside a 1420 MTU.
    static let payloadBytes = 1372
    /// The receiver's port on B's tunnel address (iperf3 keeps 5201).
    static let port: UInt16 = 5301
    /// Socket buffers at both ends, as `iperf3 -w 4M` had: bursts must be lost by the tunnel, not here.
    static let socketBufferBytes: Int32 = 4 << 20
    /// How far behind its schedule the sender may fall (a descheduled thread) before it drops the debt instead of
    /// catching up with one long burst, in sends.
    static let maximumDebt = 4

    private let sourceFD: Int32
    private let sinkFD: Int32
    /// Datagrams in one train: as many as fit in one UDP send.
    private let segmentsPerSend: Int
    private let reader = BenchThread()
    /// The tag of the probe being counted, and what has arrived with it.
    private let tag = Atomic<UInt64>(0)
    private let received = Atomic<Int>(0)

    /// Opens the receiver on `target:port` in `sink` and a sender connected to it in `source`, and starts
    /// reading.
    init(source: NetworkNamespace, sink: NetworkNamespace, target: String) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = Self.port.bigEndian
        guard inet_pton(AF_INET, target, &address.sin_addr) == 1 else {
            throw FZCtlError.invalidInput("bench tunnel: '\(target)' is not an IPv4 address")
        }
        let sinkFD = try sink.run { () throws -> Int32 in
            let fd = try Self.udpSocket()
            do {
                try BenchSocket.set(fd, SOL_SOCKET, SO_RCVBUFFORCE, Self.socketBufferBytes, name: "SO_RCVBUFFORCE")
                // A train the receiving side hands up whole is read in one call; without one, nothing changes.
                try? BenchSocket.set(fd, BenchSocket.solUDP, BenchSocket.udpGRO, 1, name: "UDP_GRO")
                try Self.withSockaddr(address) { pointer, length throws(IOBenchError) in
                    guard bind(fd, pointer, length) == 0 else {
                        throw IOBenchError("bind(\(target):\(Self.port))", errno: errno)
                    }
                }
            } catch {
                Glibc.close(fd)
                throw error
            }
            return fd
        }
        let sourceFD: Int32
        do {
            sourceFD = try source.run { () throws -> Int32 in
                let fd = try Self.udpSocket()
                do {
                    try BenchSocket.set(fd, SOL_SOCKET, SO_SNDBUFFORCE, Self.socketBufferBytes,
                                        name: "SO_SNDBUFFORCE")
                    try Self.withSockaddr(address) { pointer, length throws(IOBenchError) in
                        guard connect(fd, pointer, length) == 0 else {
                            throw IOBenchError("connect(\(target):\(Self.port))", errno: errno)
                        }
                    }
                } catch {
                    Glibc.close(fd)
                    throw error
                }
                return fd
            }
        } catch {
            Glibc.close(sinkFD)
            throw error
        }
        self.sinkFD = sinkFD
        self.sourceFD = sourceFD
        segmentsPerSend = max(1, min(64, 65_507 / Self.payloadBytes))
        reader.start(name: "fz-bench-udprx") { [self] in readUntilStopped() }
    }

    /// Whether ``close()`` ran.
    private let closed = Atomic<Bool>(false)

    /// Stops the receiving thread and closes both sockets (once). The thread holds the probe until it stops, so
    /// this, not `deinit`, is what ends it; the sockets would otherwise also keep both namespaces alive.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        reader.stop()
        Glibc.close(sourceFD)
        Glibc.close(sinkFD)
    }

    deinit { close() }

    /// What one probe sent and what arrived.
    struct Counts {
        /// Datagrams the sender handed to the kernel or tried to (a send the kernel refused counts as lost).
        let sent: Int
        let received: Int
        /// Seconds the sender ran.
        let seconds: Double

        /// What the sender sent (or tried to) and never arrived, of what it sent. A sender starved of CPU (it shares
        /// the host with the tunnel it measures) falls behind its schedule: what it never tried to send was never
        /// offered to the tunnel, so it is not the tunnel's loss; ``sentGigabitsPerSecond`` shows the shortfall.
        var lossPercent: Double {
            sent > 0 ? Double(max(0, sent - received)) * 100 / Double(sent) : 0
        }
        /// UDP payload the sender sent (or tried to), in Gbit/s over the sending time.
        var sentGigabitsPerSecond: Double {
            seconds > 0 ? Double(sent * PacedUDPProbe.payloadBytes * 8) / seconds / 1e9 : 0
        }
        /// Received UDP payload in Gbit/s over the sending time (what iperf3's receiver reports).
        var gigabitsPerSecond: Double {
            seconds > 0 ? Double(received * PacedUDPProbe.payloadBytes * 8) / seconds / 1e9 : 0
        }
    }

    /// Sends at `offeredGigabitsPerSecond` (of UDP payload) for `seconds`, waits for the last datagrams to land and
    /// returns the counts.
    func measure(offeredGigabitsPerSecond: Double, seconds: Double) throws -> Counts {
        precondition(offeredGigabitsPerSecond > 0 && seconds > 0)
        let probeTag = UInt64.random(in: 1...UInt64.max)
        received.store(0, ordering: .relaxed)
        tag.store(probeTag, ordering: .releasing)

        let total = Self.payloadBytes * segmentsPerSend
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
        let controlCapacity = cfz_send_control_space()
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlCapacity, alignment: 16)
        defer {
            payload.deallocate()
            control.deallocate()
        }
        payload.initializeMemory(as: UInt8.self, repeating: 0xA5)
        for segment in 0..<segmentsPerSend {
            payload.storeBytes(of: probeTag, toByteOffset: segment * Self.payloadBytes, as: UInt64.self)
        }
        var vector = iovec(iov_base: payload.baseAddress, iov_len: total)
        var message = msghdr()
        var sent = 0
        let nanosecondsPerSend = Double(total * 8) / offeredGigabitsPerSecond
        let duration = UInt64(seconds * 1e9)
        var sendingNanoseconds: UInt64 = 0
        try withUnsafeMutablePointer(to: &vector) { vectorPointer in
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            if segmentsPerSend > 1 {
                let length = cfz_build_send_control(control, controlCapacity, AF_INET, nil, 0,
                                                    UInt16(Self.payloadBytes))
                guard length > 0 else {
                    throw FZCtlError.invalidInput("bench tunnel: could not build the UDP_SEGMENT control message")
                }
                message.msg_control = control
                message.msg_controllen = Int(length)
            }
            let start = Self.now()
            var schedule = 0.0
            while true {
                let now = Self.now()
                let elapsed = now - start
                if elapsed >= duration {
                    sendingNanoseconds = elapsed
                    break
                }
                let due = UInt64(schedule)
                if elapsed < due {
                    var pause = timespec(tv_sec: 0, tv_nsec: Int(min(due - elapsed, 1_000_000)))
                    nanosleep(&pause, nil)
                    continue
                }
                if Double(elapsed) - schedule > nanosecondsPerSend * Double(Self.maximumDebt) {
                    schedule = Double(elapsed)
                }
                schedule += nanosecondsPerSend
                sent += segmentsPerSend
                // Never blocking: a tunnel that falls behind fills this socket's queue, and a sender that then
                // waited would count the tunnel's shortfall as its own rather than as loss.
                if sendmsg(sourceFD, &message, Int32(MSG_DONTWAIT)) < 0 {
                    let code = errno
                    // A full queue drops what it refuses: that is loss, counted in `sent`.
                    guard code == EINTR || code == EAGAIN || code == ENOBUFS || code == ECONNREFUSED else {
                        let failure = IOBenchError("sendmsg(UDP_SEGMENT)", errno: code)
                        throw FZCtlError.invalidInput("bench tunnel: \(failure)")
                    }
                }
            }
        }
        let sendingSeconds = Double(sendingNanoseconds) / 1e9
        // In flight: wait until nothing more arrives for 100 ms (at most 2 s).
        var last = received.load(ordering: .relaxed)
        for _ in 0..<20 {
            usleep(100_000)
            let now = received.load(ordering: .relaxed)
            if now == last { break }
            last = now
        }
        tag.store(0, ordering: .releasing)
        return Counts(sent: sent, received: received.load(ordering: .relaxed), seconds: sendingSeconds)
    }

    private func readUntilStopped() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        let controlCapacity = cfz_receive_control_space()
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlCapacity, alignment: 16)
        defer {
            buffer.deallocate()
            control.deallocate()
        }
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        withUnsafeMutablePointer(to: &vector) { vectorPointer in
            var message = msghdr()
            var parsed = cfz_receive_control()
            while reader.isRunning {
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlCapacity
                let count = recvmsg(sinkFD, &message, Int32(MSG_DONTWAIT))
                if count < 0 {
                    var poll = pollfd(fd: sinkFD, events: Int16(POLLIN), revents: 0)
                    _ = Glibc.poll(&poll, 1, 10)
                    continue
                }
                guard count >= 8 else { continue }
                let current = tag.load(ordering: .acquiring)
                guard current != 0, buffer.loadUnaligned(as: UInt64.self) == current else { continue }
                cfz_parse_receive_control(&message, &parsed)
                let segment = Int(parsed.segment_size)
                let datagrams = segment > 0 ? (count + segment - 1) / segment : 1
                received.add(datagrams, ordering: .relaxed)
            }
        }
    }

    private static func udpSocket() throws(IOBenchError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_UDP))
        guard fd >= 0 else { throw IOBenchError("socket(AF_INET, SOCK_DGRAM)", errno: errno) }
        return fd
    }

    private static func withSockaddr(
        _ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(IOBenchError) -> Void
    ) throws(IOBenchError) {
        var address = address
        try withUnsafePointer(to: &address) { pointer throws(IOBenchError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(IOBenchError) in
                try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    private static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}

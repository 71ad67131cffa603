import CFZSocketControl
import DataPlane
import Foundation
import Glibc
import Synchronization

/// The traffic source of `fzctl bench io`: one thread, one plain UDP socket connected to the backend under test,
/// sending UDP GSO trains (`sendmsg` with a `UDP_SEGMENT` control message, up to 64 datagrams per call) as fast as
/// the kernel takes them.
///
/// GSO keeps the generator's cost per datagram far below the receiver's, so the backend is the bottleneck. On
/// loopback the kernel splits a train for a receiver without GRO and hands it whole to one with GRO.
final class UDPGSOGenerator: Sendable {
    private let fileDescriptor: Int32
    private let payloadBytes: Int
    /// Datagrams per `sendmsg`: 64, or fewer where 64 would pass the 65507-byte UDP limit.
    let segmentsPerSend: Int
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)
    private let failed = Mutex<String?>(nil)

    /// Opens the socket and connects it to `127.0.0.1:port`.
    init(port: UInt16, payloadBytes: Int) throws(IOBenchError) {
        precondition(payloadBytes > 0 && payloadBytes <= 65_507, "payload out of range")
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
        fileDescriptor = fd
        self.payloadBytes = payloadBytes
        segmentsPerSend = max(1, min(64, 65_507 / payloadBytes))
    }

    deinit { close(fileDescriptor) }

    /// Why sending stopped early, or nil.
    var failure: String? { failed.withLock { $0 } }

    /// Starts the sending thread.
    func start() {
        Thread.detachNewThread { [self] in
            sendUntilStopped()
            finished.signal()
        }
    }

    /// Stops the sending thread and waits for it.
    func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }

    private func sendUntilStopped() {
        let total = payloadBytes * segmentsPerSend
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
        let controlCapacity = cfz_send_control_space()
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlCapacity, alignment: 16)
        let vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
        defer {
            payload.deallocate()
            control.deallocate()
            vector.deallocate()
        }
        for index in 0..<total { payload[index] = UInt8(truncatingIfNeeded: index) }
        vector.initialize(to: iovec(iov_base: payload.baseAddress, iov_len: total))
        var message = msghdr()
        message.msg_iov = vector
        message.msg_iovlen = 1
        if segmentsPerSend > 1 {
            let length = cfz_build_send_control(control, controlCapacity, AF_INET, nil, 0, UInt16(payloadBytes))
            guard length > 0 else {
                failed.withLock { $0 = "could not build the UDP_SEGMENT control message" }
                return
            }
            message.msg_control = control
            message.msg_controllen = Int(length)
        }
        while running.load(ordering: .relaxed) {
            if sendmsg(fileDescriptor, &message, 0) >= 0 { continue }
            let code = errno
            // A full queue or a receiver that is not there yet: try again.
            if code == EINTR || code == EAGAIN || code == ENOBUFS || code == ECONNREFUSED { continue }
            failed.withLock { $0 = "\(IOBenchError("sendmsg(UDP_SEGMENT)", errno: code))" }
            return
        }
    }
}

import DataPlane
import EpollIO
#if IOUring
import IOUringIO
#endif
import Glibc

/// One packet I/O backend as `fzctl bench io` drives it. Adding a backend to the bench is one conforming type
/// and one entry in ``BenchIOBackends/all``.
protocol BenchIOBackend: Sendable {
    /// The `--io` name.
    static var name: String { get }
    /// Whether the backend runs here and which offloads the host supports for it.
    static func probe() -> PacketIOProbe
    /// Opens the backend on `127.0.0.1` (port 0) with `setup.offloads`, and runs an ``IOBenchHandler`` on it on
    /// a loop thread of its own.
    static func start(_ setup: IOBenchSetup) throws -> any BenchLoopRunning
}

/// A backend's loop thread while a row is measured.
protocol BenchLoopRunning {
    /// The UDP port the backend listens on.
    var port: UInt16 { get }
    /// Its UDP sockets (for the steering program of several workers).
    var fileDescriptors: [Int32] { get }
    /// What the backend had in effect, for the table (e.g. `gro,gso`).
    var offloadsUsed: String { get }
    /// Stops the loop, waits for its thread and returns what `run()` threw, if anything.
    func stopAndJoin() -> (any Error)?
}

/// The backends `fzctl bench io` and `fzctl bench tunnel` know, in `--io all` order.
enum BenchIOBackends {
    /// Every backend of this build.
    static let all: [any BenchIOBackend.Type] = {
        #if IOUring
        [EpollBenchBackend.self, IOUringBenchBackend.self]
        #else
        [EpollBenchBackend.self]
        #endif
    }()

    /// The names in `--io all` order.
    static var names: [String] { all.map { $0.name } }

    /// `all`, or a comma-separated list of names.
    static func select(_ text: String) throws(FZCtlError) -> [any BenchIOBackend.Type] {
        if text == "all" { return all }
        var chosen: [any BenchIOBackend.Type] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(item)
            guard let backend = all.first(where: { $0.name == name }) else {
                throw .unknownBackend(kind: "I/O", name: name, valid: ["all"] + names)
            }
            chosen.append(backend)
        }
        return chosen
    }

    /// Makes `setup.offloads` true on the backend's sockets where the backend has not done so itself: turns on
    /// `UDP_GRO` (the backend then receives trains, which its receive path already reports with a segment
    /// size). GSO needs nothing here: each send of an entry with a segment size carries its own `UDP_SEGMENT`.
    /// Also raises the receive buffer past `rmem_max` where root allows, so a burst does not overflow it.
    /// Returns the offloads in effect, as the table shows them.
    static func prepare(
        sockets: [Int32], wanted: PacketOffloads, inEffect: PacketOffloads
    ) throws(IOBenchError) -> String {
        for fd in sockets {
            try? BenchSocket.set(fd, SOL_SOCKET, SO_RCVBUFFORCE, Int32(IOBenchSetup.socketBufferBytes),
                                 name: "SO_RCVBUFFORCE")
            if wanted.contains(.udpGRO) && !inEffect.contains(.udpGRO) {
                try BenchSocket.set(fd, BenchSocket.solUDP, BenchSocket.udpGRO, 1, name: "UDP_GRO")
            }
        }
        let added = wanted.subtracting(inEffect)
        if wanted.isEmpty { return "none" }
        return added.isEmpty ? "\(wanted)" : "\(wanted) (backend has \(inEffect); bench enabled \(added))"
    }
}

/// The epoll backend in the bench: `EpollPacketIO` driven by an `EpollEventLoop` on an `EpollLoopThread`.
enum EpollBenchBackend: BenchIOBackend {
    static var name: String { "epoll" }

    static func probe() -> PacketIOProbe {
        EpollPacketIO.probe()
    }

    static func start(_ setup: IOBenchSetup) throws -> any BenchLoopRunning {
        let batchSize = 64
        var configuration = EpollPacketIO.Configuration(
            udpAddresses: [Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: setup.port)],
            bufferCount: setup.bufferCount, bufferSize: setup.bufferSize, batchSize: batchSize,
            socketReceiveBufferBytes: IOBenchSetup.socketBufferBytes,
            socketSendBufferBytes: IOBenchSetup.socketBufferBytes, offloads: setup.offloads)
        configuration.reusePort = setup.reusePort
        let io = try EpollPacketIO(configuration: configuration)
        let port = io.datagrams.localAddresses[0].port
        let descriptors = io.datagrams.fileDescriptors
        let used = try BenchIOBackends.prepare(sockets: descriptors, wanted: setup.offloads, inEffect: io.offloads)
        let handler = IOBenchHandler(io: io, setup: setup, batchSize: batchSize,
                                     ownAddress: io.datagrams.localAddresses[0])
        let thread = try EpollLoopThread.start(try EpollEventLoop(io: io, handler: handler), name: setup.threadName)
        return EpollBenchLoop(thread: thread, port: port, fileDescriptors: descriptors, offloadsUsed: used)
    }
}

/// An epoll loop thread running a bench row.
struct EpollBenchLoop: BenchLoopRunning {
    let thread: EpollLoopThread
    let port: UInt16
    let fileDescriptors: [Int32]
    let offloadsUsed: String

    func stopAndJoin() -> (any Error)? {
        thread.stopAndJoin()
    }
}

#if IOUring
/// The io_uring backend in the bench: `IOUringPacketIO` driven by an `IOUringEventLoop` on an `IOUringLoopThread`.
enum IOUringBenchBackend: BenchIOBackend {
    static var name: String { "io-uring" }

    static func probe() -> PacketIOProbe {
        IOUringPacketIO.probe()
    }

    static func start(_ setup: IOBenchSetup) throws -> any BenchLoopRunning {
        let batchSize = 64
        var configuration = IOUringPacketIO.Configuration(
            udpAddresses: [Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: setup.port)])
        configuration.reusePort = setup.reusePort
        configuration.bufferCount = setup.bufferCount
        configuration.bufferSize = setup.bufferSize
        configuration.batchSize = batchSize
        configuration.socketReceiveBufferBytes = IOBenchSetup.socketBufferBytes
        configuration.socketSendBufferBytes = IOBenchSetup.socketBufferBytes
        configuration.offloads = setup.offloads
        let io = try IOUringPacketIO(configuration: configuration)
        let port = io.datagrams.localAddresses[0].port
        let descriptors = io.datagrams.fileDescriptors
        let used = try BenchIOBackends.prepare(sockets: descriptors, wanted: setup.offloads, inEffect: io.offloads)
        let handler = IOBenchHandler(io: io, setup: setup, batchSize: batchSize,
                                     ownAddress: io.datagrams.localAddresses[0])
        let thread = try IOUringLoopThread.start(try IOUringEventLoop(io: io, handler: handler),
                                                 name: setup.threadName)
        return IOUringBenchLoop(thread: thread, port: port, fileDescriptors: descriptors, offloadsUsed: used)
    }
}

/// An io_uring loop thread running a bench row.
struct IOUringBenchLoop: BenchLoopRunning {
    let thread: IOUringLoopThread
    let port: UInt16
    let fileDescriptors: [Int32]
    let offloadsUsed: String

    func stopAndJoin() -> (any Error)? {
        thread.stopAndJoin()
    }
}
#endif

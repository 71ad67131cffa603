import DataPlane
import EpollIO
import IOUringIO
import Testing

/// The packet I/O backends every test in this target runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case epoll
    /// io_uring with the best receive mode the kernel has (multishot recvmsg with a buffer ring here).
    case ioUring
    /// io_uring with batched one-shot recvmsg, the path for kernels without multishot.
    case ioUringOneShot

    var testDescription: String { rawValue }

    /// The backend's type, opened as a ``BackendIO``.
    var ioType: any BackendIO.Type {
        switch self {
        case .epoll: return EpollPacketIO.self
        case .ioUring, .ioUringOneShot: return IOUringPacketIO.self
        }
    }

    /// The io_uring backends.
    static let ioUringModes: [Backend] = [.ioUring, .ioUringOneShot]
}

/// What the shared tests need from a backend beyond ``PacketIO``: opening one, its addresses, the buffers it
/// holds itself, and running an event loop over a handler.
protocol BackendIO: PacketIO {
    static func open(_ addresses: [Endpoint], backend: Backend, options: TestIOOptions) throws -> Self
    var localAddresses: [Endpoint] { get }
    var tunName: String? { get }
    func makeBatch(capacity: Int?) -> PacketBatch
    /// Pool buffers the backend holds rather than the core (posted receives, sends in flight); 0 for epoll.
    var heldBufferCount: Int { get }
    /// The largest datagram received whole.
    var maximumDatagramLength: Int { get }
    /// Gives back every buffer the backend holds (io_uring: cancels posted receives and waits for them).
    func reclaim()
    static func makeLoop<Handler: PacketIOHandler>(io: Self, handler: Handler) throws -> TestLoop
    where Handler.IO == Self
    /// Opens a backend on `addresses` and starts a thread running a loop with an ``EchoHandler`` on it that
    /// never asks for a deadline; returns the thread and the bound addresses.
    static func startEchoThread(_ addresses: [Endpoint], backend: Backend) throws
        -> (thread: TestLoopThread, addresses: [Endpoint])
}

/// Sizes and options for ``BackendIO/open(_:backend:options:)``.
struct TestIOOptions {
    var tunName: String? = nil
    var bufferCount = 256
    var bufferSize = 2048
    var batchSize = 32
    var offloads: PacketOffloads = []
}

/// An event loop of either backend, as the tests drive it.
struct TestLoop {
    let runOnce: (Duration?) throws -> Bool
    let stopHandle: any LoopSignal
    let wakeHandle: any LoopSignal
}

/// A loop running on its own thread.
struct TestLoopThread {
    let stopAndJoin: () -> (any Error)?
}

extension EpollPacketIO: BackendIO {
    static func open(_ addresses: [Endpoint], backend: Backend, options: TestIOOptions) throws -> EpollPacketIO {
        try EpollPacketIO(
            configuration: .init(
                udpAddresses: addresses, tunName: options.tunName, bufferCount: options.bufferCount,
                bufferSize: options.bufferSize, batchSize: options.batchSize))
    }

    var localAddresses: [Endpoint] { datagrams.localAddresses }
    var tunName: String? { tun?.name }
    var heldBufferCount: Int { 0 }
    var maximumDatagramLength: Int { pool.payloadCapacity }
    func reclaim() {}

    static func makeLoop<Handler: PacketIOHandler>(io: EpollPacketIO, handler: Handler) throws -> TestLoop
    where Handler.IO == EpollPacketIO {
        let loop = try EpollEventLoop(io: io, handler: handler)
        return TestLoop(
            runOnce: { timeout in try loop.runOnce(timeout: timeout) }, stopHandle: loop.stopHandle,
            wakeHandle: loop.wakeHandle)
    }

    static func startEchoThread(_ addresses: [Endpoint], backend: Backend) throws
        -> (thread: TestLoopThread, addresses: [Endpoint])
    {
        let io = try open(addresses, backend: backend, options: .init())
        let bound = io.localAddresses
        let handler = EchoHandler<EpollPacketIO>(pool: io.pool, delay: .seconds(3600), stopAfterEchoes: nil)
        let thread = try EpollLoopThread.start(try EpollEventLoop(io: io, handler: handler))
        return (TestLoopThread(stopAndJoin: { thread.stopAndJoin() }), bound)
    }
}

extension IOUringPacketIO: BackendIO {
    static func open(_ addresses: [Endpoint], backend: Backend, options: TestIOOptions) throws -> IOUringPacketIO {
        try IOUringPacketIO(
            configuration: .init(
                udpAddresses: addresses, tunName: options.tunName, bufferCount: options.bufferCount,
                bufferSize: options.bufferSize, batchSize: options.batchSize, offloads: options.offloads,
                receiveMode: backend == .ioUringOneShot ? .oneShot : .multishot))
    }

    var localAddresses: [Endpoint] { datagrams.localAddresses }
    var tunName: String? { tun?.name }
    var maximumDatagramLength: Int { datagrams.maximumDatagramLength }
    func reclaim() { reclaimBuffers() }

    static func makeLoop<Handler: PacketIOHandler>(io: IOUringPacketIO, handler: Handler) throws -> TestLoop
    where Handler.IO == IOUringPacketIO {
        let loop = try IOUringEventLoop(io: io, handler: handler)
        return TestLoop(
            runOnce: { timeout in try loop.runOnce(timeout: timeout) }, stopHandle: loop.stopHandle,
            wakeHandle: loop.wakeHandle)
    }

    static func startEchoThread(_ addresses: [Endpoint], backend: Backend) throws
        -> (thread: TestLoopThread, addresses: [Endpoint])
    {
        let io = try open(addresses, backend: backend, options: .init())
        let bound = io.localAddresses
        let handler = EchoHandler<IOUringPacketIO>(pool: io.pool, delay: .seconds(3600), stopAfterEchoes: nil)
        let thread = try IOUringLoopThread.start(try IOUringEventLoop(io: io, handler: handler))
        return (TestLoopThread(stopAndJoin: { thread.stopAndJoin() }), bound)
    }
}

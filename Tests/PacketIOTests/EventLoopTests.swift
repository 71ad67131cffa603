import DataPlane
import Glibc
import Testing

/// Echoes every datagram back to its sender, asks for one wake-up `delay` after starting and counts wake-ups.
final class EchoHandler<IO: BackendIO>: PacketIOHandler {
    private var batch: PacketBatch
    private let delay: Duration
    private let stopAfterEchoes: Int?
    private(set) var echoed = 0
    private(set) var wakes = 0
    private(set) var startedAt: MonotonicInstant?
    private(set) var deadlineReachedAt: MonotonicInstant?

    init(pool: PacketBufferPool, delay: Duration, stopAfterEchoes: Int?) {
        batch = PacketBatch(pool: pool, capacity: 32)
        self.delay = delay
        self.stopAfterEchoes = stopAfterEchoes
    }

    func handle(_ events: PacketIOEvents, io: IO, now: MonotonicInstant) -> PacketLoopDirective {
        if events.contains(.started) {
            startedAt = now
            return .wait(deadline: now + delay)
        }
        if events.contains(.deadlineReached) {
            deadlineReachedAt = now
        }
        if events.contains(.wakeRequested) {
            wakes += 1
        }
        if events.contains(.datagramsReadable) {
            do {
                while try io.datagrams.receive(into: &batch) > 0 {
                    for index in 0..<batch.count {
                        batch[index].destination = batch[index].source
                        batch[index].source = nil
                    }
                    echoed += try io.datagrams.send(&batch).sent
                }
            } catch {
                Issue.record("echo failed: \(error)")
                return .stop
            }
        }
        if let stopAfterEchoes, echoed >= stopAfterEchoes, deadlineReachedAt != nil {
            return .stop
        }
        return .wait(deadline: deadlineReachedAt == nil ? startedAt.map { $0 + delay } : nil)
    }
}

@Suite("Event loops, every backend")
struct EventLoopTests {
    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func runOnceEchoesAndWakesAtTheDeadline(_ backend: Backend) throws {
        try runOnceEchoesAndWakesAtTheDeadlineBody(backend.ioType, backend)
    }

    func runOnceEchoesAndWakesAtTheDeadlineBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let both: [Endpoint] = [.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)]
        let server = try IO.open(both, backend: backend, options: .init())
        let client = try IO.open(both, backend: backend, options: .init())
        let handler = EchoHandler<IO>(pool: server.pool, delay: .milliseconds(30), stopAfterEchoes: 6)
        let loop = try IO.makeLoop(io: server, handler: handler)

        var outgoing = client.makeBatch(capacity: nil)
        for number in 0..<6 {
            PacketIOSupport.appendDatagram(PacketIOSupport.payload(number), to: server.localAddresses[number % 2],
                                           in: &outgoing)
        }
        #expect(try client.datagrams.send(&outgoing).sent == 6)

        var iterations = 0
        while try loop.runOnce(.milliseconds(100)), iterations < 100 {
            iterations += 1
        }
        #expect(iterations < 100, "the handler stopped the loop")
        #expect(try loop.runOnce(.zero) == false, "a stopped loop stays stopped")
        #expect(handler.echoed == 6)
        let started = try #require(handler.startedAt)
        let fired = try #require(handler.deadlineReachedAt)
        #expect(fired.elapsed(since: started) >= .milliseconds(30))
        // Generous bounds here and below: under the sanitizers, on two busy cores, a thread can wait seconds.
        #expect(fired.elapsed(since: started) < .seconds(10))

        var echoes = client.makeBatch(capacity: nil)
        try PacketIOSupport.receive(6, from: client.datagrams, into: &echoes)
        try #require(echoes.count == 6)
        for index in 0..<6 {
            #expect(server.localAddresses.contains(try #require(echoes[index].source)))
        }
        #expect(PacketIOSupport.allBuffersAccountedFor(server))
        server.reclaim()
        #expect(server.pool.availableCount == server.pool.bufferCount, "no buffer leaked after the loop stopped")
    }

    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func loopThreadEchoesUntilStopped(_ backend: Backend) throws {
        try loopThreadEchoesUntilStoppedBody(backend.ioType, backend)
    }

    func loopThreadEchoesUntilStoppedBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let (thread, bound) = try IO.startEchoThread([.ipv6Loopback(port: 0)], backend: backend)
        let serverAddress = bound[0]

        let client = try IO.open([.ipv6Loopback(port: 0)], backend: backend, options: .init())
        var outgoing = client.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(7), to: serverAddress, in: &outgoing)
        #expect(try client.datagrams.send(&outgoing).sent == 1)
        var echoes = client.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: client.datagrams, into: &echoes)
        #expect(echoes.count == 1)
        if echoes.count == 1 {
            #expect(echoes[0].source == serverAddress)
            #expect(PacketIOSupport.bytes(echoes, at: 0) == PacketIOSupport.payload(7))
        }
        let failure = thread.stopAndJoin()
        #expect(failure == nil, "the loop ended without an error: \(String(describing: failure))")
    }

    /// The wake handle wakes a waiting loop with `.wakeRequested`, and the stop handle makes it return false,
    /// both well before the loop's own timeout.
    @Test(arguments: Backend.allCases)
    func wakeAndStopHandlesInterruptAWait(_ backend: Backend) throws {
        try wakeAndStopHandlesInterruptAWaitBody(backend.ioType, backend)
    }

    func wakeAndStopHandlesInterruptAWaitBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let server = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let handler = EchoHandler<IO>(pool: server.pool, delay: .seconds(3600), stopAfterEchoes: nil)
        let loop = try IO.makeLoop(io: server, handler: handler)
        #expect(try loop.runOnce(.zero), "the first turn starts the handler")
        loop.wakeHandle.signal()
        let clock = ContinuousClock()
        var woken = false
        var start = clock.now
        for _ in 0..<10 where !woken {
            let running = try loop.runOnce(.seconds(30))
            #expect(running)
            woken = handler.wakes == 1
        }
        let wakeTime = clock.now - start
        #expect(woken && wakeTime < .seconds(15), "the wake handle woke the loop: \(wakeTime)")
        loop.stopHandle.signal()
        var running = true
        start = clock.now
        for _ in 0..<10 where running { running = try loop.runOnce(.seconds(30)) }
        let stopTime = clock.now - start
        #expect(!running && stopTime < .seconds(15), "the stop handle stopped the loop: \(stopTime)")
        #expect(try loop.runOnce(.zero) == false)
    }

    /// A deadline already past wakes the handler at once; a later deadline replaces an earlier one.
    @Test(arguments: Backend.allCases)
    func deadlineWakesTheHandler(_ backend: Backend) throws {
        try deadlineWakesTheHandlerBody(backend.ioType, backend)
    }

    func deadlineWakesTheHandlerBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let server = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let handler = EchoHandler<IO>(pool: server.pool, delay: .milliseconds(50), stopAfterEchoes: nil)
        let loop = try IO.makeLoop(io: server, handler: handler)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<20 where handler.deadlineReachedAt == nil { _ = try loop.runOnce(.seconds(30)) }
        let elapsed = clock.now - start
        let started = try #require(handler.startedAt)
        let fired = try #require(handler.deadlineReachedAt, "the deadline woke the handler")
        #expect(fired.elapsed(since: started) >= .milliseconds(50))
        #expect(elapsed < .seconds(15), "woken by the deadline, not by the 30 s wait: \(elapsed)")
    }
}

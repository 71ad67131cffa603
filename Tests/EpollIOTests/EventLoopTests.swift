import DataPlane
import EpollIO
import Testing

/// Echoes every datagram back to its sender and asks for one wake-up `delay` after starting.
final class EchoHandler: PacketIOHandler {
    typealias IO = EpollPacketIO

    private var batch: PacketBatch
    private let delay: Duration
    private let stopAfterEchoes: Int?
    private(set) var echoed = 0
    private(set) var startedAt: MonotonicInstant?
    private(set) var deadlineReachedAt: MonotonicInstant?

    init(pool: PacketBufferPool, delay: Duration, stopAfterEchoes: Int?) {
        batch = PacketBatch(pool: pool, capacity: 32)
        self.delay = delay
        self.stopAfterEchoes = stopAfterEchoes
    }

    func handle(_ events: PacketIOEvents, io: EpollPacketIO, now: MonotonicInstant) -> PacketLoopDirective {
        if events.contains(.started) {
            startedAt = now
            return .wait(deadline: now + delay)
        }
        if events.contains(.deadlineReached) {
            deadlineReachedAt = now
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

@Suite("Epoll event loop")
struct EventLoopTests {
    @Test(.enabled(if: TestSupport.ipv6Available, Comment(rawValue: TestSupport.noIPv6)))
    func runOnceEchoesAndWakesAtTheDeadline() throws {
        let server = try TestSupport.makeIO([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
        let client = try TestSupport.makeIO([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
        let handler = EchoHandler(pool: server.pool, delay: .milliseconds(30), stopAfterEchoes: 6)
        let loop = try EpollEventLoop(io: server, handler: handler)

        var outgoing = client.makeBatch()
        for number in 0..<6 {
            TestSupport.appendDatagram(TestSupport.payload(number), to: server.datagrams.localAddresses[number % 2],
                                       in: &outgoing)
        }
        #expect(try client.datagrams.send(&outgoing).sent == 6)

        var iterations = 0
        while try loop.runOnce(timeout: .milliseconds(100)), iterations < 100 {
            iterations += 1
        }
        #expect(iterations < 100, "the handler stopped the loop")
        #expect(try loop.runOnce(timeout: .zero) == false, "a stopped loop stays stopped")
        #expect(handler.echoed == 6)
        let started = try #require(handler.startedAt)
        let fired = try #require(handler.deadlineReachedAt)
        #expect(fired.elapsed(since: started) >= .milliseconds(30))
        #expect(fired.elapsed(since: started) < .seconds(2))

        var echoes = client.makeBatch()
        try TestSupport.receive(6, from: client.datagrams, into: &echoes)
        try #require(echoes.count == 6)
        for index in 0..<6 {
            #expect(server.datagrams.localAddresses.contains(try #require(echoes[index].source)))
        }
        #expect(server.pool.availableCount == server.pool.bufferCount)
    }

    @Test(.enabled(if: TestSupport.ipv6Available, Comment(rawValue: TestSupport.noIPv6)))
    func loopThreadEchoesUntilStopped() throws {
        let server = try TestSupport.makeIO([.ipv6Loopback(port: 0)])
        let serverAddress = server.datagrams.localAddresses[0]
        let thread = try EpollLoopThread.start(
            try EpollEventLoop(
                io: server, handler: EchoHandler(pool: server.pool, delay: .seconds(3600), stopAfterEchoes: nil)))

        let client = try TestSupport.makeIO([.ipv6Loopback(port: 0)])
        var outgoing = client.makeBatch()
        TestSupport.appendDatagram(TestSupport.payload(7), to: serverAddress, in: &outgoing)
        #expect(try client.datagrams.send(&outgoing).sent == 1)
        var echoes = client.makeBatch()
        try TestSupport.receive(1, from: client.datagrams, into: &echoes)
        #expect(echoes.count == 1)
        if echoes.count == 1 {
            #expect(echoes[0].source == serverAddress)
            #expect(TestSupport.bytes(echoes, at: 0) == TestSupport.payload(7))
        }
        #expect(thread.stopAndJoin() == nil)
    }
}

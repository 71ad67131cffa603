import DataPlane
import Foundation
import IOUringIO
import Synchronization
import Testing

/// liburing maps and unmaps a ring with raw syscalls that ThreadSanitizer cannot see. A ring opened where a
/// ring closed on another thread was mapped must not look like a race with it: CI's ThreadSanitizer run once
/// failed on exactly that, between two parallel tests. These tests prove something only under TSan; in other
/// runs they still exercise opening and closing rings on two threads one after the other.
@Suite struct RingMappingTests {
    struct Lost: Error, CustomStringConvertible {
        let description: String
    }

    /// What the two threads share: a flag that orders them in time without telling ThreadSanitizer (relaxed),
    /// as two unrelated tests running side by side are ordered, and the other thread's failure.
    final class Shared: Sendable {
        let closed = Atomic<Int>(0)
        let failure = Mutex<String?>(nil)
    }

    /// One datagram through a fresh pair of backends, then both closed: the rings' submission entries written.
    private static func exchangeOneDatagram(_ backend: Backend) throws {
        let server = try IOUringPacketIO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let client = try IOUringPacketIO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        var outgoing = client.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(8), to: server.localAddresses[0], in: &outgoing)
        guard try client.datagrams.send(&outgoing).sent == 1 else { throw Lost(description: "not sent") }
        var incoming = server.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: server.datagrams, into: &incoming)
        guard incoming.count == 1 else { throw Lost(description: "not received") }
    }

    @Test(arguments: Backend.ioUringModes)
    func aRingOpenedWhereAnotherThreadClosedOneIsNoRace(_ backend: Backend) throws {
        let shared = Shared()
        let thread = Thread {
            do {
                try Self.exchangeOneDatagram(backend)
            } catch {
                shared.failure.withLock { $0 = "\(error)" }
            }
            shared.closed.store(1, ordering: .relaxed)
        }
        thread.start()
        var waited = 0
        while shared.closed.load(ordering: .relaxed) == 0 && waited < 5_000 {
            usleep(1_000)
            waited += 1
        }
        try #require(shared.closed.load(ordering: .relaxed) == 1, "the other thread finished within 5 s")
        try Self.exchangeOneDatagram(backend)
        #expect(shared.failure.withLock { $0 } == nil)
    }
}

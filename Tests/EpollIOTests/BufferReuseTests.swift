import DataPlane
import EpollIO
import Testing

@Suite("Epoll buffer reuse")
struct BufferReuseTests {
    /// Moves far more datagrams than the pools hold: if any buffer were allocated per packet or leaked, the
    /// counts would drift or the pools would run dry.
    @Test func manyRoundsUseOnlyThePoolsBuffers() throws {
        let bufferCount = 48
        let sender = try TestSupport.makeIO([.ipv4Loopback(port: 0)], bufferCount: bufferCount)
        let receiver = try TestSupport.makeIO([.ipv4Loopback(port: 0)], bufferCount: bufferCount)
        let target = receiver.datagrams.localAddresses[0]
        var outgoing = sender.makeBatch(capacity: 32)
        var incoming = receiver.makeBatch(capacity: 32)
        let regions = (sender.pool.baseAddress, receiver.pool.baseAddress)
        var moved = 0
        for round in 0..<200 {
            for number in 0..<32 {
                TestSupport.appendDatagram(TestSupport.payload(round &+ number, length: 64), to: target, in: &outgoing)
            }
            #expect(sender.pool.availableCount == bufferCount - 32)
            let result = try sender.datagrams.send(&outgoing)
            #expect(sender.pool.availableCount == bufferCount)
            try TestSupport.receive(result.sent, from: receiver.datagrams, into: &incoming)
            #expect(incoming.count == result.sent)
            for index in 0..<incoming.count {
                let offset = UnsafeRawPointer(incoming.buffer(at: index).baseAddress!) - UnsafeRawPointer(regions.1)
                #expect(offset >= 0 && offset < receiver.pool.regionByteCount, "buffer comes from the pool")
            }
            moved += incoming.count
            incoming.removeAll()
            #expect(receiver.pool.availableCount == bufferCount)
        }
        #expect(moved > 100 * bufferCount, "most of the 6400 datagrams arrived")
        #expect(sender.pool.baseAddress == regions.0 && receiver.pool.baseAddress == regions.1)
    }

    @Test func emptyPoolReceivesNothingAndLosesNothing() throws {
        let receiver = try TestSupport.makeIO([.ipv4Loopback(port: 0)], bufferCount: 4)
        let sender = try TestSupport.makeIO([.ipv4Loopback(port: 0)])
        var outgoing = sender.makeBatch()
        for number in 0..<6 {
            TestSupport.appendDatagram(TestSupport.payload(number), to: receiver.datagrams.localAddresses[0],
                                       in: &outgoing)
        }
        #expect(try sender.datagrams.send(&outgoing).sent == 6)
        var incoming = receiver.makeBatch(capacity: 8)
        try TestSupport.receive(4, from: receiver.datagrams, into: &incoming)
        #expect(incoming.count == 4 && receiver.pool.availableCount == 0)
        #expect(try receiver.datagrams.receive(into: &incoming) == 0, "no buffer left: nothing is read")
        incoming.removeAll()
        try TestSupport.receive(2, from: receiver.datagrams, into: &incoming)
        #expect(incoming.count == 2, "the datagrams stayed queued in the socket")
        #expect(TestSupport.bytes(incoming, at: 1) == TestSupport.payload(5))
    }
}

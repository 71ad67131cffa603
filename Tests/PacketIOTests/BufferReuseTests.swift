import DataPlane
import Testing

@Suite("Buffer reuse, every backend")
struct BufferReuseTests {
    /// Moves far more datagrams than the pools hold: if any buffer were allocated per packet or leaked, the
    /// counts would drift or the pools would run dry.
    @Test(arguments: Backend.allCases)
    func manyRoundsUseOnlyThePoolsBuffers(_ backend: Backend) throws {
        try manyRoundsUseOnlyThePoolsBuffersBody(backend.ioType, backend)
    }

    func manyRoundsUseOnlyThePoolsBuffersBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let options = TestIOOptions(bufferCount: 64)
        let sender = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: options)
        let receiver = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: options)
        let target = receiver.localAddresses[0]
        var outgoing = sender.makeBatch(capacity: 32)
        var incoming = receiver.makeBatch(capacity: 32)
        let regions = (sender.pool.baseAddress, receiver.pool.baseAddress)
        var moved = 0
        for round in 0..<200 {
            for number in 0..<32 {
                PacketIOSupport.appendDatagram(PacketIOSupport.payload(round &+ number, length: 64), to: target,
                                               in: &outgoing)
            }
            let result = try sender.datagrams.send(&outgoing)
            #expect(PacketIOSupport.allBuffersAccountedFor(sender))
            try PacketIOSupport.receive(result.sent, from: receiver.datagrams, into: &incoming)
            for index in 0..<incoming.count {
                let offset = UnsafeRawPointer(incoming.buffer(at: index).baseAddress!) - UnsafeRawPointer(regions.1)
                #expect(offset >= 0 && offset < receiver.pool.regionByteCount, "buffer comes from the pool")
            }
            moved += incoming.count
            incoming.removeAll()
            #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
        }
        #expect(moved > 6000, "most of the 6400 datagrams arrived")
        #expect(sender.pool.baseAddress == regions.0 && receiver.pool.baseAddress == regions.1)
        sender.reclaim()
        receiver.reclaim()
        #expect(sender.pool.availableCount == sender.pool.bufferCount)
        #expect(receiver.pool.availableCount == receiver.pool.bufferCount)
    }

    @Test(arguments: Backend.allCases)
    func emptyPoolReceivesNothingAndLosesNothing(_ backend: Backend) throws {
        try emptyPoolReceivesNothingAndLosesNothingBody(backend.ioType, backend)
    }

    func emptyPoolReceivesNothingAndLosesNothingBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let receiver = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init(bufferCount: 4))
        let sender = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        var outgoing = sender.makeBatch(capacity: nil)
        for number in 0..<6 {
            PacketIOSupport.appendDatagram(PacketIOSupport.payload(number), to: receiver.localAddresses[0],
                                           in: &outgoing)
        }
        #expect(try sender.datagrams.send(&outgoing).sent == 6)
        var incoming = receiver.makeBatch(capacity: 8)
        try PacketIOSupport.receive(4, from: receiver.datagrams, into: &incoming)
        #expect(incoming.count == 4 && receiver.pool.availableCount == 0)
        #expect(try receiver.datagrams.receive(into: &incoming) == 0, "no buffer left: nothing is read")
        incoming.removeAll()
        try PacketIOSupport.receive(2, from: receiver.datagrams, into: &incoming)
        #expect(incoming.count == 2, "the datagrams stayed queued in the socket")
        if incoming.count == 2 {
            #expect(PacketIOSupport.bytes(incoming, at: 0) == PacketIOSupport.payload(4))
            #expect(PacketIOSupport.bytes(incoming, at: 1) == PacketIOSupport.payload(5))
        }
    }
}

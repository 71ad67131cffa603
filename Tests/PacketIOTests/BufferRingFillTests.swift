import DataPlane
import IOUringIO
import Testing

/// The multishot receive's provided-buffer ring holds as many buffers as the bytes they have been receiving fit
/// in a 64 KiB budget (at least 8): shallow for trains that fill their buffers, deep for small datagrams; and no
/// datagram is lost when it runs dry.
@Suite struct BufferRingFillTests {
    /// A receiver with 128 KiB buffers: a full one would not fit the budget even once, so the ring starts at its
    /// floor of 8; at most 64 are posted.
    private static func openReceiver() throws -> IOUringPacketIO {
        try IOUringPacketIO(configuration: .init(
            udpAddresses: [.ipv4Loopback(port: 0)], bufferCount: 96, bufferSize: 128 << 10,
            socketReceiveBufferBytes: 4 << 20, receiveMode: .multishot, receiveBufferCount: 64))
    }

    private static func openSender() throws -> IOUringPacketIO {
        try IOUringPacketIO(configuration: .init(
            udpAddresses: [.ipv4Loopback(port: 0)], bufferCount: 64, bufferSize: 64 << 10,
            socketSendBufferBytes: 4 << 20))
    }

    /// Posts the receiver's ring without receiving anything; returns the buffers it holds then.
    private static func armedFill(_ io: IOUringPacketIO) throws -> Int {
        var batch = io.makeBatch(capacity: 64)
        let received = try io.datagrams.receive(into: &batch)
        try #require(received == 0, "nothing was sent yet")
        return io.heldBufferCount
    }

    private static func send(
        _ numbers: Range<Int>, length: Int, from sender: IOUringPacketIO, to receiver: IOUringPacketIO
    ) throws {
        var batch = sender.makeBatch(capacity: numbers.count)
        for number in numbers {
            PacketIOSupport.appendDatagram(
                PacketIOSupport.payload(number, length: length), to: receiver.datagrams.localAddresses[0], in: &batch)
        }
        let result = try sender.datagrams.send(&batch)
        try #require(result.sent == numbers.count)
    }

    @Test func aBurstOfSmallDatagramsArrivesWholeInOrderAndDeepensTheRing() throws {
        let receiver = try Self.openReceiver()
        let sender = try Self.openSender()
        #expect(try Self.armedFill(receiver) == 8)
        // 60 datagrams land in the socket before the next receive: the 8-buffer ring runs dry, its receive ends,
        // and the rest wait in the socket until it is re-armed.
        try Self.send(0..<60, length: 200, from: sender, to: receiver)
        var batch = receiver.makeBatch(capacity: 64)
        try PacketIOSupport.receive(60, from: receiver.datagrams, into: &batch)
        try #require(batch.count == 60)
        for index in 0..<60 {
            #expect(PacketIOSupport.bytes(batch, at: index) == PacketIOSupport.payload(index, length: 200))
        }
        batch.removeAll()
        // The average forgets the full buffers it assumed at the start over some tens of datagrams: a second burst.
        try Self.send(60..<120, length: 200, from: sender, to: receiver)
        try PacketIOSupport.receive(60, from: receiver.datagrams, into: &batch)
        try #require(batch.count == 60)
        batch.removeAll()
        #expect(try Self.armedFill(receiver) == 64, "200-byte datagrams fit the budget in every posted buffer")
        #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
    }

    @Test func datagramsThatFillTheirBuffersShrinkADeepRingBackToTheBudget() throws {
        let receiver = try Self.openReceiver()
        let sender = try Self.openSender()
        // Small datagrams first, so the ring is deep when the large ones start.
        try Self.send(0..<60, length: 200, from: sender, to: receiver)
        var batch = receiver.makeBatch(capacity: 64)
        try PacketIOSupport.receive(60, from: receiver.datagrams, into: &batch)
        try #require(batch.count == 60)
        batch.removeAll()
        try Self.send(60..<120, length: 200, from: sender, to: receiver)
        try PacketIOSupport.receive(60, from: receiver.datagrams, into: &batch)
        try #require(batch.count == 60)
        batch.removeAll()
        try #require(try Self.armedFill(receiver) == 64)
        for round in 0..<100 {
            try Self.send(round * 2..<round * 2 + 2, length: 60_000, from: sender, to: receiver)
            try PacketIOSupport.receive(2, from: receiver.datagrams, into: &batch)
            try #require(batch.count == 2, "round \(round)")
            for index in 0..<2 {
                #expect(PacketIOSupport.bytes(batch, at: index)
                    == PacketIOSupport.payload(round * 2 + index, length: 60_000))
            }
            batch.removeAll()
        }
        let held = try Self.armedFill(receiver)
        #expect(held == 8, "60 KB datagrams fit the 64 KiB budget once: the floor of 8 (holds \(held))")
        #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
    }

    @Test func datagramsOfAFewKilobytesGetTheDepthTheBudgetHolds() throws {
        let receiver = try Self.openReceiver()
        let sender = try Self.openSender()
        // Neither bound decides here: 5,000 bytes (plus the kernel's header, address and control messages in front
        // of each, under 200 bytes) fit 64 KiB 12 or 13 times, between the floor of 8 and the 64 posted at most.
        for round in 0..<50 {
            try Self.send(round * 4..<round * 4 + 4, length: 5_000, from: sender, to: receiver)
            var batch = receiver.makeBatch(capacity: 64)
            try PacketIOSupport.receive(4, from: receiver.datagrams, into: &batch)
            try #require(batch.count == 4, "round \(round)")
            #expect(PacketIOSupport.bytes(batch, at: 3) == PacketIOSupport.payload(round * 4 + 3, length: 5_000))
        }
        let held = try Self.armedFill(receiver)
        #expect((12...13).contains(held), "65536 / (5000 + overhead) buffers (holds \(held))")
        #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
    }
}

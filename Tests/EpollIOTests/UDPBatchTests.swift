import DataPlane
import EpollIO
import Glibc
import Testing

@Suite("Epoll UDP batches")
struct UDPBatchTests {
    @Test func batchArrivesWithSourceAndDestinationIPv4() throws {
        try batchArrivesWithSourceAndDestination(.ipv4Loopback(port: 0))
    }

    @Test(.enabled(if: TestSupport.ipv6Available, Comment(rawValue: TestSupport.noIPv6)))
    func batchArrivesWithSourceAndDestinationIPv6() throws {
        try batchArrivesWithSourceAndDestination(.ipv6Loopback(port: 0))
    }

    func batchArrivesWithSourceAndDestination(_ loopback: Endpoint) throws {
        let sender = try TestSupport.makeIO([loopback])
        let receiver = try TestSupport.makeIO([loopback])
        let senderAddress = try #require(sender.datagrams.localAddresses.first)
        let receiverAddress = try #require(receiver.datagrams.localAddresses.first)
        #expect(senderAddress.port != 0 && receiverAddress.port != 0 && senderAddress.address == loopback.address)

        let count = 20
        var outgoing = sender.makeBatch()
        for number in 0..<count {
            TestSupport.appendDatagram(TestSupport.payload(number, length: 50 + number), to: receiverAddress,
                                       in: &outgoing)
        }
        let result = try sender.datagrams.send(&outgoing)
        #expect(result == PacketSendResult(sent: count, dropped: 0))
        #expect(outgoing.isEmpty && sender.pool.availableCount == sender.pool.bufferCount)

        var incoming = receiver.makeBatch()
        try TestSupport.receive(count, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == count)
        for index in 0..<count {
            let entry = incoming[index]
            #expect(entry.source == senderAddress)
            #expect(entry.destination == receiverAddress)
            #expect(entry.offset == receiver.pool.headroom && entry.segmentSize == 0)
            #expect(incoming.tailroom(at: index) >= receiver.pool.tailroom)
            #expect(TestSupport.bytes(incoming, at: index) == TestSupport.payload(index, length: 50 + index))
        }
        #expect(receiver.pool.availableCount == receiver.pool.bufferCount - count)
        incoming.removeAll()
        #expect(receiver.pool.availableCount == receiver.pool.bufferCount)
        #expect(try receiver.datagrams.receive(into: &incoming) == 0, "nothing else is waiting")
    }

    @Test(.enabled(if: TestSupport.ipv6Available, Comment(rawValue: TestSupport.noIPv6)))
    func oneBatchMixesIPv4AndIPv6() throws {
        let peer = try TestSupport.makeIO([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
        let local = try TestSupport.makeIO([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)])
        let peerAddresses = peer.datagrams.localAddresses
        var outgoing = local.makeBatch()
        for number in 0..<10 {
            TestSupport.appendDatagram(TestSupport.payload(number), to: peerAddresses[number % 2], in: &outgoing)
        }
        // No socket handles a destination-less entry: it is dropped, the others still go out.
        _ = outgoing.appendNewBuffer()
        #expect(try local.datagrams.send(&outgoing) == PacketSendResult(sent: 10, dropped: 1))

        var incoming = peer.makeBatch()
        try TestSupport.receive(10, from: peer.datagrams, into: &incoming)
        try #require(incoming.count == 10)
        var seen: [Int: Int] = [:]
        for index in 0..<incoming.count {
            let entry = incoming[index]
            let version = try #require(entry.source?.ipVersion)
            seen[version, default: 0] += 1
            #expect(local.datagrams.localAddresses.contains(try #require(entry.source)))
            #expect(entry.destination?.ipVersion == version)
        }
        #expect(seen == [4: 5, 6: 5])
    }

    @Test func oversizedDatagramIsDroppedNotTruncated() throws {
        let receiver = try EpollPacketIO(
            configuration: .init(udpAddresses: [.ipv4Loopback(port: 0)], bufferCount: 16, bufferSize: 512))
        let sender = try TestSupport.makeIO([.ipv4Loopback(port: 0)])
        let target = receiver.datagrams.localAddresses[0]
        var outgoing = sender.makeBatch()
        TestSupport.appendDatagram(TestSupport.payload(1, length: receiver.pool.payloadCapacity + 1), to: target,
                                   in: &outgoing)
        TestSupport.appendDatagram(TestSupport.payload(2, length: receiver.pool.payloadCapacity), to: target,
                                   in: &outgoing)
        #expect(try sender.datagrams.send(&outgoing).sent == 2)
        var incoming = receiver.makeBatch()
        try TestSupport.receive(1, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == 1)
        #expect(TestSupport.bytes(incoming, at: 0) == TestSupport.payload(2, length: receiver.pool.payloadCapacity))
        incoming.removeAll()
        #expect(receiver.pool.availableCount == receiver.pool.bufferCount)
    }

    @Test(.enabled(if: TestSupport.ipv6Available, Comment(rawValue: TestSupport.noIPv6)))
    func segmentedEntryIsSentAsSeveralDatagrams() throws {
        let sender = try TestSupport.makeIO([.ipv6Loopback(port: 0)])
        let receiver = try TestSupport.makeIO([.ipv6Loopback(port: 0)])
        var outgoing = sender.makeBatch()
        let payload = (0..<3).flatMap { TestSupport.payload($0, length: 100) } + TestSupport.payload(3, length: 40)
        TestSupport.appendDatagram(payload, to: receiver.datagrams.localAddresses[0], in: &outgoing)
        outgoing[0].segmentSize = 100
        #expect(try sender.datagrams.send(&outgoing) == PacketSendResult(sent: 1, dropped: 0))
        var incoming = receiver.makeBatch()
        try TestSupport.receive(4, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == 4)
        for index in 0..<4 {
            #expect(TestSupport.bytes(incoming, at: index) == TestSupport.payload(index, length: index < 3 ? 100 : 40))
        }
    }

    @Test func bindingABusyPortNamesTheCallAndTheError() throws {
        let first = try TestSupport.makeIO([.ipv4Loopback(port: 0)])
        let busy = first.datagrams.localAddresses[0]
        #expect(throws: EpollIOError.systemCall("bind(\(busy))", errno: EADDRINUSE)) {
            _ = try TestSupport.makeIO([busy])
        }
        let error = EpollIOError.systemCall("bind(\(busy))", errno: EADDRINUSE)
        #expect(error.description == "bind(\(busy)) failed: Address already in use (errno \(EADDRINUSE))")
        #expect(throws: EpollIOError.duplicateFamily(.ipv4Loopback(port: 0))) {
            _ = try TestSupport.makeIO([.ipv4Loopback(port: 0), .ipv4Loopback(port: 0)])
        }
    }
}

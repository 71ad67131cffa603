import DataPlane
import Glibc
import Testing

@Suite("UDP batches, every backend")
struct UDPBatchTests {
    @Test(arguments: Backend.allCases)
    func batchArrivesWithSourceAndDestinationIPv4(_ backend: Backend) throws {
        try batchArrivesWithSourceAndDestinationBody(backend.ioType, backend, .ipv4Loopback(port: 0))
    }

    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func batchArrivesWithSourceAndDestinationIPv6(_ backend: Backend) throws {
        try batchArrivesWithSourceAndDestinationBody(backend.ioType, backend, .ipv6Loopback(port: 0))
    }

    func batchArrivesWithSourceAndDestinationBody<IO: BackendIO>(
        _ type: IO.Type, _ backend: Backend, _ loopback: Endpoint
    ) throws {
        let sender = try IO.open([loopback], backend: backend, options: .init())
        let receiver = try IO.open([loopback], backend: backend, options: .init())
        let senderAddress = try #require(sender.localAddresses.first)
        let receiverAddress = try #require(receiver.localAddresses.first)
        #expect(senderAddress.port != 0 && receiverAddress.port != 0 && senderAddress.address == loopback.address)

        let count = 20
        var outgoing = sender.makeBatch(capacity: nil)
        for number in 0..<count {
            PacketIOSupport.appendDatagram(PacketIOSupport.payload(number, length: 50 + number), to: receiverAddress,
                                           in: &outgoing)
        }
        let result = try sender.datagrams.send(&outgoing)
        #expect(result == PacketSendResult(sent: count, dropped: 0))
        let emptied = outgoing.isEmpty
        #expect(emptied)
        #expect(PacketIOSupport.allBuffersAccountedFor(sender))

        var incoming = receiver.makeBatch(capacity: nil)
        try PacketIOSupport.receive(count, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == count)
        for index in 0..<count {
            let entry = incoming[index]
            #expect(entry.source == senderAddress)
            #expect(entry.destination == receiverAddress)
            #expect(entry.offset >= receiver.pool.headroom && entry.segmentSize == 0)
            #expect(incoming.tailroom(at: index) >= receiver.pool.tailroom)
            #expect(PacketIOSupport.bytes(incoming, at: index) == PacketIOSupport.payload(index, length: 50 + index))
        }
        #expect(receiver.pool.availableCount + receiver.heldBufferCount == receiver.pool.bufferCount - count)
        incoming.removeAll()
        #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
        #expect(try receiver.datagrams.receive(into: &incoming) == 0, "nothing else is waiting")
        receiver.reclaim()
        #expect(receiver.pool.availableCount == receiver.pool.bufferCount, "reclaimed: every buffer is free")
    }

    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func oneBatchMixesIPv4AndIPv6(_ backend: Backend) throws {
        try oneBatchMixesIPv4AndIPv6Body(backend.ioType, backend)
    }

    func oneBatchMixesIPv4AndIPv6Body<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let peer = try IO.open([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)], backend: backend, options: .init())
        let local = try IO.open([.ipv4Loopback(port: 0), .ipv6Loopback(port: 0)], backend: backend, options: .init())
        let peerAddresses = peer.localAddresses
        var outgoing = local.makeBatch(capacity: nil)
        for number in 0..<10 {
            PacketIOSupport.appendDatagram(PacketIOSupport.payload(number), to: peerAddresses[number % 2],
                                           in: &outgoing)
        }
        // No socket handles a destination-less entry: it is dropped, the others still go out.
        _ = outgoing.appendNewBuffer()
        #expect(try local.datagrams.send(&outgoing) == PacketSendResult(sent: 10, dropped: 1))

        var incoming = peer.makeBatch(capacity: nil)
        try PacketIOSupport.receive(10, from: peer.datagrams, into: &incoming)
        try #require(incoming.count == 10)
        var seen: [Int: Int] = [:]
        for index in 0..<incoming.count {
            let entry = incoming[index]
            let version = try #require(entry.source?.ipVersion)
            seen[version, default: 0] += 1
            #expect(local.localAddresses.contains(try #require(entry.source)))
            #expect(entry.destination?.ipVersion == version)
        }
        #expect(seen == [4: 5, 6: 5])
    }

    @Test(arguments: Backend.allCases)
    func oversizedDatagramIsDroppedNotTruncated(_ backend: Backend) throws {
        try oversizedDatagramIsDroppedNotTruncatedBody(backend.ioType, backend)
    }

    func oversizedDatagramIsDroppedNotTruncatedBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let receiver = try IO.open([.ipv4Loopback(port: 0)], backend: backend,
                                   options: .init(bufferCount: 16, bufferSize: 512))
        let sender = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let target = receiver.localAddresses[0]
        let largest = receiver.maximumDatagramLength
        var outgoing = sender.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(1, length: largest + 1), to: target, in: &outgoing)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(2, length: largest), to: target, in: &outgoing)
        #expect(try sender.datagrams.send(&outgoing).sent == 2)
        var incoming = receiver.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == 1)
        #expect(PacketIOSupport.bytes(incoming, at: 0) == PacketIOSupport.payload(2, length: largest))
        incoming.removeAll()
        #expect(PacketIOSupport.allBuffersAccountedFor(receiver))
    }

    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func segmentedEntryIsSentAsSeveralDatagrams(_ backend: Backend) throws {
        try segmentedEntryIsSentAsSeveralDatagramsBody(backend.ioType, backend)
    }

    func segmentedEntryIsSentAsSeveralDatagramsBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let sender = try IO.open([.ipv6Loopback(port: 0)], backend: backend, options: .init(offloads: [.udpGSO]))
        let receiver = try IO.open([.ipv6Loopback(port: 0)], backend: backend, options: .init())
        var outgoing = sender.makeBatch(capacity: nil)
        let payload = (0..<3).flatMap { PacketIOSupport.payload($0, length: 100) }
            + PacketIOSupport.payload(3, length: 40)
        PacketIOSupport.appendDatagram(payload, to: receiver.localAddresses[0], in: &outgoing)
        outgoing[0].segmentSize = 100
        #expect(try sender.datagrams.send(&outgoing) == PacketSendResult(sent: 1, dropped: 0))
        var incoming = receiver.makeBatch(capacity: nil)
        try PacketIOSupport.receive(4, from: receiver.datagrams, into: &incoming)
        try #require(incoming.count == 4)
        for index in 0..<4 {
            #expect(PacketIOSupport.bytes(incoming, at: index)
                    == PacketIOSupport.payload(index, length: index < 3 ? 100 : 40))
        }
    }

    /// A GSO train sent on loopback arrives at a GRO socket as one entry with its segment size.
    /// epoll joins these arguments once its offloads land.
    @Test(arguments: Backend.ioUringModes)
    func groReceiveGivesOneEntryWithItsSegmentSize(_ backend: Backend) throws {
        try groReceiveGivesOneEntryWithItsSegmentSizeBody(backend.ioType, backend)
    }

    func groReceiveGivesOneEntryWithItsSegmentSizeBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let large = TestIOOptions(bufferCount: 64, bufferSize: 65536 + 512, offloads: [.udpGRO, .udpGSO])
        let receiver = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: large)
        #expect(receiver.offloads.contains(.udpGRO), "UDP_GRO took (PLATFORM.md: this kernel has it)")
        let sender = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: large)
        var outgoing = sender.makeBatch(capacity: nil)
        let segments = 20
        let payload = (0..<segments).flatMap { PacketIOSupport.payload($0, length: 1200) }
        PacketIOSupport.appendDatagram(payload, to: receiver.localAddresses[0], in: &outgoing)
        outgoing[0].segmentSize = 1200
        #expect(try sender.datagrams.send(&outgoing).sent == 1)
        var incoming = receiver.makeBatch(capacity: nil)
        var received: [UInt8] = []
        var sizes: [Int] = []
        for _ in 0..<1000 where received.count < payload.count {
            if try receiver.datagrams.receive(into: &incoming) == 0 { usleep(1000) }
            for index in 0..<incoming.count {
                received += PacketIOSupport.bytes(incoming, at: index)
                sizes.append(incoming[index].segmentSize)
                #expect(incoming[index].source == sender.localAddresses[0])
            }
            incoming.removeAll()
        }
        #expect(received == payload)
        #expect(sizes.contains(1200), "at least one entry is a GRO train of 1200-byte segments: \(sizes)")
        #expect(sizes.count < segments, "GRO coalesced the train into fewer entries: \(sizes.count)")
    }

    /// Datagrams to a second loopback address report it as their destination, and a reply sent from it (packet
    /// info on send) leaves from that address.
    @Test(arguments: Backend.allCases)
    func packetInfoReportsAndChoosesTheLocalAddress(_ backend: Backend) throws {
        try packetInfoReportsAndChoosesTheLocalAddressBody(backend.ioType, backend)
    }

    func packetInfoReportsAndChoosesTheLocalAddressBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let server = try IO.open([.ipv4Any(port: 0)], backend: backend, options: .init())
        let client = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let second = Endpoint(address: .v4(IPv4Address(127, 0, 0, 2)), port: server.localAddresses[0].port)
        var outgoing = client.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(9), to: second, in: &outgoing)
        #expect(try client.datagrams.send(&outgoing).sent == 1)
        var incoming = server.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: server.datagrams, into: &incoming)
        try #require(incoming.count == 1)
        #expect(incoming[0].destination == second, "packet info gives the address the datagram was sent to")
        #expect(incoming[0].interfaceIndex == if_nametoindex("lo"), "packet info gives the interface it came in by")
        #expect(incoming[0].source == client.localAddresses[0])
        // Answer the way the tunnel does: to the sender, from where its datagram arrived.
        let arrivedAt = try #require(incoming[0].arrivedAt)
        incoming[0].address(to: client.localAddresses[0], from: arrivedAt)
        #expect(try server.datagrams.send(&incoming).sent == 1)
        var replies = client.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: client.datagrams, into: &replies)
        try #require(replies.count == 1)
        #expect(replies[0].source == second, "the reply left from the address chosen with packet info")
    }

    @Test(.enabled(if: PacketIOSupport.ipv6Available, Comment(rawValue: PacketIOSupport.noIPv6)),
          arguments: Backend.allCases)
    func packetInfoReportsAndChoosesTheIPv6AddressAndInterface(_ backend: Backend) throws {
        try packetInfoIPv6Body(backend.ioType, backend)
    }

    func packetInfoIPv6Body<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let any = Endpoint(address: .v6(IPv6Address(high: 0, low: 0)), port: 0)
        let server = try IO.open([any], backend: backend, options: .init())
        let client = try IO.open([.ipv6Loopback(port: 0)], backend: backend, options: .init())
        let target = Endpoint.ipv6Loopback(port: server.localAddresses[0].port)
        var outgoing = client.makeBatch(capacity: nil)
        PacketIOSupport.appendDatagram(PacketIOSupport.payload(6), to: target, in: &outgoing)
        #expect(try client.datagrams.send(&outgoing).sent == 1)
        var incoming = server.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: server.datagrams, into: &incoming)
        try #require(incoming.count == 1)
        let arrivedAt = try #require(incoming[0].arrivedAt)
        #expect(arrivedAt == LocalSource(address: target.address, interfaceIndex: if_nametoindex("lo")))
        // IPv6 packet info names the interface too; the kernel must accept both for the reply.
        incoming[0].address(to: client.localAddresses[0], from: arrivedAt)
        #expect(try server.datagrams.send(&incoming).sent == 1)
        var replies = client.makeBatch(capacity: nil)
        try PacketIOSupport.receive(1, from: client.datagrams, into: &replies)
        try #require(replies.count == 1)
        #expect(replies[0].source == target)
    }

    @Test(arguments: Backend.allCases)
    func bindingABusyPortNamesTheCallAndTheError(_ backend: Backend) throws {
        try bindingABusyPortNamesTheCallAndTheErrorBody(backend.ioType, backend)
    }

    func bindingABusyPortNamesTheCallAndTheErrorBody<IO: BackendIO>(_ type: IO.Type, _ backend: Backend) throws {
        let first = try IO.open([.ipv4Loopback(port: 0)], backend: backend, options: .init())
        let busy = first.localAddresses[0]
        let error = #expect(throws: (any Error).self) { _ = try IO.open([busy], backend: backend, options: .init()) }
        #expect("\(error.map { "\($0)" } ?? "")" == "bind(\(busy)) failed: Address already in use (errno \(EADDRINUSE))")
    }
}

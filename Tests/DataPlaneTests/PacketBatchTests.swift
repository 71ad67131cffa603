import DataPlane
import Testing

@Suite("PacketBatch and PacketBufferPool")
struct PacketBatchTests {
    @Test func poolHandsOutEveryBufferOnceAndTakesThemBack() {
        let pool = PacketBufferPool(bufferCount: 4, bufferSize: 256, headroom: 16, tailroom: 32)
        #expect(pool.payloadCapacity == 208)
        #expect(Int(bitPattern: pool.baseAddress) % 4096 == 0)
        let buffers = (0..<4).compactMap { _ in pool.acquire() }
        #expect(Set(buffers.map(\.index)) == [0, 1, 2, 3])
        #expect(pool.acquire() == nil && pool.availableCount == 0)
        for buffer in buffers {
            #expect(pool.address(of: buffer) == pool.baseAddress + Int(buffer.index) * 256)
            pool.release(buffer)
        }
        #expect(pool.availableCount == 4)
    }

    @Test func batchReturnsBuffersWhenEmptiedOrDropped() {
        let pool = PacketBufferPool(bufferCount: 8)
        do {
            var batch = PacketBatch(pool: pool, capacity: 4)
            for _ in 0..<4 {
                let index = batch.appendNewBuffer()
                #expect(index != nil)
            }
            let overflow = batch.appendNewBuffer()
            #expect(overflow == nil && batch.remainingCapacity == 0)
            #expect(pool.availableCount == 4)
            batch.removeAll()
            #expect(pool.availableCount == 8 && batch.isEmpty)
            _ = batch.appendNewBuffer()
            _ = batch.appendNewBuffer()
            #expect(pool.availableCount == 6)
        }
        #expect(pool.availableCount == 8, "dropping a batch returns its buffers")
    }

    @Test func transferMovesOwnershipAndKeepsIndices() throws {
        let pool = PacketBufferPool(bufferCount: 8, bufferSize: 128, headroom: 16, tailroom: 32)
        var received = PacketBatch(pool: pool, capacity: 4)
        var outgoing = PacketBatch(pool: pool, capacity: 4)
        for value in 0..<3 {
            let appended = received.appendNewBuffer()
            let index = try #require(appended)
            #expect(received.headroom(at: index) == 16)
            received[index].length = 4
            received.bytes(at: index).storeBytes(of: UInt32(value), as: UInt32.self)
        }
        received.transfer(at: 1, to: &outgoing)
        received.release(at: 2)
        #expect(!received.isPresent(at: 1) && !received.isPresent(at: 2) && received.isPresent(at: 0))
        let taken = received.take(at: 1)
        #expect(taken == nil)
        #expect(pool.availableCount == 6)
        #expect(outgoing.bytes(at: 0).load(as: UInt32.self) == 1)
        // Grow the moved packet into its headroom and tailroom, as encryption does.
        outgoing[0].offset -= 16
        outgoing[0].length += 16 + 32
        #expect(outgoing.headroom(at: 0) == 0 && outgoing.tailroom(at: 0) == 128 - 52)
        received.removeAll()
        outgoing.removeAll()
        #expect(pool.availableCount == 8)
    }

    @Test func segmentedDescriptorCountsPackets() {
        let descriptor = PacketDescriptor(buffer: PacketBufferID(0), offset: 0, length: 2500, segmentSize: 1000)
        #expect(descriptor.packetCount == 3)
        #expect(PacketDescriptor(buffer: PacketBufferID(0), offset: 0, length: 10).packetCount == 1)
    }
}

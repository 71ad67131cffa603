import DataPlane

/// The driver's side of several workers: passing items to the worker their peer lives on, and handling what
/// the others passed here.
extension WireGuardTunnel {
    /// Copies an item the device said belongs to `target` into that worker's inbox (dropped and counted when
    /// there is no such worker or its inbox is full: as `packets` drops, the segments a super-packet holds).
    func handOff(
        _ kind: HandoffKind, _ bytes: UnsafeRawBufferPointer, source: Endpoint?, local: LocalSource?, to target: Int,
        packets: Int = 1
    ) {
        guard let exchange, target != worker, target < exchange.workers,
              exchange.post(kind, bytes, source: source, local: local, to: target)
        else {
            counters.dropped &+= UInt64(packets)
            return
        }
        counters.handedOff &+= 1
    }

    /// Handles every item the other workers passed to this one, as if it had read them itself: datagrams are
    /// decrypted where they lie in the inbox and copied to the TUN device; packets are copied into pool
    /// buffers, encrypted there and sent.
    func drainHandoffs(_ io: IO, _ time: WireGuardTime) throws {
        guard let exchange else { return }
        let coalescing = io.offloads.contains(.tunOffload)
        let coalescingUDP = io.offloads.contains(.tunUDPSegments)
        try exchange.inboxes[worker].drain { record, bytes in
            counters.handoffsReceived &+= 1
            switch record.kind {
            case .datagram:
                guard let source = record.source else {
                    counters.dropped &+= 1
                    return
                }
                switch node.handleDatagram(bytes, from: source, to: record.local, now: time) {
                case .packet(let range, _):
                    let packet = UnsafeRawBufferPointer(rebasing: bytes[range])
                    if coalescing { try coalesceToTun(packet, io, udp: coalescingUDP) } else { try copyToTun(packet, io) }
                case .keepalive, .handshakeProcessed:
                    break
                case .dropped, .handOff:
                    // Never passed on twice: every worker computes the same home.
                    counters.dropped &+= 1
                }
            case .tunPacket:
                try encapsulateHandedOff(UnsafeRawBufferPointer(bytes), io, time)
            case .tunSuperPacket:
                // Parsed by the worker that read it; a copy that no longer parses is dropped all the same.
                guard let plan = try? SegmentationPlan(parsing: UnsafeRawBufferPointer(bytes)) else {
                    counters.dropped &+= 1
                    return
                }
                try encapsulateSegments(UnsafeRawBufferPointer(bytes), plan: plan,
                                        trains: io.offloads.contains(.udpGSO), handedOff: true, io, time)
            }
        }
        try flushTun(io)
        try flushNetwork(io)
    }

    /// Encrypts a packet another worker read from its TUN queue, in a pool buffer of `toNetwork`.
    func encapsulateHandedOff(_ packet: UnsafeRawBufferPointer, _ io: IO, _ time: WireGuardTime) throws {
        guard let slot = try newNetworkBuffer(io) else {
            counters.dropped &+= 1
            return
        }
        let buffer = toNetwork.buffer(at: slot)
        let start = toNetwork.pool.headroom
        guard start + packet.count + TransportDataLayout.tagSize + 16 <= buffer.count else {
            toNetwork.release(at: slot)
            counters.dropped &+= 1
            return
        }
        if packet.count > 0 {
            (buffer.baseAddress! + start).copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        }
        switch node.encapsulate(buffer: buffer, packet: start..<(start + packet.count), now: time) {
        case .send(let range, let endpoint, let local):
            var descriptor = toNetwork[slot]
            descriptor.offset = range.lowerBound
            descriptor.length = range.count
            descriptor.address(to: endpoint, from: local)
            toNetwork[slot] = descriptor
        case .staged:
            toNetwork.release(at: slot)
        case .dropped, .handOff:
            toNetwork.release(at: slot)
            counters.dropped &+= 1
        }
    }
}

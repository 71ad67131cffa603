import DataPlane

/// The offloaded packet path: TUN super-packets split into segments and sent as UDP GSO trains, UDP GRO trains
/// decrypted segment by segment, and decrypted TCP segments of one flow coalesced into one TUN write.
///
/// Nothing here runs without offloads: the plain path in `WireGuardTunnel.swift` is unchanged, byte for byte.
extension WireGuardTunnel {
    /// The most datagrams one GSO send may carry (the kernel's `UDP_MAX_SEGMENTS`).
    static var maximumTrainSegments: Int { 64 }
    /// The most bytes one GSO send may carry: an IPv4 UDP payload's limit.
    static var maximumTrainBytes: Int { 65_507 }

    /// A run of encrypted datagrams to one peer being laid out back to back in one pool buffer.
    struct Train {
        /// The entry of `toNetwork` that owns the buffer.
        var index: Int
        /// Where the next datagram goes (also the bytes used so far).
        var cursor: Int
        /// The size of the first datagram; later ones must be this size, the last may be shorter.
        var segmentSize: Int
        var count: Int
        var endpoint: Endpoint?
        /// The local end every datagram of the train leaves from.
        var source: LocalSource?
        /// A shorter datagram ended the train: nothing more may follow it.
        var ended: Bool
    }

    // MARK: TUN to network

    /// Splits, encrypts and sends what a TUN device with offloads holds: every packet starts with a virtio-net
    /// header and may be a super-packet of many segments.
    func pumpOffloadedTun(_ io: IO, _ tun: IO.Tun, _ time: WireGuardTime) throws {
        for _ in 0..<roundsPerEvent {
            let count = try tun.receive(into: &received)
            if count == 0 { break }
            counters.tunPacketsReceived &+= UInt64(count)
            counters.tunBatchesReceived &+= 1
            counters.tunBytesReceived &+= received.byteCount
            let trains = io.offloads.contains(.udpGSO)
            for index in 0..<received.count {
                let bytes = UnsafeRawBufferPointer(received.bytes(at: index))
                let plan: SegmentationPlan
                do {
                    plan = try SegmentationPlan(parsing: bytes)
                } catch {
                    received.release(at: index)
                    counters.dropped &+= 1
                    continue
                }
                if plan.segmentCount == 1 {
                    try encapsulateInPlace(at: index, plan: plan, io, time)
                } else {
                    try encapsulateSegments(bytes, plan: plan, trains: trains, handedOff: false, io, time)
                    received.release(at: index)
                }
            }
            received.removeAll()
            try flushNetwork(io)
            try flushNodeTunPackets(io)
            try flushOutbox(io, time)
        }
    }

    /// One packet (no segmentation): its checksum completed in place, then encrypted where it lies.
    func encapsulateInPlace(at index: Int, plan: SegmentationPlan, _ io: IO, _ time: WireGuardTime) throws {
        var descriptor = received[index]
        let inner = plan.finishInPlace(received.bytes(at: index))
        let packet = (descriptor.offset + inner.lowerBound)..<(descriptor.offset + inner.upperBound)
        switch node.encapsulate(buffer: received.buffer(at: index), packet: packet, now: time) {
        case .send(let range, let endpoint, let local):
            descriptor.offset = range.lowerBound
            descriptor.length = range.count
            descriptor.address(to: endpoint, from: local)
            received[index] = descriptor
            try moveToNetwork(at: index, io)
        case .staged:
            received.release(at: index)
        case .dropped:
            received.release(at: index)
            counters.dropped &+= 1
        case .handOff(let target):
            let bytes = UnsafeRawBufferPointer(rebasing: received.buffer(at: index)[packet])
            handOff(.tunPacket, bytes, source: nil, local: nil, to: target)
            received.release(at: index)
        }
    }

    /// Writes each segment of a super-packet after the previous one's datagram in a network buffer, encrypts it
    /// there and grows a GSO train; a segment that cannot join the train (another peer, a bigger datagram, a
    /// full train) starts a new one. Without GSO every train holds one datagram.
    ///
    /// When the first segment belongs to a peer on another worker, the whole super-packet (`source`, virtio
    /// header included) is passed there before anything is split: one copy instead of one per segment, and its
    /// home sends GSO trains. A super-packet that was itself `handedOff` is never passed on again.
    func encapsulateSegments(
        _ source: UnsafeRawBufferPointer, plan: SegmentationPlan, trains: Bool, handedOff: Bool, _ io: IO,
        _ time: WireGuardTime
    ) throws {
        let header = 16
        // Room one segment's datagram can take: header, packet padded to 16, tag.
        let worstCase = header + (plan.fullSegmentLength + 15) / 16 * 16 + 16
        let segmentLimit = trains ? Self.maximumTrainSegments : 1
        var train: Train?
        for segment in 0..<plan.segmentCount {
            if let current = train,
                current.ended || current.count == segmentLimit
                    || current.cursor + worstCase > min(Self.maximumTrainBytes, toNetwork.pool.bufferSize)
            {
                close(current)
                train = nil
            }
            if train == nil {
                guard let slot = try newNetworkBuffer(io) else {
                    counters.dropped &+= UInt64(plan.segmentCount - segment)
                    return
                }
                train = Train(index: slot, cursor: 0, segmentSize: 0, count: 0, endpoint: nil, source: nil,
                              ended: false)
            }
            var current = train!
            let buffer = toNetwork.buffer(at: current.index)
            let length = plan.writeSegment(segment, from: source, to: buffer.baseAddress! + current.cursor + header)
            let packet = (current.cursor + header)..<(current.cursor + header + length)
            switch node.encapsulate(buffer: buffer, packet: packet, now: time) {
            case .send(let range, let endpoint, let local):
                if current.count == 0 {
                    current.endpoint = endpoint
                    current.source = local
                    current.segmentSize = range.count
                } else if endpoint != current.endpoint || local != current.source
                    || range.count > current.segmentSize
                {
                    // It cannot join this train: the train ends before it and it moves to a buffer of its own.
                    close(current)
                    guard let slot = try newNetworkBuffer(io) else {
                        counters.dropped &+= UInt64(plan.segmentCount - segment)
                        return
                    }
                    let moved = toNetwork.buffer(at: slot)
                    moved.baseAddress!.copyMemory(from: buffer.baseAddress! + range.lowerBound, byteCount: range.count)
                    current = Train(index: slot, cursor: 0, segmentSize: range.count, count: 0, endpoint: endpoint,
                                    source: local, ended: false)
                }
                current.count += 1
                current.cursor += range.count
                if range.count < current.segmentSize { current.ended = true }
            case .staged:
                break
            case .dropped:
                counters.dropped &+= 1
            case .handOff(let target):
                if segment == 0 && !handedOff {
                    close(current)
                    handOff(.tunSuperPacket, source, source: nil, local: nil, to: target, packets: plan.segmentCount)
                    return
                }
                if handedOff {
                    counters.dropped &+= 1
                } else {
                    handOff(.tunPacket, UnsafeRawBufferPointer(rebasing: buffer[packet]), source: nil, local: nil,
                            to: target)
                }
            }
            train = current
        }
        if let train { close(train) }
    }

    /// Turns a train into its `toNetwork` entry (or releases its buffer when nothing joined it).
    func close(_ train: Train) {
        guard train.count > 0, let endpoint = train.endpoint else {
            toNetwork.release(at: train.index)
            return
        }
        var descriptor = toNetwork[train.index]
        descriptor.offset = 0
        descriptor.length = train.cursor
        descriptor.segmentSize = train.count > 1 ? train.segmentSize : 0
        descriptor.address(to: endpoint, from: train.source)
        toNetwork[train.index] = descriptor
    }

    /// A fresh pool buffer at the end of `toNetwork` (sent first when the batch is full), or nil when the pool is
    /// empty.
    func newNetworkBuffer(_ io: IO) throws -> Int? {
        if toNetwork.remainingCapacity == 0 { try flushNetwork(io) }
        return toNetwork.appendNewBuffer()
    }

    // MARK: network to TUN

    /// Decrypts one received entry that is a GRO train (or, with TUN offloads, any entry) segment by segment and
    /// hands each packet to `deliver`; the received buffer is released afterwards.
    func decryptSegments(
        at index: Int, source: Endpoint, _ io: IO, _ time: WireGuardTime,
        deliver: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        let descriptor = received[index]
        let bytes = received.bytes(at: index)
        let step = descriptor.segmentSize > 0 ? descriptor.segmentSize : descriptor.length
        let local = descriptor.arrivedAt
        var start = 0
        while start < descriptor.length {
            let end = min(start + step, descriptor.length)
            let datagram = UnsafeMutableRawBufferPointer(rebasing: bytes[start..<end])
            switch node.handleDatagram(datagram, from: source, to: local, now: time) {
            case .packet(let range, _):
                try deliver(UnsafeRawBufferPointer(rebasing: datagram[range]))
            case .keepalive, .handshakeProcessed:
                break
            case .dropped:
                counters.dropped &+= 1
            case .handOff(let target):
                handOff(.datagram, UnsafeRawBufferPointer(datagram), source: source, local: local, to: target)
            }
            start = end
        }
        received.release(at: index)
    }

    /// Copies one decrypted packet into its own TUN buffer (a GRO train's segments share one received buffer).
    func copyToTun(_ packet: UnsafeRawBufferPointer, _ io: IO) throws {
        if toTun.remainingCapacity == 0 { try flushTun(io) }
        guard let slot = toTun.appendNewBuffer() else {
            counters.dropped &+= 1
            return
        }
        let buffer = toTun.buffer(at: slot)
        guard packet.count <= buffer.count else {
            toTun.release(at: slot)
            counters.dropped &+= 1
            return
        }
        buffer.baseAddress!.copyMemory(from: packet.baseAddress!, byteCount: packet.count)
        var descriptor = toTun[slot]
        descriptor.offset = 0
        descriptor.length = packet.count
        toTun[slot] = descriptor
    }

    /// With TUN offloads: appends a decrypted packet to an open coalescing group it continues, or starts a new
    /// group (a lone packet with an empty virtio-net header when it cannot take more). UDP datagrams are grouped
    /// only with `udp`: where the TUN device takes UDP super-packets.
    func coalesceToTun(_ packet: UnsafeRawBufferPointer, _ io: IO, udp: Bool) throws {
        for slot in 0..<openGroupCount {
            let buffer = toTun.buffer(at: openGroups[slot]!.index)
            if PacketCoalescing.append(packet, to: &openGroups[slot]!.group, in: buffer) {
                return
            }
        }
        // A UDP run this packet did not join takes nothing after it (UDP has no sequence numbers to keep order).
        if udp {
            for slot in 0..<openGroupCount {
                let buffer = toTun.buffer(at: openGroups[slot]!.index)
                UDPCoalescing.endRuns(of: packet, in: &openGroups[slot]!.group, at: buffer)
            }
        }
        if toTun.remainingCapacity == 0 { try flushTun(io) }
        guard let index = toTun.appendNewBuffer() else {
            counters.dropped &+= 1
            return
        }
        let started = PacketCoalescing.start(packet, into: toTun.buffer(at: index), udp: udp)
        var descriptor = toTun[index]
        descriptor.offset = 0
        descriptor.length = started.length
        toTun[index] = descriptor
        guard let group = started.group else { return }
        if openGroupCount == openGroups.count {
            // Full: the oldest group is finished where it is and stops taking segments.
            finishGroup(openGroups[0]!)
            for slot in 1..<openGroupCount { openGroups[slot - 1] = openGroups[slot] }
            openGroupCount -= 1
        }
        openGroups[openGroupCount] = OpenGroup(index: index, group: group)
        openGroupCount += 1
    }

    /// Completes every open group's super-packet before its batch goes to the TUN device.
    func finishOpenGroups() {
        for slot in 0..<openGroupCount {
            finishGroup(openGroups[slot]!)
            openGroups[slot] = nil
        }
        openGroupCount = 0
    }

    func finishGroup(_ entry: OpenGroup) {
        let length = PacketCoalescing.finish(entry.group, in: toTun.buffer(at: entry.index))
        var descriptor = toTun[entry.index]
        descriptor.length = length
        toTun[entry.index] = descriptor
    }
}

/// A coalescing group and the `toTun` entry whose buffer holds it.
struct OpenGroup {
    var index: Int
    var group: CoalesceGroup
}

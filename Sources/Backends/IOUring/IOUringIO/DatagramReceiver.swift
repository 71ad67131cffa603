import CFZURing
import CFZSocketControl
import DataPlane
import Glibc

/// The receiving half of the UDP role: keeps receives posted on every socket and queues what completes.
///
/// Multishot mode: one recvmsg per socket that keeps completing, taking buffers from a provided-buffer ring
/// whose buffer ids are pool buffer indices; the ring is refilled from the pool as buffers are handed to the
/// core, and a receive whose `IORING_CQE_F_MORE` is clear (the ring ran dry) is re-armed. One-shot mode (kernels
/// without multishot recvmsg): a batch of recvmsg per socket, each with its own buffer and message header.
///
/// The buffer ring is a FIFO: the kernel fills the oldest buffer put in, so a ring of N buffers cycles through
/// all N. What costs cache is the bytes the kernel writes, not the buffers: 128 GRO trains of 64 KiB are 8 MiB,
/// several times a core's L2, and every train then lands in cold memory, while 128 single datagrams touch a few
/// hundred KiB. So the ring is filled to ``fill`` buffers: as many as the average bytes a buffer has been
/// receiving fit in ``footprintBudget``, within `minimumFill...target`.
final class DatagramReceiver {
    typealias Mode = IOUringReceiveMode

    private(set) var mode: Mode
    let descriptors: [Int32]
    let localAddresses: [Endpoint]
    let pool: PacketBufferPool
    /// Buffers kept posted for receiving, across all sockets, at most.
    let target: Int
    /// Buffers the multishot ring is refilled to now (see the type's comment).
    private(set) var fill: Int
    /// The fewest buffers the ring is refilled to, however full they arrive.
    let minimumFill: Int
    /// The bytes a completed buffer held, averaged (exponentially, over about 16 completions), times 16.
    private var averageBytesTimes16: Int
    /// Bytes the buffers of a full ring may receive between them. The kernel writes each datagram into the next
    /// buffer of the ring and the loop then reads it (and a forwarded one is read again by its send), so the fewer
    /// bytes cycle through the ring, the more of them are still in cache. Chosen by measurement: forwarding
    /// 1420-byte GRO trains, 8 buffers of 64 KiB cost less CPU than 16, and 16 less than 128 (Intel Xeon VM);
    /// forwarding 64-byte GRO trains (4 KiB), 15 buffers cost about 10% less CPU per packet than the 122 of a
    /// 512 KiB budget (AMD EPYC VM: means of 0.0655 against 0.0718 CPU s/Mpkt over three alternating pairs of
    /// 3-round `bench io` runs, every pair in the same direction).
    static let footprintBudget = 64 << 10
    let ready: ReadyQueue

    // Multishot state.
    private var bufferRing: OpaquePointer?
    private let ringEntries: Int
    private var inRing = 0
    private let inRingFlags: UnsafeMutablePointer<Bool>
    /// Where in a pool buffer the kernel's recvmsg header starts, and how many bytes it may fill.
    let ringOffset: Int
    let ringLength: Int
    private let multishotMessages: UnsafeMutablePointer<msghdr>
    private let armed: UnsafeMutablePointer<Bool>
    private static let group: UInt16 = 0

    // One-shot state.
    private let slots: ReceiveSlots
    private var outstanding: [Int]

    /// The kernel's header, the sender's address and the control messages in front of a multishot payload.
    static var multishotOverhead: Int { 16 + Int(CFZ_RECEIVE_NAME_SPACE) + cfz_receive_control_space() }

    init(
        descriptors: [Int32], localAddresses: [Endpoint], pool: PacketBufferPool, target: Int, mode: Mode?,
        ring: IOUringRing
    ) throws(IOUringIOError) {
        self.descriptors = descriptors
        self.localAddresses = localAddresses
        self.pool = pool
        self.target = max(1, target)
        ready = ReadyQueue(capacity: pool.bufferCount)
        var entries = 1
        while entries < self.target { entries <<= 1 }
        ringEntries = entries
        inRingFlags = .allocate(capacity: pool.bufferCount)
        inRingFlags.initialize(repeating: false, count: pool.bufferCount)
        ringOffset = max(0, pool.headroom - Self.multishotOverhead)
        ringLength = pool.bufferSize - pool.tailroom - ringOffset
        // Until datagrams arrive, assume they fill their buffers: start shallow and deepen as small ones come.
        averageBytesTimes16 = ringLength * 16
        minimumFill = min(self.target, 8)
        fill = min(self.target, max(minimumFill, Self.footprintBudget / ringLength))
        multishotMessages = .allocate(capacity: descriptors.count)
        armed = .allocate(capacity: descriptors.count)
        armed.initialize(repeating: false, count: descriptors.count)
        for index in 0..<descriptors.count {
            (multishotMessages + index).initialize(to: msghdr())
            cfz_prepare_multishot(multishotMessages + index)
        }
        slots = ReceiveSlots(capacity: self.target, pool: pool)
        outstanding = Array(repeating: 0, count: descriptors.count)
        self.mode = .oneShot
        if mode != .oneShot {
            var error: Int32 = 0
            if let created = cfz_buffer_ring_create(ring.handle, UInt32(ringEntries), Self.group, &error) {
                bufferRing = created
                self.mode = .multishot
            } else if mode == .multishot {
                throw .receiveModeUnsupported(
                    "registering a provided-buffer ring failed: \(IOUringIOError.errorText(error)) (errno \(error))")
            }
        }
    }

    deinit {
        inRingFlags.deallocate()
        multishotMessages.deallocate()
        armed.deallocate()
    }

    /// The largest datagram received whole.
    var maximumDatagramLength: Int {
        switch mode {
        case .multishot: return ringLength - Self.multishotOverhead
        case .oneShot: return pool.payloadCapacity
        }
    }

    /// Receive submissions in flight (armed multishot receives and posted one-shot ones).
    var postedCount: Int {
        var count = 0
        for index in 0..<descriptors.count {
            count += outstanding[index] + (armed[index] ? 1 : 0)
        }
        return count
    }

    /// Pool buffers held here: in the buffer ring, in posted one-shot receives, or received and not taken yet.
    var heldBufferCount: Int { inRing + slots.inUse + ready.count }

    /// Posts what is missing: refills the buffer ring and re-arms ended multishot receives, or posts one-shot
    /// receives up to the target.
    func arm(on ring: IOUringRing) {
        switch mode {
        case .multishot:
            refill()
            for index in 0..<descriptors.count where !armed[index] && inRing > 0 {
                let tag = CompletionTag(.multishotReceive, UInt64(index)).userData
                let fd = descriptors[index]
                let message = multishotMessages + index
                if ring.queue({ cfz_uring_prep_recvmsg_multishot($0, fd, message, Self.group, tag) }) {
                    armed[index] = true
                }
            }
        case .oneShot:
            let perSocket = max(1, target / descriptors.count)
            for index in 0..<descriptors.count {
                while outstanding[index] < perSocket, let slot = slots.acquire(socket: index) {
                    let tag = CompletionTag(.oneShotReceive, UInt64(slot)).userData
                    let fd = descriptors[index]
                    let message = slots.messages + slot
                    guard ring.queue({ cfz_uring_prep_recvmsg($0, fd, message, tag) }) else {
                        slots.release(slot)
                        return
                    }
                    outstanding[index] += 1
                }
            }
        }
    }

    /// Gives the buffer ring as many pool buffers as it lacks (no system call).
    @inline(__always)
    func refill() {
        guard let bufferRing else { return }
        fill = min(target, max(minimumFill, Self.footprintBudget * 16 / max(averageBytesTimes16, 16)))
        var added: Int32 = 0
        while inRing < fill, let buffer = pool.acquire() {
            cfz_buffer_ring_add(
                bufferRing, pool.address(of: buffer) + ringOffset, UInt32(ringLength), UInt16(buffer.index), added)
            inRingFlags[Int(buffer.index)] = true
            inRing += 1
            added += 1
        }
        if added > 0 { cfz_buffer_ring_advance(bufferRing, added) }
    }

    /// Routes one receive completion.
    @inline(__always)
    func complete(_ tag: CompletionTag, result: Int32, flags: UInt32, pool: PacketBufferPool) {
        let socket = Int(tag.value)
        if tag.kind == .oneShotReceive {
            outstanding[slots.socket(of: socket)] -= 1
            ready.push(ReadyEntry(index: UInt32(socket), result: result, socket: UInt32(slots.socket(of: socket)),
                                  fromSlot: true))
            return
        }
        if flags & cfz_cqe_flag_buffer() != 0 {
            let buffer = Int(flags >> cfz_cqe_buffer_shift())
            inRingFlags[buffer] = false
            inRing -= 1
            averageBytesTimes16 += Int(max(result, 0)) - averageBytesTimes16 >> 4
            if result > 0 {
                ready.push(ReadyEntry(index: UInt32(buffer), result: result, socket: UInt32(socket)))
            } else {
                pool.release(PacketBufferID(UInt32(buffer)))
            }
        }
        if flags & cfz_cqe_flag_more() == 0 {
            armed[socket] = false
            // A kernel with buffer rings but without multishot recvmsg refuses the request outright.
            if result == -EINVAL && flags & cfz_cqe_flag_buffer() == 0 { mode = .oneShot }
        }
    }

    /// Moves ready datagrams into `batch`; returns how many were appended. Malformed or truncated ones are dropped.
    @inline(__always)
    func take(into batch: inout PacketBatch) -> Int {
        var appended = 0
        while batch.remainingCapacity > 0, let entry = ready.pop() {
            let socket = Int(entry.socket)
            var info = cfz_datagram_info()
            let buffer: PacketBufferID
            var offset = pool.headroom
            var length = Int(entry.result)
            if entry.fromSlot {
                buffer = slots.buffer(of: Int(entry.index))
                if entry.result > 0 { cfz_parse_message(slots.messages + Int(entry.index), &info) }
                slots.release(Int(entry.index), keepingBuffer: true)
            } else {
                buffer = PacketBufferID(entry.index)
                var payloadLength = 0
                let start = pool.address(of: buffer) + ringOffset
                let payloadOffset = cfz_parse_multishot(start, entry.result, multishotMessages + socket, &info,
                                                        &payloadLength)
                offset = payloadOffset < 0 ? -1 : ringOffset + payloadOffset
                length = payloadLength
            }
            guard entry.result > 0, offset >= 0, info.truncated == 0, length >= 0,
                offset + length <= pool.bufferSize - pool.tailroom, let source = Self.source(info)
            else {
                pool.release(buffer)
                continue
            }
            batch.append(
                PacketDescriptor(
                    buffer: buffer, offset: offset, length: length, segmentSize: Int(info.control.segment_size),
                    source: source, destination: destination(info, socket: socket),
                    interfaceIndex: info.control.interface_index))
            appended += 1
        }
        if mode == .multishot { refill() }
        return appended
    }

    /// Gives every buffer held here back to the pool; call only when no receive is in flight (after a drain).
    /// With `reregister`, the buffer ring is registered anew, empty, and the next ``arm(on:)`` re-arms receives.
    func reclaim(on ring: IOUringRing, reregister: Bool = true) {
        while let entry = ready.pop() {
            if entry.fromSlot {
                slots.release(Int(entry.index), keepingBuffer: false)
            } else {
                pool.release(PacketBufferID(entry.index))
            }
        }
        for index in 0..<descriptors.count {
            armed[index] = false
            outstanding[index] = 0
        }
        guard let bufferRing else { return }
        cfz_buffer_ring_destroy(ring.handle, bufferRing)
        self.bufferRing = nil
        for index in 0..<pool.bufferCount where inRingFlags[index] {
            inRingFlags[index] = false
            pool.release(PacketBufferID(UInt32(index)))
        }
        inRing = 0
        guard reregister else { return }
        var error: Int32 = 0
        self.bufferRing = cfz_buffer_ring_create(ring.handle, UInt32(ringEntries), Self.group, &error)
        if self.bufferRing == nil { mode = .oneShot }
    }

    /// Unregisters the buffer ring (the ring is being torn down).
    func destroyBufferRing(on ring: IOUringRing) {
        if let bufferRing { cfz_buffer_ring_destroy(ring.handle, bufferRing) }
        bufferRing = nil
    }

    @inline(__always)
    private static func source(_ info: cfz_datagram_info) -> Endpoint? {
        guard let address = address(info.source, family: info.source_family) else { return nil }
        return Endpoint(address: address, port: info.source_port)
    }

    @inline(__always)
    private func destination(_ info: cfz_datagram_info, socket: Int) -> Endpoint {
        let local = localAddresses[socket]
        guard let address = Self.address(info.control.destination, family: info.control.destination_family) else {
            return local
        }
        return Endpoint(address: address, port: local.port)
    }

    @inline(__always)
    private static func address(_ bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                          UInt8, UInt8, UInt8, UInt8, UInt8, UInt8), family: Int32) -> IPAddress? {
        withUnsafeBytes(of: bytes) { raw in
            switch family {
            case AF_INET: return .v4(IPv4Address(loadingFrom: raw.baseAddress!))
            case AF_INET6: return .v6(IPv6Address(loadingFrom: raw.baseAddress!))
            default: return nil
            }
        }
    }
}

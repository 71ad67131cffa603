import CFZEpoll
import CFZSocketControl
import DataPlane
import Glibc

/// The `mmsghdr`, `iovec`, socket address and control buffers for one `recvmmsg`/`sendmmsg` of up to
/// `capacity` datagrams, allocated once so batches never allocate.
final class MessageVector {
    /// How many datagrams one call can move.
    let capacity: Int
    /// The message headers passed to the kernel.
    let headers: UnsafeMutablePointer<cfz_mmsghdr>
    /// Which pool buffer each header points into.
    let buffers: UnsafeMutablePointer<PacketBufferID>
    /// Which batch entry each header was built from (send only).
    let entries: UnsafeMutablePointer<Int>
    private let vectors: UnsafeMutablePointer<iovec>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let controls: UnsafeMutableRawPointer
    private let controlSpace: Int

    init(capacity: Int) {
        self.capacity = capacity
        headers = .allocate(capacity: capacity)
        headers.initialize(repeating: cfz_mmsghdr(), count: capacity)
        buffers = .allocate(capacity: capacity)
        buffers.initialize(repeating: .none, count: capacity)
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: 0, count: capacity)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_storage(), count: capacity)
        controlSpace = max(cfz_receive_control_space(), cfz_send_control_space())
        controls = .allocate(byteCount: capacity * controlSpace, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlSpace)
    }

    deinit {
        headers.deallocate()
        buffers.deallocate()
        entries.deallocate()
        vectors.deallocate()
        names.deallocate()
        controls.deallocate()
    }

    /// Points header `slot` at `length` bytes at `base` for receiving, with room for the sender's address and
    /// the control messages.
    @inline(__always)
    func prepareReceive(_ slot: Int, base: UnsafeMutableRawPointer, length: Int) {
        vectors[slot] = iovec(iov_base: base, iov_len: length)
        var header = msghdr()
        header.msg_name = UnsafeMutableRawPointer(names + slot)
        header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        header.msg_iov = vectors + slot
        header.msg_iovlen = 1
        header.msg_control = controls + slot * controlSpace
        header.msg_controllen = controlSpace
        headers[slot] = cfz_mmsghdr(msg_hdr: header, msg_len: 0)
    }

    /// Points header `slot` at `length` bytes at `base` for sending to `destination`, from `source` (on
    /// `interfaceIndex`, for IPv6) when it is set and of the same family as `destination`, as `segmentSize`-byte
    /// segments when that is above 0.
    @inline(__always)
    func prepareSend(
        _ slot: Int, base: UnsafeMutableRawPointer, length: Int,
        destination: Endpoint, source: IPAddress?, interfaceIndex: UInt32, segmentSize: Int
    ) {
        vectors[slot] = iovec(iov_base: base, iov_len: length)
        var header = msghdr()
        header.msg_name = UnsafeMutableRawPointer(names + slot)
        header.msg_namelen = destination.write(to: UnsafeMutableRawPointer(names + slot))
        header.msg_iov = vectors + slot
        header.msg_iovlen = 1
        let control = controls + slot * controlSpace
        let segment = segmentSize > 0 && length > segmentSize ? UInt16(clamping: segmentSize) : 0
        var controlLength = 0
        if let source, Endpoint(address: source, port: 0).hasSameFamily(as: destination) {
            controlLength = withSourceBytes(source) {
                cfz_build_send_control(control, controlSpace, destination.addressFamily, $0, interfaceIndex, segment)
            }
        } else if segment != 0 {
            controlLength = cfz_build_send_control(control, controlSpace, destination.addressFamily, nil, 0, segment)
        }
        header.msg_control = controlLength > 0 ? control : nil
        header.msg_controllen = max(controlLength, 0)
        headers[slot] = cfz_mmsghdr(msg_hdr: header, msg_len: 0)
    }

    /// The sender of the datagram received in header `slot`.
    @inline(__always)
    func source(of slot: Int) -> Endpoint? {
        Endpoint(sockaddr: UnsafeRawPointer(names + slot), length: headers[slot].msg_hdr.msg_namelen)
    }

    /// The control messages of the datagram received in header `slot`.
    @inline(__always)
    func receiveControl(of slot: Int) -> cfz_receive_control {
        var parsed = cfz_receive_control()
        withUnsafePointer(to: &headers[slot].msg_hdr) { cfz_parse_receive_control($0, &parsed) }
        return parsed
    }

    /// Calls `body` with the network-order bytes of `address` (4 or 16) on the stack.
    @inline(__always)
    private func withSourceBytes(_ address: IPAddress, _ body: (UnsafePointer<UInt8>) -> Int) -> Int {
        var bytes: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            address.store(to: raw.baseAddress!)
            return body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}

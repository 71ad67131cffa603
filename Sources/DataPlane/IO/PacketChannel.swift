/// Something that moves batches of packets between the OS and the core: a UDP socket set or a TUN device.
///
/// Both directions work on ``PacketBatch``es of buffers from the backend's ``PacketBufferPool``, so a packet
/// read from the TUN device can be encrypted in place and sent as a datagram without a copy. The calls never
/// block: readiness comes from the backend's event loop (``PacketIOEvents``). The shape fits both readiness
/// (epoll: the call does the syscall) and completion backends (io_uring: `receive` hands over buffers the
/// kernel already filled, `send` keeps the buffers until the kernel is done with them).
public protocol PacketChannel: AnyObject {
    /// What a call fails with: a failure of the channel itself, not of one packet.
    associatedtype Failure: Error

    /// Appends up to `batch.remainingCapacity` received packets to `batch`, which then owns their buffers.
    ///
    /// Each packet lies at offset ``PacketBufferPool/headroom`` or later with at least
    /// ``PacketBufferPool/tailroom`` bytes after it. Returns how many entries were appended; 0 means nothing is
    /// waiting now (or the pool is out of buffers). Packets that cannot be delivered whole (too large) are
    /// dropped, not appended.
    func receive(into batch: inout PacketBatch) throws(Failure) -> Int

    /// Sends every packet still present in `batch` and empties it; the backend owns the buffers from now on
    /// and returns them to the pool once the kernel is done with them.
    ///
    /// Packets the kernel will not take now (full queue, unreachable peer) are dropped and counted in the
    /// result, as a router would drop them; the call throws only when the channel itself is broken.
    func send(_ batch: inout PacketBatch) throws(Failure) -> PacketSendResult
}

/// The UDP side: datagrams to and from WireGuard peers, IPv4 and IPv6 together.
///
/// Received entries carry `source` (the peer) and, when known, `destination` (the local address); entries to
/// send need `destination` and may set `source` to pick the local address. An entry with a `segmentSize` stands
/// for several datagrams (GRO on receive, GSO on send) in backends that support it.
public protocol DatagramIO: PacketChannel {}

/// The TUN side: whole IP packets (IPv4 or IPv6, no link-layer or packet-information header) to and from the
/// local network stack. Entries carry no addresses.
public protocol TunIO: PacketChannel {}

/// One backend's packet I/O: its buffer pool, its UDP sockets and its TUN device.
///
/// The core sees a backend only through this and the roles it names, so epoll, io_uring and offloading
/// backends can be swapped without reshaping the core. All three share ``pool``, so a buffer received on one
/// channel can be sent on the other.
public protocol PacketIO: AnyObject {
    /// The UDP role.
    associatedtype Datagrams: DatagramIO
    /// The TUN role.
    associatedtype Tun: TunIO

    /// The buffers every batch of this backend uses.
    var pool: PacketBufferPool { get }
    /// The UDP sockets.
    var datagrams: Datagrams { get }
    /// The TUN device, or `nil` for a backend opened without one (tests, relays).
    var tun: Tun? { get }
    /// The offloads in effect: what was asked for and what the host supports. With ``PacketOffloads/tunOffload``
    /// TUN packets start with a ``VirtioNetHeader`` both ways; the core splits and coalesces them.
    var offloads: PacketOffloads { get }
}

extension PacketIO {
    /// None, unless a backend says otherwise.
    public var offloads: PacketOffloads { [] }
}

import CFZEpoll
import CFZSocketControl
import DataPlane
import Glibc

/// One non-blocking UDP socket bound to one address, closed when released.
final class UDPSocket {
    /// The socket's file descriptor.
    let fileDescriptor: Int32
    /// The address the socket is bound to, with the port the kernel chose if 0 was asked for.
    let localAddress: Endpoint
    /// Whether the kernel coalesces received datagrams into trains (`UDP_GRO` was accepted).
    let receivesTrains: Bool

    /// `SOL_UDP` socket options (linux/udp.h), not exported by Glibc's module: the shared shim's names.
    static let udpLevel = Int32(CFZ_SOL_UDP)
    static let segmentOption = Int32(CFZ_UDP_SEGMENT)
    static let groOption = Int32(CFZ_UDP_GRO)
    /// `SO_SNDBUFFORCE` and `SO_RCVBUFFORCE`: sizes past `net.core.[rw]mem_max`, for a process with CAP_NET_ADMIN.
    static let sendBufferForceOption: Int32 = 32
    static let receiveBufferForceOption: Int32 = 33

    /// Opens a socket of `address`'s family and binds it. An IPv6 socket is made IPv6-only so an IPv4 socket can
    /// share its port and IPv4 peers never show up as IPv4-mapped addresses. Reporting of each datagram's local
    /// address (packet info) is turned on. Buffer sizes are forced past the system maximum where the
    /// process may (root), else capped by it. With `gro`, `UDP_GRO` is asked for; a kernel without it leaves
    /// ``receivesTrains`` false.
    init(
        binding address: Endpoint, receiveBufferBytes: Int?, sendBufferBytes: Int?, gro: Bool = false,
        reusePort: Bool = false
    ) throws(EpollIOError) {
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(address.addressFamily, kind, Int32(IPPROTO_UDP))
        guard fd >= 0 else {
            let code = errno
            throw .systemCall("socket(\(address.isIPv4 ? "AF_INET" : "AF_INET6"), SOCK_DGRAM)", errno: code)
        }
        do throws(EpollIOError) {
            if !address.isIPv4 {
                try Self.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, name: "setsockopt(IPV6_V6ONLY)")
            }
            if let bytes = receiveBufferBytes {
                try Self.setBufferSize(fd, force: Self.receiveBufferForceOption, plain: SO_RCVBUF, bytes: bytes,
                                       name: "setsockopt(SO_RCVBUF)")
            }
            if let bytes = sendBufferBytes {
                try Self.setBufferSize(fd, force: Self.sendBufferForceOption, plain: SO_SNDBUF, bytes: bytes,
                                       name: "setsockopt(SO_SNDBUF)")
            }
            if reusePort {
                try Self.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, name: "setsockopt(SO_REUSEPORT)")
            }
            receivesTrains = gro && Self.trySetOption(fd, Self.udpLevel, Self.groOption, 1)
            guard cfz_enable_packet_info(fd, address.addressFamily) == 0 else {
                let code = errno
                throw .systemCall(address.isIPv4 ? "setsockopt(IP_PKTINFO)" : "setsockopt(IPV6_RECVPKTINFO)",
                                  errno: code)
            }
            var storage = sockaddr_storage()
            let bound = try withUnsafeMutableBytes(of: &storage) { raw throws(EpollIOError) -> Endpoint in
                let length = address.write(to: raw.baseAddress!)
                guard bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) == 0 else {
                    let code = errno
                    throw .systemCall("bind(\(address))", errno: code)
                }
                var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                guard getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &actualLength) == 0,
                    let actual = Endpoint(sockaddr: raw.baseAddress!, length: actualLength)
                else {
                    let code = errno
                    throw .systemCall("getsockname", errno: code)
                }
                return actual
            }
            fileDescriptor = fd
            localAddress = bound
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(fileDescriptor)
    }

    /// Sets a socket buffer size, first with the `*FORCE` option (allowed for root: past the sysctl cap).
    private static func setBufferSize(
        _ fd: Int32, force: Int32, plain: Int32, bytes: Int, name: String
    ) throws(EpollIOError) {
        if trySetOption(fd, SOL_SOCKET, force, Int32(clamping: bytes)) { return }
        try setOption(fd, SOL_SOCKET, plain, Int32(clamping: bytes), name: name)
    }

    /// Sets an integer option and says whether the kernel took it.
    static func trySetOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    private static func setOption(
        _ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32, name: String
    ) throws(EpollIOError) {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let code = errno
            throw .systemCall(name, errno: code)
        }
    }
}

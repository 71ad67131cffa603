import DataPlane
import Glibc

extension EpollPacketIO {
    /// What the epoll backend can use on this host: it always runs (epoll, timerfd and eventfd are in every
    /// kernel this project supports); UDP GSO and GRO are tried on a throwaway socket, TUN offloads on a
    /// throwaway TUN device (root only).
    public static func probe() -> PacketIOProbe {
        var offloads: PacketOffloads = []
        var details = ["epoll + recvmmsg/sendmmsg, timerfd, eventfd"]
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_UDP))
        if fd >= 0 {
            defer { close(fd) }
            if EpollDatagramSockets.kernelSendsTrains(fd) { offloads.insert(.udpGSO) }
            if UDPSocket.trySetOption(fd, UDPSocket.udpLevel, UDPSocket.groOption, 1) { offloads.insert(.udpGRO) }
        } else {
            details.append("no UDP socket to probe offloads (errno \(errno))")
        }
        details.append("UDP GSO " + (offloads.contains(.udpGSO) ? "yes" : "no"))
        details.append("UDP GRO " + (offloads.contains(.udpGRO) ? "yes" : "no"))
        let tun = EpollTunDevice.probeOffloads()
        if let failure = tun.failure {
            details.append("TUN offloads no: \(failure)")
        } else {
            offloads.insert(.tunOffload)
            details.append("TUN offloads \(tun.accepted) (virtio-net header)")
        }
        return PacketIOProbe(offloads: offloads, details: details)
    }
}

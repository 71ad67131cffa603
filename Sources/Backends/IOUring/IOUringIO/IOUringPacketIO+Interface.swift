import DataPlane

extension IOUringPacketIO {
    /// Opens a WireGuard interface's TUN device and its UDP sockets: IPv4 and IPv6 on the same port (a random
    /// one from 49152-65535 when `port` is nil, as wireguard-go picks), IPv4 alone on a host without IPv6.
    /// Buffers fit `mtu` plus WireGuard's header, padding and tag and the multishot receive header; with GRO or
    /// TUN offloads they hold a 64 KiB super-packet (and there are fewer of them).
    ///
    /// With `shared`, one worker of several opens its own share: sockets with `SO_REUSEPORT` on the same port
    /// and one more queue of a multi-queue TUN device (every worker must pass `shared`).
    ///
    /// - Returns: the backend, and why IPv6 could not be used when it is serving IPv4 alone (to log).
    public static func openInterface(
        name: String, port: UInt16?, mtu: Int, offloads: PacketOffloads, shared: Bool = false
    ) throws(IOUringIOError) -> (io: IOUringPacketIO, ipv6Unavailable: IOUringIOError?) {
        let headroom = 64
        let tailroom = 64
        let receiveHeader = DatagramReceiver.multishotOverhead
        let large = offloads.contains(.udpGRO) || offloads.contains(.tunOffload)
        let packetBytes = large ? 65536 : mtu
        let bufferSize = max(2048, (packetBytes + headroom + tailroom + receiveHeader + 63) / 64 * 64)
        let bufferCount = large ? 512 : 1024
        func open(_ port: UInt16, ipv6: Bool) throws(IOUringIOError) -> IOUringPacketIO {
            var addresses = [Endpoint(address: .v4(IPv4Address(0, 0, 0, 0)), port: port)]
            if ipv6 { addresses.append(Endpoint(address: .v6(IPv6Address(high: 0, low: 0)), port: port)) }
            var configuration = IOUringPacketIO.Configuration(
                udpAddresses: addresses, tunName: name, bufferCount: bufferCount, bufferSize: bufferSize,
                headroom: headroom, tailroom: tailroom, socketReceiveBufferBytes: 7 << 20,
                socketSendBufferBytes: 7 << 20, offloads: offloads,
                receiveBufferCount: large ? 128 : 256)
            configuration.reusePort = shared
            configuration.tunMultiQueue = shared
            return try IOUringPacketIO(configuration: configuration)
        }
        var lastError: IOUringIOError?
        for attempt in 0..<16 {
            let candidate = port ?? UInt16.random(in: 49152...65535)
            do {
                return (try open(candidate, ipv6: true), nil)
            } catch {
                lastError = error
                if port == nil && attempt < 15 && "\(error)".contains("in use") { continue }
                break
            }
        }
        // No IPv6 on this host (disabled, or no such family): serve IPv4 alone rather than not at all.
        if let lastError, "\(lastError)".contains("socket") || "\(lastError)".contains("Address family") {
            return (try open(port ?? UInt16.random(in: 49152...65535), ipv6: false), lastError)
        }
        throw lastError!
    }
}

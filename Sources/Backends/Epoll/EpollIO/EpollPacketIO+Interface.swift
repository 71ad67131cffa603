import DataPlane

extension EpollPacketIO {
    /// Opens a WireGuard interface's TUN device and its UDP sockets: IPv4 and IPv6 on the same port (a random
    /// one from 49152-65535 when `port` is nil, as wireguard-go picks), IPv4 alone on a host without IPv6.
    /// Buffers fit `mtu` plus WireGuard's header, padding and tag.
    ///
    /// - Returns: the backend, and why IPv6 could not be used when it is serving IPv4 alone (to log).
    public static func openInterface(
        name: String, port: UInt16?, mtu: Int
    ) throws(EpollIOError) -> (io: EpollPacketIO, ipv6Unavailable: EpollIOError?) {
        // Room for the largest packet plus WireGuard's header, padding and tag, and the pool's margins.
        let bufferSize = max(2048, (mtu + 64 + 64 + 63) / 64 * 64)
        func open(_ port: UInt16, ipv6: Bool) throws(EpollIOError) -> EpollPacketIO {
            var addresses = [Endpoint(address: .v4(IPv4Address(0, 0, 0, 0)), port: port)]
            if ipv6 { addresses.append(Endpoint(address: .v6(IPv6Address(high: 0, low: 0)), port: port)) }
            return try EpollPacketIO(configuration: .init(udpAddresses: addresses, tunName: name,
                                                          bufferSize: bufferSize))
        }
        var lastError: EpollIOError?
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

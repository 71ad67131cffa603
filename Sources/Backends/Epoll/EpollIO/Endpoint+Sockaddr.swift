import DataPlane
import Glibc

extension Endpoint {
    /// Writes this endpoint as a `sockaddr_in` or `sockaddr_in6` to `storage` (at least
    /// `sockaddr_storage` bytes) and returns its length.
    @inline(__always)
    func write(to storage: UnsafeMutableRawPointer) -> socklen_t {
        switch address {
        case .v4(let ipv4):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin_addr) { ipv4.store(to: $0.baseAddress!) }
            storage.storeBytes(of: socketAddress, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(let ipv6):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { ipv6.store(to: $0.baseAddress!) }
            storage.storeBytes(of: socketAddress, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    /// Reads a `sockaddr_in` or `sockaddr_in6`; `nil` for any other family or a short length.
    @inline(__always)
    init?(sockaddr storage: UnsafeRawPointer, length: socklen_t) {
        let family = storage.loadUnaligned(as: sa_family_t.self)
        if family == sa_family_t(AF_INET), Int(length) >= MemoryLayout<sockaddr_in>.size {
            let socketAddress = storage.loadUnaligned(as: sockaddr_in.self)
            let address = withUnsafeBytes(of: socketAddress.sin_addr) { IPv4Address(loadingFrom: $0.baseAddress!) }
            self.init(address: .v4(address), port: UInt16(bigEndian: socketAddress.sin_port))
        } else if family == sa_family_t(AF_INET6), Int(length) >= MemoryLayout<sockaddr_in6>.size {
            let socketAddress = storage.loadUnaligned(as: sockaddr_in6.self)
            let address = withUnsafeBytes(of: socketAddress.sin6_addr) { IPv6Address(loadingFrom: $0.baseAddress!) }
            self.init(address: .v6(address), port: UInt16(bigEndian: socketAddress.sin6_port))
        } else {
            return nil
        }
    }

    /// Whether this is an IPv4 endpoint.
    var isIPv4: Bool {
        if case .v4 = address { return true }
        return false
    }

    /// Whether both endpoints are of one IP family.
    func hasSameFamily(as other: Endpoint) -> Bool { isIPv4 == other.isIPv4 }

    /// The address family constant for `socket(2)`.
    var addressFamily: Int32 { isIPv4 ? AF_INET : AF_INET6 }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The errno values the UAPI reports, taken from the platform so `wg` decodes them with `strerror`.
///
/// Values differ between systems (EPROTO is 71 on Linux, 100 on macOS), which is why they are not
/// hard-coded.
public enum UAPIErrno {
    /// EINVAL: a key or value the request may not contain.
    public static let invalidArgument = Int32(EINVAL)
    /// EPROTO: the request is not in the protocol's `key=value` line format.
    public static let protocolError = Int32(EPROTO)
    /// EMSGSIZE: the request exceeds the reader's size limit.
    public static let messageTooLong = Int32(EMSGSIZE)
    /// EADDRINUSE: the requested listen port is taken (reported by whoever applies the request).
    public static let addressInUse = Int32(EADDRINUSE)
    /// EBUSY: the server is serving its limit of connections at once.
    public static let busy = Int32(EBUSY)
    /// EIO: the request could not be applied for another reason.
    public static let ioError = Int32(EIO)
}

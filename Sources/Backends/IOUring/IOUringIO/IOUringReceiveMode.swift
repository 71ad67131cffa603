/// How the io_uring backend receives datagrams.
public enum IOUringReceiveMode: Sendable, Equatable, CustomStringConvertible {
    /// One multishot recvmsg per socket with a provided-buffer ring (Linux 6.0 and later): one submission
    /// keeps completing, one completion per datagram.
    case multishot
    /// A batch of one-shot recvmsg per socket, each with its own buffer, re-posted as they complete.
    case oneShot

    /// `multishot` or `one-shot`.
    public var description: String {
        switch self {
        case .multishot: return "multishot"
        case .oneShot: return "one-shot"
        }
    }
}

import NIOCore
import NIOPosix

extension TimeAmount {
    /// NIO's time from a standard `Duration`, rounded to nanoseconds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Text for a NIO connect error that does not repeat the address (the caller names it).
func describeConnectError(_ error: any Error) -> String {
    if let error = error as? NIOConnectionError {
        if let first = error.connectionErrors.first {
            return "\(first.error)"
        }
        if let dns = error.dnsAAAAError ?? error.dnsAError {
            return "cannot resolve the name: \(dns)"
        }
        return "no address to connect to"
    }
    if error is ChannelError, case ChannelError.connectTimeout = error {
        return "connection timed out"
    }
    return "\(error)"
}

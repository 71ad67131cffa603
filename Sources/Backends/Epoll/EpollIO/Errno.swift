import Glibc

/// Helpers for reading `errno` after a failed call.
enum Errno {
    /// Whether `code` means "try again later" for a non-blocking descriptor.
    @inline(__always)
    static func isWouldBlock(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Whether `code` means the descriptor itself is unusable, as opposed to one packet failing.
    @inline(__always)
    static func isFatal(_ code: Int32) -> Bool {
        code == EBADF || code == ENOTSOCK || code == EFAULT
    }
}

#if canImport(Glibc)
import Glibc
#endif
import WireGuardConfig

/// Reads a config file as bytes, as `wg` does, with errors an operator can act on.
///
/// Bytes, not a String: a comment may hold text that is not UTF-8 and must not fail the file (the
/// parser decides where such bytes matter). Pipes work too (`fzctl up <(wg-quick strip wg0)`); the size
/// is bounded so `/dev/zero` or a runaway file is an error rather than an exhausted memory.
enum ConfigFileReading {
    /// 64 MiB: tens of thousands of peers, far above any real config.
    static let maximumBytes = 64 << 20

    static func read(_ path: String, maximumBytes: Int = maximumBytes) throws(FZCtlError) -> [UInt8] {
        let shown = DisplayText.escaped(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw .invalidInput("cannot read config file \(shown): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
            throw .invalidInput("config file \(shown) is a directory; give the path of a .conf file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .invalidInput("cannot read config file \(shown): \(String(cString: strerror(code)))")
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            guard bytes.count <= maximumBytes else {
                throw .invalidInput("config file \(shown) is larger than \(maximumBytes >> 20) MiB; "
                    + "is it really a WireGuard config?")
            }
        }
    }
}

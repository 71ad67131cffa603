#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Locks

/// Where the handlers send finished log lines.
///
/// The handlers format a whole line (ending in `"\n"`) and pass it to the sink in one call, so a sink never sees a
/// partial record and lines from concurrent loggers never interleave. Tests inject a sink that collects the lines;
/// production uses ``standardError``.
public struct LogSink: Sendable {
    /// Receives one complete line including its trailing newline. Called concurrently from any thread.
    public let write: @Sendable (String) -> Void

    /// Wraps a closure; the closure must be safe to call from several threads at once.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Writes each line to the process's standard error with one `write(2)` per line under a process-wide lock.
    ///
    /// Standard error keeps logs out of any data the program prints on standard output and is unbuffered, so a
    /// line is out before a crash that follows it.
    public static let standardError = LogSink(fileDescriptor: 2)

    /// Writes each line to an already-open file descriptor, which the caller keeps open for the sink's lifetime.
    ///
    /// Each line goes out in one `write(2)` (repeated only if the kernel accepts part of it) while a lock is held,
    /// so lines written through the same sink never interleave.
    public init(fileDescriptor: Int32) {
        let writer = FileDescriptorWriter(fileDescriptor: fileDescriptor)
        self.init { line in writer.write(line) }
    }
}

/// Serialises writes to one file descriptor so that each line leaves the process in one piece.
private final class FileDescriptorWriter: Sendable {
    private let fileDescriptor: Int32
    private let lock = Locked(())

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            lock.withLock { _ in
                guard var next = bytes.baseAddress else { return }
                var remaining = bytes.count
                while remaining > 0 {
                    #if canImport(Darwin)
                    let written = Darwin.write(fileDescriptor, next, remaining)
                    #elseif canImport(Glibc)
                    let written = Glibc.write(fileDescriptor, next, remaining)
                    #else
                    let written = Musl.write(fileDescriptor, next, remaining)
                    #endif
                    if written > 0 {
                        next += written
                        remaining -= written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        // A closed or broken descriptor cannot take logs; dropping the line beats crashing.
                        return
                    }
                }
            }
        }
    }
}

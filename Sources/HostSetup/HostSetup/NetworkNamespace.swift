import Glibc

/// A named network namespace (`ip netns add NAME`, a file under `/var/run/netns`).
///
/// A socket belongs to the namespace it was created in for its whole life, so a process can hold sockets in
/// several namespaces at once: enter one on the calling thread, create the socket, and come back. The benchmarks
/// use this to drive traffic between two namespaces from one process without starting helpers in each.
public struct NetworkNamespace: Hashable, Sendable {
    /// The name `ip netns` knows it by.
    public let name: String

    public init(name: String) {
        self.name = name
    }

    /// Runs `body` on the calling thread while that thread is in this namespace, then returns the thread to the
    /// namespace it was in (setns(2) changes only the calling thread).
    ///
    /// - Throws: ``NetworkNamespaceError`` when the namespace cannot be entered or left; what `body` throws.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw NetworkNamespaceError.cannotOpen("/proc/thread-self/ns/net", errno) }
        defer { close(original) }
        let path = "/var/run/netns/\(name)"
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw NetworkNamespaceError.cannotOpen(path, errno) }
        defer { close(target) }
        guard Self.setns(target, Self.newNet) == 0 else { throw NetworkNamespaceError.cannotEnter(name, errno) }
        // Leaving must not fail silently: the thread would go on in the wrong namespace.
        defer {
            if Self.setns(original, Self.newNet) != 0 {
                fatalError("could not return from network namespace \(name): \(errnoText(errno))")
            }
        }
        return try body()
    }

    /// `CLONE_NEWNET`.
    private static let newNet: Int32 = 0x4000_0000

    /// glibc's setns(2), which Swift's Glibc module does not export (it is behind `_GNU_SOURCE`).
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
            fatalError("setns is missing from the C library")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
}

/// Why a network namespace could not be used.
public enum NetworkNamespaceError: Error, CustomStringConvertible {
    case cannotOpen(String, Int32)
    case cannotEnter(String, Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            return "cannot open \(path): \(errnoText(code))"
        case .cannotEnter(let name, let code):
            return "cannot enter network namespace \(name) (needs CAP_SYS_ADMIN): \(errnoText(code))"
        }
    }
}

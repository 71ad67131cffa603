import Glibc

/// The name the kernel shows for a thread (`top -H`, `ps -L`, `perf`, `/proc/PID/task/TID/comm`).
///
/// Data-path threads are named so an operator can tell a worker from a helper when one of them is busy; the main
/// thread keeps the process name, which `pgrep fzctl` and service managers look for.
public enum ThreadName {
    /// The longest name the kernel keeps (`TASK_COMM_LEN` less the terminator); longer names are cut.
    public static let maximumLength = 15

    /// Names the calling thread. Best effort: a kernel without `/proc/thread-self` leaves the old name.
    public static func setCurrent(_ name: String) {
        // glibc's pthread_setname_np is not visible to Swift; it writes the same file.
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(maximumLength))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

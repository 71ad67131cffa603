import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a cleanup on SIGINT, SIGTERM or SIGHUP, then exits 128 + the signal: a demo stopped with Ctrl-C
/// leaves no namespace or process behind.
///
/// The signals are blocked in the calling thread (and so in every thread it starts later) and taken with
/// `sigwait` on a thread of their own, where the cleanup may take locks and run `ip`, which a signal handler
/// could not. Children get default dispositions back (`Subprocess` spawns them so).
enum InterruptWatcher {
    static func install(_ cleanup: @escaping @Sendable (Int32) -> Void) {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // An ignored signal is discarded even while blocked, and sigwait would never see it.
            Glibc.signal(signal, SIG_DFL)
            sigaddset(&signals, signal)
        }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let watched = signals
        let thread = Thread {
            var set = watched
            var received: Int32 = 0
            sigwait(&set, &received)
            cleanup(received)
            _exit(128 + received)
        }
        thread.start()
    }
}

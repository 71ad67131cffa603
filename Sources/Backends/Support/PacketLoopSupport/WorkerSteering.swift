import CFZSocketControl
import Glibc

/// Steers the datagrams of a `SO_REUSEPORT` port to the worker that owns their WireGuard session.
///
/// Without it the kernel picks a socket of the group by a hash of the 4-tuple, which keeps one peer on one
/// socket but not on the worker that holds its session. The program reads the low byte of the receiver index;
/// workers hand out indices whose low byte names them (`WorkerShard.claim` in DataPlane).
public enum WorkerSteering {
    /// Attaches the steering program to the group of `fileDescriptor` (one call per port and family covers
    /// every socket bound there). The group's sockets must have been bound in worker order.
    public static func attach(to fileDescriptor: Int32, workers: Int) throws(SystemCallError) {
        guard cfz_attach_receiver_index_steering(fileDescriptor, UInt32(clamping: workers)) == 0 else {
            let code = errno
            throw SystemCallError(call: "setsockopt(SO_ATTACH_REUSEPORT_CBPF)", errno: code)
        }
    }
}

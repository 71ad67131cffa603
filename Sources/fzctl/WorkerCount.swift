import DataPlane
import WireGuardConfig
import Glibc

/// `--threads`: how many data-path workers an interface runs.
enum WorkerCount {
    /// One per online core (1 on a 1-core host), at most what the steering can name.
    static var perCore: Int {
        min(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))), WorkerShard.maximumWorkers)
    }

    /// The value of `--threads`, or one per core when it is not given.
    static func resolve(_ text: String?) throws(FZCtlError) -> Int {
        guard let text else { return perCore }
        guard let count = Int(text), (1...WorkerShard.maximumWorkers).contains(count) else {
            throw .invalidInput("--threads: '\(DisplayText.echo(text))' is not a number of workers "
                + "(1...\(WorkerShard.maximumWorkers))")
        }
        return count
    }
}

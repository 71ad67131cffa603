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

    /// Each worker's shard of an interface with `workers` workers (nil alone), all with one random cookie seed:
    /// a peer under load retries from a new index, so from any worker, and its cookie must hold there.
    static func shards(_ workers: Int) -> [WorkerShard?] {
        guard workers > 1 else { return [nil] }
        var generator = SystemRandomNumberGenerator()
        let seedBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cookieSeed = Key32(bytes: SIMD32<UInt8>(seedBytes))
        return (0..<workers).map { WorkerShard(worker: $0, workers: workers, cookieSeed: cookieSeed) }
    }
}

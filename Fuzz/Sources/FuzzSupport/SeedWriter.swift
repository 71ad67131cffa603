#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed-writer mode every target has: with `FZ_FUZZ_WRITE_SEEDS=DIR` in the environment the target
/// writes its seed inputs into `DIR` and exits before libFuzzer starts (`scripts/fuzz --write-seeds`).
///
/// Seeds are made by the targets themselves because they must be in each target's input format, and
/// some (real handshake messages) can only be made with the code under test.
public enum SeedWriter {
    /// Call from `LLVMFuzzerInitialize`: writes `make()`'s seeds and exits when the variable is set.
    public static func runIfRequested(_ make: () -> [(name: String, bytes: [UInt8])]) {
        guard let directory = getenv("FZ_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }), !directory.isEmpty
        else { return }
        for seed in make() {
            let path = "\(directory)/\(seed.name)"
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            let written = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.bytes.count else { fatalError("short write to \(path)") }
            print("wrote \(path) (\(seed.bytes.count) bytes)")
        }
        exit(0)
    }
}

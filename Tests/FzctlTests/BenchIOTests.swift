import Foundation
import Testing

/// `fzctl bench io`: a short run measures every backend, mode, size and offload mode and prints the documented
/// JSON with plausible figures.
@Suite("bench io")
struct BenchIOTests {
    @Test("a 0.3 s run prints one JSON array with a measured row per backend, mode, size and offload mode")
    func shortRunJSON() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "io", "--seconds", "0.3", "--format", "json", "--log", "warn"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        let backends = Set(array.compactMap { $0["io"] as? String })
        #expect(backends.contains("epoll"))
        // This host has UDP GRO and GSO (PLATFORM.md), so every backend gets its offload rows too.
        #expect(array.count == backends.count * 2 * 2 * 2)
        for object in array {
            for key in ["io", "mode", "bytes", "offload", "mpps", "cpu_s_per_mpkt"] {
                #expect(object[key] != nil, "\(key) missing in \(object)")
            }
            #expect(["receive", "forward"].contains(object["mode"] as? String ?? ""))
            #expect([64, 1420].contains(object["bytes"] as? Int ?? -1))
            let mpps = try #require(object["mpps"] as? Double)
            let cpu = try #require(object["cpu_s_per_mpkt"] as? Double)
            // A loop thread moves at least some thousands of packets a second, and each costs CPU time (a
            // packet cannot cost more than the whole thread: at most 1 s of CPU per second).
            #expect(mpps > 0.01, "\(object)")
            #expect(cpu > 0 && cpu <= 1 / mpps * 1.05, "\(object)")
            if object["mode"] as? String == "receive" {
                // The generator's thread is measured the same way: it sent every packet, so it used some CPU, and
                // no more than one thread can.
                let generator = try #require(object["generator_cpu_s_per_mpkt"] as? Double, "\(object)")
                #expect(generator > 0 && generator <= 1 / mpps * 1.05, "\(object)")
            } else {
                // Forward rows recirculate a load injected before the measurement: no generator runs during it.
                #expect(object["generator_cpu_s_per_mpkt"] == nil, "\(object)")
            }
        }
    }

    @Test("forward rows keep their injected load circulating for the whole row, with one worker and with two")
    func forwardRowsRecirculate() async throws {
        let result = try await FzctlRunner.fzctl([
            "bench", "io", "--io", "all", "--threads", "1,2", "--modes", "forward", "--sizes", "256",
            "--seconds", "0.5", "--format", "json", "--log", "warn",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(!array.isEmpty)
        for object in array {
            #expect(object["error"] == nil, "\(object)")
            // The load is 2048 datagrams per worker, sent once before the warm-up. Forwarded only once (to a sink
            // instead of back to the worker), it would be gone before the measurement started, and the row would
            // fail with no packets; circulating, the workers move it many times a second (tens of thousands of
            // times under ThreadSanitizer, millions in a release build).
            #expect((object["mpps"] as? Double ?? 0) > 0.005, "\(object)")
            #expect(object["generator_cpu_s_per_mpkt"] == nil, "\(object)")
            // Drained after the measurement, the whole load comes back: none of it was lost on the way round (a
            // thinning load would not show in the rate, since the workers stay busy until it is nearly gone).
            // 256-byte datagrams: 2048 per worker (the window), in whole trains of 64.
            let threads = try #require(object["threads"] as? Int)
            #expect(object["injected"] as? Int == 2048 * threads, "\(object)")
            #expect(object["lost"] as? Int == 0, "\(object)")
        }
    }

    @Test("the table names the offloads each row used")
    func tableNamesOffloads() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "io", "--seconds", "0.2", "--sizes", "1420", "--modes", "forward",
                                            "--log", "warn"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("CPU s/Mpkt"))
        #expect(result.stdout.contains("gen s/Mpkt"), "\(result.stdout)")
        #expect(result.stdout.contains("gro,gso") || result.stdout.contains("gso,gro"), "\(result.stdout)")
        #expect(result.stdout.contains("none"))
    }

    @Test("--rounds 3 measures every row three times and reports the median with the CPU cost's range")
    func roundsReportMedianAndRange() async throws {
        let arguments = ["bench", "io", "--io", "epoll", "--modes", "forward", "--sizes", "256", "--offload-modes", "off",
                         "--seconds", "0.2", "--rounds", "3", "--log", "warn"]
        let result = try await FzctlRunner.fzctl(arguments + ["--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(array.count == 1, "\(array)")
        for object in array {
            #expect(object["error"] == nil, "\(object)")
            #expect(object["rounds"] as? Int == 3, "\(object)")
            let low = try #require(object["cpu_s_per_mpkt_min"] as? Double)
            let median = try #require(object["cpu_s_per_mpkt"] as? Double)
            let high = try #require(object["cpu_s_per_mpkt_max"] as? Double)
            #expect(low > 0 && low <= median && median <= high, "\(object)")
        }
        let table = try await FzctlRunner.fzctl(arguments)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("median of 3 interleaved rounds"), "\(table.stdout)")
        #expect(table.stdout.contains("CPU range"), "\(table.stdout)")
    }

    @Test("--threads 1,2 measures each row with one and two workers, and the flows arrive in order")
    func threadsRowsKeepFlowOrder() async throws {
        let result = try await FzctlRunner.fzctl([
            "bench", "io", "--io", "epoll", "--threads", "1,2", "--modes", "forward", "--sizes", "256",
            "--offload-modes", "off", "--seconds", "0.3", "--count-reorderings", "--format", "json", "--log", "warn",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(array.compactMap { $0["threads"] as? Int } == [1, 2], "\(array)")
        for object in array {
            #expect(object["error"] == nil, "\(object)")
            #expect((object["mpps"] as? Double ?? 0) > 0.01, "\(object)")
            // Each flow is steered to one worker, which forwards it in order: zero reorderings.
            #expect(object["reorderings"] as? Int == 0, "\(object)")
        }
    }
}

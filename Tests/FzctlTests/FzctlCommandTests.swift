import Foundation
import Testing

/// `fzctl` driven as a user drives it: real processes, real stdout/stderr and exit statuses.
@Suite struct FzctlCommandTests {
    @Test("genkey prints a clamped 32-byte key in wg's base64 format")
    func genkeyFormat() async throws {
        let result = try await FzctlRunner.fzctl(["genkey"])
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .newlines)
        #expect(line.count == 44 && line.hasSuffix("="))
        let bytes = try #require(Data(base64Encoded: line))
        #expect(bytes.count == 32)
        #expect(bytes[0] & 7 == 0 && bytes[31] & 0x80 == 0 && bytes[31] & 0x40 == 0x40)
        #expect(result.stdout.hasSuffix("\n"))
    }

    @Test("pubkey matches wireguard-tools' wg pubkey for keys from both fzctl genkey and wg genkey")
    func pubkeyMatchesWg() async throws {
        let wg = try #require(FzctlRunner.which("wg"),
                              "wireguard-tools is not installed: apt-get install wireguard-tools (CI installs it)")
        for round in 0..<6 {
            let generator = round % 2 == 0
                ? try await FzctlRunner.fzctl(["genkey"]) : try await FzctlRunner.run(wg, ["genkey"])
            #expect(generator.status == 0)
            let ours = try await FzctlRunner.fzctl(["pubkey"], stdin: generator.stdout)
            let theirs = try await FzctlRunner.run(wg, ["pubkey"], stdin: generator.stdout)
            #expect(ours.status == 0 && theirs.status == 0)
            #expect(ours.stdout == theirs.stdout, "fzctl pubkey differs from wg pubkey for \(generator.stdout)")
            for backend in ["sodium", "openssl", "swift", "swift-portable"] {
                let pinned = try await FzctlRunner.fzctl(["pubkey", "--crypto", backend], stdin: generator.stdout)
                #expect(pinned.stdout == theirs.stdout, "backend \(backend)")
            }
        }
    }

    @Test("pubkey accepts an unclamped private key exactly as wg does")
    func pubkeyUnclamped() async throws {
        let wg = try #require(FzctlRunner.which("wg"), "wireguard-tools is not installed")
        let unclamped = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString() + "\n"
        let ours = try await FzctlRunner.fzctl(["pubkey"], stdin: unclamped)
        let theirs = try await FzctlRunner.run(wg, ["pubkey"], stdin: unclamped)
        #expect(ours.status == 0)
        #expect(ours.stdout == theirs.stdout)
    }

    @Test("pubkey with bad input exits non-zero with one readable line", arguments: [
        "", "not a key\n", "AAAA\n", String(repeating: "A", count: 43) + "!\n",
        String(repeating: "A", count: 42) + "B=\n",
    ])
    func pubkeyRejectsBadInput(input: String) async throws {
        let result = try await FzctlRunner.fzctl(["pubkey"], stdin: input)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(result.stderr)")
        #expect(result.stderr.hasPrefix("fzctl: error: "))
    }

    @Test("An unknown crypto backend exits 2 and lists the valid names")
    func unknownBackend() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--crypto", "openssl-nope"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("openssl-nope"))
        #expect(result.stderr.contains("sodium") && result.stderr.contains("swift"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("A backend that cannot run here exits non-zero and says why")
    func unavailableBackend() async throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let hasAVX512 = cpuinfo.contains(" avx512f") && cpuinfo.contains(" avx512vl") && cpuinfo.contains(" avx512bw")
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--crypto", "swift-avx512", "--sizes", "64",
                                            "--rounds", "1", "--round-ms", "1"])
        if hasAVX512 {
            #expect(result.status == 0)
        } else {
            #expect(result.status != 0 && result.status != 2)
            #expect(result.stderr.contains("not available") && result.stderr.contains("AVX-512"))
        }
    }

    @Test("bench crypto --format json prints exactly one JSON array of the documented objects")
    func benchJSON() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--format", "json", "--sizes", "64,1420",
                                            "--rounds", "1", "--round-ms", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        let backends = Set(array.compactMap { $0["backend"] as? String })
        #expect(backends.contains("sodium") && backends.contains("swift"))
        #expect(array.count == backends.count * 2 * 2)
        for object in array {
            #expect(Set(object.keys) == ["backend", "op", "bytes", "ns_per_op", "mb_per_s"])
            #expect(["seal", "open"].contains(object["op"] as? String ?? ""))
            #expect([64, 1420].contains(object["bytes"] as? Int ?? -1))
            let ns = try #require(object["ns_per_op"] as? Double)
            let mb = try #require(object["mb_per_s"] as? Double)
            #expect(ns > 0 && mb > 0)
        }
    }

    @Test("bench crypto --crypto takes a comma-separated list and measures exactly those backends, in order")
    func benchCryptoList() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--crypto", "openssl,sodium,openssl", "--format", "json",
                                            "--sizes", "64", "--rounds", "1", "--round-ms", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let array = try #require(parsed as? [[String: Any]])
        #expect(array.compactMap { $0["backend"] as? String } == ["openssl", "sodium", "openssl", "sodium"])
        let bad = try await FzctlRunner.fzctl(["bench", "crypto", "--crypto", "sodium,nope", "--sizes", "64"])
        #expect(bad.status == 2 && bad.stderr.contains("'nope'") && bad.stderr.contains("openssl"))
    }

    @Test("bench crypto table shows every backend's ratio to sodium")
    func benchTable() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--sizes", "1420", "--rounds", "1", "--round-ms", "2"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("vs sodium"))
        #expect(result.stdout.contains("1.00x"))
        #expect(result.stdout.contains("swift"))
    }

    @Test("Bad --sizes and --format values are one-line errors")
    func benchBadOptions() async throws {
        for arguments in [["--sizes", "64,abc"], ["--format", "yaml"], ["--sizes", "-1"]] {
            let result = try await FzctlRunner.fzctl(["bench", "crypto"] + arguments)
            #expect(result.status != 0)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }

    @Test("backends lists crypto and I/O backends, availability and what auto picks")
    func backendsListing() async throws {
        let result = try await FzctlRunner.fzctl(["backends"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("sodium"))
        #expect(result.stdout.contains("swift-portable"))
        #expect(result.stdout.contains("openssl") && result.stdout.contains("OpenSSL"))
        #expect(result.stdout.contains("auto picks:"))
        #expect(result.stdout.contains("packet I/O backends"))
        // The default build carries every optional backend, and says so with the CPU it was compiled for.
        #expect(result.stdout.hasPrefix("build: traits IOUring,OpenSSL,Sodium; target CPU "), "\(result.stdout)")
        #expect(!result.stdout.contains("not in this build"))
    }

    @Test("flags shows defaults, honours FZFF_ variables and names a bad one")
    func flags() async throws {
        let name = "icmp_error_unreachable_prohibited_create_new_flow"
        let variable = "FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW"
        let defaults = try await FzctlRunner.fzctl(["flags"])
        #expect(defaults.status == 0)
        let line = try #require(defaults.stdout.split(separator: "\n").first { $0.hasPrefix(name) })
        #expect(line.contains("false") && line.contains("default"))

        let enabled = try await FzctlRunner.fzctl(["flags"], environment: [variable: "true"])
        let enabledLine = try #require(enabled.stdout.split(separator: "\n").first { $0.hasPrefix(name) })
        #expect(enabledLine.contains("true") && enabledLine.contains(variable))

        let bad = try await FzctlRunner.fzctl(["flags"], environment: [variable: "yes"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains(variable))
        #expect(bad.stderr.split(separator: "\n").count == 1)
    }

    @Test("A bad log filter from --log or FZ_LOG is a one-line startup error")
    func badLogFilter() async throws {
        let flag = try await FzctlRunner.fzctl(["flags", "--log", "info,=debug"])
        #expect(flag.status != 0 && flag.stderr.contains("=debug"))
        let env = try await FzctlRunner.fzctl(["flags"], environment: ["FZ_LOG": "loud"])
        #expect(env.status != 0 && env.stderr.contains("FZ_LOG"))
        #expect(env.stderr.split(separator: "\n").count == 1)
    }

    @Test("JSON logs are one object per line with time, severity, message and target")
    func jsonLogs() async throws {
        let result = try await FzctlRunner.fzctl(["bench", "crypto", "--sizes", "64", "--rounds", "1", "--round-ms", "1",
                                            "--log-format", "json", "--log", "info"])
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let time = try #require(object["time"] as? String)
            #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$"#, options: .regularExpression) != nil)
            #expect(object["severity"] as? String == "INFO")
            #expect(object["message"] is String)
            #expect(object["target"] as? String == "fzctl")
        }
        #expect(result.stderr.contains("\"backend\""))
    }

    @Test("up names the file, line and problem of a bad config and exits non-zero")
    func upRejectsBadConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fz-up-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wg9.conf").path
        try "[Interface]\nPrivateKey = \(String(repeating: "A", count: 43))=\n\n[Peer]\nPublicKey = nope\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await FzctlRunner.fzctl(["up", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("wg9.conf:5"), "\(result.stderr)")
        #expect(result.stderr.contains("PublicKey"))
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")

        let missing = try await FzctlRunner.fzctl(["up", directory.appendingPathComponent("absent.conf").path])
        #expect(missing.status != 0 && missing.stderr.contains("absent.conf"))

        let badIO = try await FzctlRunner.fzctl(["up", path, "--io", "carrier-pigeon"])
        #expect(badIO.status != 0)
    }
}

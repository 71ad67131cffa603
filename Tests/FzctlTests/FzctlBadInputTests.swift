import Foundation
import Testing

/// Files the bad-input matrix points `fzctl up` at, made once per test process.
enum BadInputFiles {
    static let privateKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
    static let peerKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

    static let directory: String = {
        let path = NSTemporaryDirectory() + "fzctl-bad-input-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes `bytes` as `name` in the fixture directory and returns its path.
    static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func file(_ name: String, _ text: String) -> String { file(name, Array(text.utf8)) }

    static let interface = "[Interface]\nPrivateKey = \(privateKey)\nListenPort = 51999\n"

    /// A valid config: `up` with it fails only on the other argument under test.
    static let valid = file("wg9.conf", interface + "\n[Peer]\nPublicKey = \(peerKey)\nAllowedIPs = 10.9.0.2/32\n")

    /// The interface's own public key, as `fzctl pubkey` computes it.
    static let ownPublicKey: String = {
        let result = try? FzctlRunner.fzctlBlocking(["pubkey", "--crypto", "sodium"], stdin: privateKey + "\n")
        return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }()
}

/// Issue 9, deliverable 7: every `fzctl` command with missing, malformed and out-of-range arguments, files
/// and environment values exits non-zero with exactly one line on stderr, `fzctl: error: ...`, naming the
/// problem. No case gets as far as creating an interface or a namespace: each fails validation first.
@Suite struct FzctlBadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var status: Int32
        /// Text the one line must contain: what names the problem.
        var names: String
        var environment: [String: String] = [:]
        var stdin: String? = nil
        var testDescription: String {
            let shown = arguments.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }
            let env = environment.map { "\($0.key.prefix(12))=\($0.value.prefix(40))" }.sorted().joined(separator: " ")
            return (env.isEmpty ? "" : env + " ") + "fzctl " + shown.joined(separator: " ").debugDescription
        }
    }

    static let flagVariable = "FZFF_ICMP_ERROR_UNREACHABLE_PROHIBITED_CREATE_NEW_FLOW"
    static let key = BadInputFiles.privateKey + "\n"

    static let commandLine: [Case] = [
        Case(arguments: ["gateway", "--portal", "ws://127.0.0.1:9", "--token", "t", "--endpoint", "127.0.0.1:51820",
                         "--metrics-listen", "[::1]"], status: 1, names: "--metrics-listen '[::1]'"),
        Case(arguments: ["client", "--portal", "ws://127.0.0.1:9", "--token", "t",
                         "--metrics-listen", "127.0.0.1:99999"], status: 1, names: "'127.0.0.1:99999'"),
        Case(arguments: ["gateway", "--portal", "ws://127.0.0.1:9", "--token", "t", "--endpoint", "127.0.0.1:51820"],
             status: 1, names: "NOTIFY_SOCKET='notify' is neither an absolute socket path nor an @abstract name",
             environment: ["NOTIFY_SOCKET": "notify"]),
        Case(arguments: [], status: 64, names: "fzctl needs a command"),
        Case(arguments: ["nosuch"], status: 64, names: "'nosuch'"),
        Case(arguments: ["bench"], status: 64, names: "fzctl bench needs a command: crypto, io, tunnel"),
        Case(arguments: ["bench", "nosuch"], status: 64, names: "'nosuch'"),
        Case(arguments: ["backends", "extra"], status: 64, names: "'extra'"),
        Case(arguments: ["backends", "--log-format", "xml"], status: 1, names: "--log-format 'xml'"),
        Case(arguments: ["backends", "--log-format"], status: 64, names: "--log-format"),
        Case(arguments: ["backends", "--log", "info,=debug"], status: 1, names: "=debug"),
        Case(arguments: ["backends"], status: 1, names: "FZ_LOG", environment: ["FZ_LOG": "loud"]),
        Case(arguments: ["backends"], status: 1, names: flagVariable, environment: [flagVariable: "yes"]),
        Case(arguments: ["genkey", "extra"], status: 64, names: "'extra'"),
        Case(arguments: ["genkey"], status: 1, names: flagVariable, environment: [flagVariable: ""]),
        Case(arguments: ["genkey", "--log", "debug,x=loud"], status: 1, names: "loud"),
        Case(arguments: ["flags", "extra"], status: 64, names: "'extra'"),
        Case(arguments: ["flags"], status: 1, names: flagVariable, environment: [flagVariable: "TRUE"]),
        Case(arguments: ["flags", "--log", "\u{1B}[31m"], status: 1, names: "\\u{1B}[31m"),
        Case(arguments: ["pubkey"], status: 1, names: "no private key on stdin", stdin: ""),
        Case(arguments: ["pubkey"], status: 1, names: "stdin: a key is base64",
             stdin: "not a key at all" + String(repeating: "!", count: 27) + "=\n"),
        Case(arguments: ["pubkey"], status: 1, names: "stdin: a key is 44 base64 characters",
             stdin: String(repeating: "A", count: 1 << 20)),
        Case(arguments: ["pubkey"], status: 1, names: "stdin:", stdin: "\u{1B}]0;pwned\u{07}\u{00}\u{01}\n"),
        Case(arguments: ["pubkey", "--crypto", "nope"], status: 2, names: "unknown crypto backend 'nope'",
             stdin: key),
        Case(arguments: ["pubkey", "--crypto"], status: 64, names: "--crypto", stdin: key),
        Case(arguments: ["bench", "crypto", "--crypto", "nope"], status: 2, names: "unknown crypto backend 'nope'"),
        Case(arguments: ["bench", "crypto", "--crypto", ""], status: 2, names: "unknown crypto backend ''"),
        Case(arguments: ["bench", "crypto", "--sizes", "abc"], status: 1, names: "--sizes 'abc'"),
        Case(arguments: ["bench", "crypto", "--sizes", ""], status: 1, names: "--sizes ''"),
        Case(arguments: ["bench", "crypto", "--sizes", "64,,1420"], status: 1, names: "--sizes '64,,1420'"),
        Case(arguments: ["bench", "crypto", "--sizes", "2000000"], status: 1, names: "between 0 and 1048576"),
        Case(arguments: ["bench", "crypto", "--sizes", "-1"], status: 64, names: "--sizes"),
        Case(arguments: ["bench", "crypto", "--sizes", String(repeating: "9", count: 100_000)], status: 1,
             names: "--sizes '999"),
        Case(arguments: ["bench", "crypto", "--rounds", "0"], status: 1, names: "--rounds must be between 1 and 1000"),
        Case(arguments: ["bench", "crypto", "--rounds", "1001"], status: 1, names: "--rounds must be between"),
        Case(arguments: ["bench", "crypto", "--rounds", "-1"], status: 64, names: "--rounds"),
        Case(arguments: ["bench", "crypto", "--rounds", "99999999999999999999999"], status: 64, names: "--rounds"),
        Case(arguments: ["bench", "crypto", "--rounds", "x"], status: 64, names: "'x'"),
        Case(arguments: ["bench", "crypto", "--round-ms", "0"], status: 1, names: "--round-ms must be between"),
        Case(arguments: ["bench", "crypto", "--round-ms", "10001"], status: 1, names: "--round-ms must be between"),
        Case(arguments: ["bench", "crypto", "--format", "yaml"], status: 1, names: "--format 'yaml'"),
        Case(arguments: ["bench", "crypto", "--bogus"], status: 64, names: "--bogus"),
        Case(arguments: ["bench", "tunnel", "--seconds", "0"], status: 1, names: "--seconds must be between"),
        Case(arguments: ["bench", "tunnel", "--seconds", "601"], status: 1, names: "--seconds must be between"),
        Case(arguments: ["bench", "tunnel", "--rounds", "0"], status: 1, names: "--rounds must be between 1 and 20"),
        Case(arguments: ["bench", "tunnel", "--rounds", "21"], status: 1, names: "--rounds must be between 1 and 20"),
        Case(arguments: ["bench", "tunnel", "--seconds", "x"], status: 64, names: "'x'"),
        Case(arguments: ["bench", "tunnel", "--tests", ""], status: 1, names: "--tests: '' is not a test"),
        Case(arguments: ["bench", "tunnel", "--tests", "tcp,,udp"], status: 1, names: "--tests: '' is not a test"),
        Case(arguments: ["bench", "tunnel", "--tests", "sctp"], status: 1, names: "--tests: 'sctp'"),
        Case(arguments: ["bench", "tunnel", "--pairs", ""], status: 1, names: "--pairs: '' is not a pair"),
        Case(arguments: ["bench", "tunnel", "--pairs", "fzctl-boringtun"], status: 1, names: "'fzctl-boringtun'"),
        Case(arguments: ["bench", "tunnel", "--format", "csv"], status: 1, names: "--format 'csv'"),
        Case(arguments: ["bench", "tunnel", "--io", "io_uring"], status: 2, names: "unknown I/O backend 'io_uring'"),
        Case(arguments: ["bench", "tunnel", "--crypto", "nope"], status: 2, names: "unknown crypto backend 'nope'"),
        Case(arguments: ["bench", "tunnel", "--log-format", "xml"], status: 1, names: "--log-format 'xml'"),
        Case(arguments: ["bench", "tunnel", "--io", "epoll,nope"], status: 2, names: "unknown I/O backend 'nope'"),
        Case(arguments: ["bench", "tunnel", "--offload-modes", "maybe"], status: 1, names: "'maybe'"),
        Case(arguments: ["bench", "tunnel", "--udp-search", "fast"], status: 1, names: "--udp-search 'fast'"),
        Case(arguments: ["bench", "tunnel", "--udp-source", "netperf"], status: 1, names: "--udp-source 'netperf'"),
        Case(arguments: ["bench", "tunnel", "--crypto", "swift,nope"], status: 2,
             names: "unknown crypto backend 'nope'"),
        Case(arguments: ["bench", "io", "--seconds", "0"], status: 1, names: "--seconds must be between 0.1 and 600"),
        Case(arguments: ["bench", "io", "--seconds", "nan"], status: 1, names: "--seconds must be between"),
        Case(arguments: ["bench", "io", "--seconds", "x"], status: 64, names: "'x'"),
        Case(arguments: ["bench", "io", "--sizes", "0"], status: 1, names: "between 16 and 65507"),
        Case(arguments: ["bench", "io", "--threads", "0"], status: 1, names: "is not a number of workers"),
        Case(arguments: ["bench", "io", "--rounds", "0"], status: 1, names: "--rounds must be between 1 and 50"),
        Case(arguments: ["bench", "io", "--rounds", "51"], status: 1, names: "--rounds must be between 1 and 50"),
        Case(arguments: ["bench", "tunnel", "--threads", "1,0"], status: 1, names: "'0' is not a number of workers"),
        Case(arguments: ["bench", "tunnel", "--threads", "256"], status: 1, names: "'256' is not a number of workers"),
        Case(arguments: ["up", "/nonexistent.conf", "--threads", "0"], status: 1, names: "--threads"),
        Case(arguments: ["gateway", "--portal", "ws://127.0.0.1:9", "--token", "t", "--endpoint", "127.0.0.1:51820",
                         "--threads", "256"], status: 1, names: "--threads: '256' is not a number of workers"),
        Case(arguments: ["bench", "io", "--sizes", "64,,1420"], status: 1, names: "--sizes '64,,1420'"),
        Case(arguments: ["bench", "io", "--modes", "send"], status: 1, names: "--modes: 'send' is not a mode"),
        Case(arguments: ["bench", "io", "--offload-modes", "on,"], status: 1, names: "--offload-modes: ''"),
        Case(arguments: ["bench", "io", "--io", "io_uring"], status: 2, names: "unknown I/O backend 'io_uring'"),
        Case(arguments: ["bench", "io", "--format", "csv"], status: 1, names: "--format 'csv'"),
    ]

    static var upCases: [Case] {
        let files = BadInputFiles.self
        let peer = "\n[Peer]\nPublicKey = \(files.peerKey)\n"
        let binary = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        return [
            Case(arguments: ["up"], status: 64, names: "<config>"),
            Case(arguments: ["up", files.directory + "/absent.conf"], status: 1,
                 names: "cannot read config file \(files.directory)/absent.conf: No such file or directory"),
            Case(arguments: ["up", files.directory], status: 1, names: "is a directory"),
            Case(arguments: ["up", "/dev/null"], status: 1, names: "/dev/null:1: no [Interface] section"),
            Case(arguments: ["up", "/dev/zero"], status: 1, names: "/dev/zero is larger than 64 MiB"),
            Case(arguments: ["up", files.file("binary.conf", binary)], status: 1, names: "binary.conf:1: "),
            Case(arguments: ["up", files.file("long.conf", files.interface + String(repeating: "x", count: 10 << 20))],
                 status: 1, names: "long.conf:4: 'xxxx"),
            Case(arguments: ["up", files.file("key.conf", files.interface + "\n[Peer]\nPublicKey = nope\n")],
                 status: 1, names: "key.conf:6: PublicKey: a key is 44 base64 characters"),
            Case(arguments: ["up", files.file("latin1.conf", Array((files.interface + peer + "AllowedIPs = 10.0.0.")
                .utf8) + [0xB2] + Array("/32\n".utf8))], status: 1,
                 names: "latin1.conf:7: AllowedIPs: the value has bytes that are not UTF-8"),
            Case(arguments: ["up", files.file("own.conf", files.interface + "\n[Peer]\n# me\nPublicKey = "
                + files.ownPublicKey + "\n")], status: 1,
                 names: "own.conf:7: PublicKey: this is the interface's own public key"),
            Case(arguments: ["up", files.file("dns.conf", files.interface + peer + "AllowedIPs = 10.9.0.3/32\n"
                + "Endpoint = no-such-host.invalid:51820\n")], status: 1,
                 names: "dns.conf:8: Endpoint: cannot resolve 'no-such-host.invalid'"),
            Case(arguments: ["up", files.valid, "--interface", ""], status: 1, names: "interface name '' is invalid"),
            Case(arguments: ["up", files.valid, "--interface", "a/b"], status: 1, names: "interface name 'a/b'"),
            Case(arguments: ["up", files.valid, "--interface", "sixteen-chars-xx"], status: 1,
                 names: "'sixteen-chars-xx' is invalid"),
            Case(arguments: ["up", files.valid, "--interface", "\u{1B}[2J"], status: 1,
                 names: "interface name '\\u{1B}[2J' is invalid"),
            Case(arguments: ["up", files.valid, "--crypto", "nope"], status: 2, names: "unknown crypto backend 'nope'"),
            Case(arguments: ["up", files.valid, "--io", "io_uring"], status: 2,
                 names: "unknown I/O backend 'io_uring'"),
            Case(arguments: ["up", files.valid, "--log-format", "xml"], status: 1, names: "--log-format 'xml'"),
            Case(arguments: ["up", files.valid, "--metrics-listen", "9586"], status: 1,
                 names: "--metrics-listen '9586': '9586' has no port"),
            Case(arguments: ["up", files.valid], status: 1, names: flagVariable, environment: [flagVariable: "1"]),
            Case(arguments: ["up", files.valid], status: 1, names: "FZ_TEST_REKEY_AFTER_SECONDS: '0'",
                 environment: ["FZ_TEST_REKEY_AFTER_SECONDS": "0"]),
            Case(arguments: ["up", files.valid], status: 1, names: "NOTIFY_SOCKET='run/notify' is neither",
                 environment: ["NOTIFY_SOCKET": "run/notify"]),
            Case(arguments: ["up", files.valid], status: 1,
                 names: "NOTIFY_SOCKET is 201 bytes; a socket address holds at most 107",
                 environment: ["NOTIFY_SOCKET": "/" + String(repeating: "n", count: 200)]),
        ]
    }

    @Test("Bad arguments and environment: non-zero status and one `fzctl: error:` line naming the problem",
          arguments: commandLine)
    func commandLineErrors(_ test: Case) async throws {
        try await Self.check(test)
    }

    @Test("fzctl up with bad files, configs and arguments fails before touching the system, in one line",
          arguments: upCases)
    func upErrors(_ test: Case) async throws {
        try await Self.check(test)
    }

    static func check(_ test: Case) async throws {
        // `timeout` turns a case that wrongly starts a tunnel or a benchmark into a failure, not a hang.
        let result = try await FzctlRunner.run(URL(fileURLWithPath: "/usr/bin/timeout"),
                                         ["-s", "INT", "60", FzctlRunner.binary.path] + test.arguments,
                                         stdin: test.stdin, environment: test.environment)
        #expect(result.status == test.status, "\(result.stderr.prefix(300))")
        #expect(result.stderr.hasPrefix("fzctl: error: "), "\(result.stderr.prefix(300))")
        #expect(result.stderr.hasSuffix("\n") && result.stderr.filter { $0 == "\n" }.count == 1,
                "expected one line: \(result.stderr.prefix(600))")
        #expect(result.stderr.contains(test.names), "\(result.stderr.prefix(300))")
        #expect(result.stderr.count < 1100, "\(result.stderr.count) characters")
        let controls = result.stderr.dropLast().unicodeScalars.filter { $0.value < 0x20 || $0.value == 0x7F }
        #expect(controls.isEmpty, "control characters reach the terminal: \(result.stderr.prefix(300))")
        #expect(result.stdout.isEmpty, "\(result.stdout.prefix(300))")
    }
}

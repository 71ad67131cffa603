import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The one binary operators run: backends, keys, benchmarks and, later, tunnels.
@main
struct FZCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fzctl",
        abstract: "Swift zero-trust data plane: WireGuard tunnels with pluggable crypto and packet I/O.",
        subcommands: [BackendsCommand.self, GenKeyCommand.self, PubKeyCommand.self, BenchCommand.self,
                      FlagsCommand.self, UpCommand.self]
    )

    /// Parses, runs, and turns every failure into one readable line on stderr and a non-zero exit.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as FZCtlError {
            fail(error.description, code: error.exitCode)
        } catch let error as ExitCode {
            Glibc.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's full text is the answer.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            fail(message(for: error), code: code.rawValue)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        let line = message.split(separator: "\n").first.map(String.init) ?? message
        FileOutput.standardError("fzctl: error: \(line)\n")
        Glibc.exit(code)
    }
}

/// Unbuffered writes to stdout and stderr, so JSON output and logs never interleave mid-line.
enum FileOutput {
    static func standardError(_ text: String) { write(text, to: 2) }
    static func standardOutput(_ text: String) { write(text, to: 1) }

    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

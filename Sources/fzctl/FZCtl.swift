import ArgumentParser
import WireGuardConfig
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
                      FlagsCommand.self, UpCommand.self, PortalCommand.self, GatewayDaemonCommand.self,
                      ClientDaemonCommand.self, AdminCommand.self, DemoCommand.self]
    )

    /// Parses, runs, and turns every failure into one readable line on stderr and a non-zero exit.
    static func main() {
        // A reader that goes away (a `wg` killed mid-request, `fzctl ... | head`) must cost a failed write,
        // not the process: SIGPIPE would kill `fzctl up` and leave its UAPI socket behind. Children get the
        // default disposition back (`Subprocess`).
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if command is FZCtl || command is BenchCommand || command is AdminCommand {
                let (name, parent): (String, CommandConfiguration) = switch command {
                case is FZCtl: ("fzctl", configuration)
                case is BenchCommand: ("fzctl bench", BenchCommand.configuration)
                default: ("fzctl admin", AdminCommand.configuration)
                }
                let names = parent.subcommands
                    .map { $0.configuration.commandName ?? "" }
                fail("\(name) needs a command: \(names.joined(separator: ", ")) (see \(name) --help)", code: 64)
            }
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

    /// Writes `fzctl: error: MESSAGE` as one line and exits with `code`.
    ///
    /// Only the first line of a multi-line message is kept; control characters are escaped so nothing
    /// echoed from the input reaches the terminal raw, and a very long line keeps its start and end.
    static func fail(_ message: String, code: Int32) -> Never {
        let first = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        var line = DisplayText.escaped(first)
        if line.count > maximumMessageLength {
            line = line.prefix(maximumMessageLength * 3 / 4) + " … " + line.suffix(maximumMessageLength / 4)
        }
        FileOutput.standardError("fzctl: error: \(line)\n")
        Glibc.exit(code)
    }

    /// Characters of an error message kept on its one line.
    static let maximumMessageLength = 1000
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

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WireGuardConfig

/// A UAPI socket in /var/run/wireguard served by the test itself, so Debian's `wg` can talk to our
/// parser and serializer exactly as it talks to wireguard-go.
final class FakeUAPISocket {
    let interfaceName: String
    let path: String
    let listener: Int32

    /// Listens on /var/run/wireguard/<name>.sock; nil when that is not possible here (not root, no dir).
    init?(interfaceName: String) {
        self.interfaceName = interfaceName
        self.path = "/var/run/wireguard/\(interfaceName).sock"
        guard access("/var/run/wireguard", W_OK) == 0 else { return nil }
        unlink(path)
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            return nil
        }
        listener = fd
    }

    deinit {
        close(listener)
        unlink(path)
    }

    /// Runs `wg` with `arguments` and answers each request on the socket with `respond` until `wg` exits.
    func runWg(_ arguments: [String], respond: (UAPIRequest) -> String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wg")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        while process.isRunning {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            serve(connection, respond: respond)
            close(connection)
        }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text)
    }

    /// Reads requests until the peer closes (wg's liveness probe sends nothing) and answers each.
    private func serve(_ connection: Int32, respond: (UAPIRequest) -> String) {
        var reader = UAPIRequestReader()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            reader.append(contentsOf: buffer[0..<count])
            do {
                while let request = try reader.nextRequest() { send(connection, respond(request)) }
            } catch {
                send(connection, UAPIResponse.status(for: error))
            }
        }
    }

    private func send(_ connection: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }
}

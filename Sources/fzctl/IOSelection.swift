import ArgumentParser
import DataPlane
import EpollIO
#if IOUring
import IOUringIO
#endif
import Logging

/// A packet I/O backend fzctl can run an interface on: how to probe and open it.
///
/// fzctl picks one with a `switch` at startup and calls generic code with the concrete type and its loop's
/// initializer, so the tunnel, the loop and the backend's channels are specialized together.
protocol InterfaceBackend {
    associatedtype IO: PacketIO
    associatedtype Failure: Error

    /// The `--io` name.
    static var name: String { get }
    /// What the backend finds on this host.
    static func probe() -> PacketIOProbe
    /// Opens the TUN device `name` and the UDP sockets; the second value says why IPv6 is unavailable. With
    /// `shared`, one worker's share of several (`SO_REUSEPORT`, one queue of a multi-queue TUN).
    static func openInterface(
        name: String, port: UInt16?, mtu: Int, offloads: PacketOffloads, shared: Bool
    ) throws(Failure) -> (io: IO, ipv6Unavailable: Failure?)
    /// The UDP port the sockets are bound to.
    static func listenPort(of io: IO) -> UInt16
    /// The UDP sockets, for the workers' steering program.
    static func udpFileDescriptors(of io: IO) -> [Int32]
}

/// The epoll backend as fzctl runs it.
enum EpollInterface: InterfaceBackend {
    static var name: String { "epoll" }

    static func probe() -> PacketIOProbe { EpollPacketIO.probe() }

    static func openInterface(
        name: String, port: UInt16?, mtu: Int, offloads: PacketOffloads, shared: Bool
    ) throws(EpollIOError) -> (io: EpollPacketIO, ipv6Unavailable: EpollIOError?) {
        try EpollPacketIO.openInterface(name: name, port: port, mtu: mtu, offloads: offloads, shared: shared)
    }

    static func listenPort(of io: EpollPacketIO) -> UInt16 { io.datagrams.localAddresses.first?.port ?? 0 }

    static func udpFileDescriptors(of io: EpollPacketIO) -> [Int32] { io.datagrams.fileDescriptors }
}

#if IOUring
/// The io_uring backend as fzctl runs it.
enum IOUringInterface: InterfaceBackend {
    static var name: String { "io-uring" }

    static func probe() -> PacketIOProbe { IOUringPacketIO.probe() }

    static func openInterface(
        name: String, port: UInt16?, mtu: Int, offloads: PacketOffloads, shared: Bool
    ) throws(IOUringIOError) -> (io: IOUringPacketIO, ipv6Unavailable: IOUringIOError?) {
        try IOUringPacketIO.openInterface(name: name, port: port, mtu: mtu, offloads: offloads, shared: shared)
    }

    static func listenPort(of io: IOUringPacketIO) -> UInt16 { io.datagrams.localAddresses.first?.port ?? 0 }

    static func udpFileDescriptors(of io: IOUringPacketIO) -> [Int32] { io.datagrams.fileDescriptors }
}
#endif

/// What a build without the IOUring package trait answers for `--io io-uring`: unusable, and why.
let ioUringNotInBuild = "not in this build (built without the IOUring trait; rebuild with --traits IOUring or the "
    + "default traits)"

/// Which packet I/O backend an interface runs on.
enum IOBackendKind: String, CaseIterable {
    case epoll
    case ioUring = "io-uring"
}

/// Turns an `--io` value into a backend: by name (exit 3 with the probe's reason when it cannot run here), or
/// `auto`, which takes the first usable backend in preference order and logs why it passed over the others.
enum IOSelection {
    /// Preference order for `auto`.
    static let preference: [IOBackendKind] = [.ioUring, .epoll]
    static let names = ["auto"] + IOBackendKind.allCases.map(\.rawValue)

    static func validate(_ name: String) throws(FZCtlError) {
        guard names.contains(name) else { throw .unknownBackend(kind: "I/O", name: name, valid: names) }
    }

    static func probe(_ kind: IOBackendKind) -> PacketIOProbe {
        switch kind {
        case .epoll: return EpollInterface.probe()
        case .ioUring:
            #if IOUring
            return IOUringInterface.probe()
            #else
            return PacketIOProbe(unusableReason: ioUringNotInBuild, offloads: [], details: [])
            #endif
        }
    }

    static func resolve(_ name: String, logger: Logger) throws(FZCtlError) -> IOBackendKind {
        try validate(name)
        if let kind = IOBackendKind(rawValue: name) {
            if let reason = probe(kind).unusableReason {
                throw .unavailableBackend(kind: "I/O", name: name, reason: reason)
            }
            return kind
        }
        for kind in preference {
            let found = probe(kind)
            if let reason = found.unusableReason {
                logger.warning("packet I/O backend unusable here; trying the next", metadata: [
                    "io": "\(kind.rawValue)", "reason": "\(reason)"])
                continue
            }
            return kind
        }
        return .epoll
    }
}

/// The offload flags of every command that runs an interface.
struct OffloadOptions: ParsableArguments {
    @Option(help: "Offloads to use where the kernel has them: all, none, or a list of gso,gro,tun-offload.")
    var offloads: String = "all"

    @Flag(name: .customLong("no-gso"), help: "Do not send runs of datagrams as one UDP GSO send.")
    var noGSO = false

    @Flag(name: .customLong("no-gro"), help: "Do not receive UDP GRO datagram trains.")
    var noGRO = false

    @Flag(name: .customLong("no-tun-offload"), help: "Do not use TUN checksum/segmentation offloads.")
    var noTunOffload = false

    /// The offloads asked for: the list minus the `--no-*` flags.
    func resolve() throws(FZCtlError) -> PacketOffloads {
        var result: PacketOffloads
        switch PacketOffloads.parse(offloads) {
        case .success(let parsed): result = parsed
        case .failure(let error): throw .invalidInput("--offloads: \(error)")
        }
        if noGSO { result.remove(.udpGSO) }
        if noGRO { result.remove(.udpGRO) }
        if noTunOffload { result.remove(.tunOffload) }
        return result
    }
}

/// What a packet I/O backend found when it probed this host: whether it can run, and which offloads work.
///
/// `fzctl backends` prints it; `--io auto` picks the first usable backend; a backend asked for by name that is
/// not usable makes fzctl exit with ``unusableReason``.
public struct PacketIOProbe: Sendable {
    /// Why the backend cannot run here (a disabled syscall, an old kernel, a missing opcode), or nil.
    public var unusableReason: String?
    /// Offloads the host supports for this backend.
    public var offloads: PacketOffloads
    /// What was found, one short item each (e.g. `multishot recvmsg`, `TUN: CSUM TSO4 TSO6 USO`).
    public var details: [String]

    /// A probe result.
    public init(unusableReason: String? = nil, offloads: PacketOffloads, details: [String]) {
        self.unusableReason = unusableReason
        self.offloads = offloads
        self.details = details
    }

    /// Whether the backend can run here.
    public var isUsable: Bool { unusableReason == nil }
}

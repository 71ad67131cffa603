import CFZTunDevice

/// The `TUNSETOFFLOAD` offloads a TUN device accepted: checksum, TCP segmentation for IPv4 and IPv6, and UDP
/// segmentation (USO, Linux 6.2 and later) for IPv4 and IPv6.
///
/// With any of them on, the kernel hands the device TCP and UDP super-packets and leaves checksums partial,
/// which the tunnel then splits and completes itself (``SegmentationPlan``).
public struct TunOffloadFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The kernel may leave L4 checksums partial (`TUN_F_CSUM`).
    public static let checksum = TunOffloadFlags(rawValue: UInt32(CFZ_TUN_F_CSUM))
    /// IPv4 TCP super-packets (`TUN_F_TSO4`).
    public static let tso4 = TunOffloadFlags(rawValue: UInt32(CFZ_TUN_F_TSO4))
    /// IPv6 TCP super-packets (`TUN_F_TSO6`).
    public static let tso6 = TunOffloadFlags(rawValue: UInt32(CFZ_TUN_F_TSO6))
    /// IPv4 UDP super-packets (`TUN_F_USO4`).
    public static let uso4 = TunOffloadFlags(rawValue: UInt32(CFZ_TUN_F_USO4))
    /// IPv6 UDP super-packets (`TUN_F_USO6`).
    public static let uso6 = TunOffloadFlags(rawValue: UInt32(CFZ_TUN_F_USO6))

    /// What the tunnel asks for first.
    public static let preferred: TunOffloadFlags = [.checksum, .tso4, .tso6, .uso4, .uso6]
    /// What it falls back to on a kernel without USO.
    public static let withoutUSO: TunOffloadFlags = [.checksum, .tso4, .tso6]

    /// `CSUM TSO4 TSO6 USO4 USO6`, or `none`.
    public var description: String {
        let names: [(String, TunOffloadFlags)] = [
            ("CSUM", .checksum), ("TSO4", .tso4), ("TSO6", .tso6), ("USO4", .uso4), ("USO6", .uso6),
        ]
        let present = names.filter { contains($0.1) }.map(\.0)
        return present.isEmpty ? "none" : present.joined(separator: " ")
    }
}

/// Kernel offloads a packet I/O backend can use: what the operator allows, what a host supports, and what a
/// backend has in effect (the three intersected).
///
/// - ``udpGSO``: one send carries a run of equal-size datagrams to one peer (`UDP_SEGMENT`); an entry to send
///   with a ``PacketDescriptor/segmentSize`` is such a run.
/// - ``udpGRO``: one receive returns a train of datagrams from one sender (`UDP_GRO`); a received entry with a
///   ``PacketDescriptor/segmentSize`` is such a train.
/// - ``tunOffload``: the TUN device has `IFF_VNET_HDR` with checksum and segmentation offloads on: every packet
///   read from it starts with a ``VirtioNetHeader`` and may be a super-packet of up to 64 KiB, and every
///   packet written to it must start with one.
/// - ``tunUDPSegments``: with ``tunOffload``, the kernel also took UDP segmentation offload (USO, Linux 6.2 and
///   later), so UDP super-packets may be written to the TUN device. Not an operator switch of its own: it comes
///   with `tun-offload` where the kernel has it.
public struct PacketOffloads: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// UDP generic segmentation offload on send.
    public static let udpGSO = PacketOffloads(rawValue: 1 << 0)
    /// UDP generic receive offload.
    public static let udpGRO = PacketOffloads(rawValue: 1 << 1)
    /// TUN virtio-net header with checksum, TSO and (where the kernel has it) USO offloads.
    public static let tunOffload = PacketOffloads(rawValue: 1 << 2)
    /// The TUN device takes UDP super-packets too (USO); only ever in effect with ``tunOffload``.
    public static let tunUDPSegments = PacketOffloads(rawValue: 1 << 3)

    /// Bytes per pool buffer a backend needs with ``udpGRO`` or ``tunOffload``: a 64 KiB datagram train or TUN
    /// super-packet plus its virtio-net header, the pool's 32-byte margins and room for a receive header.
    public static let superPacketBufferSize = 68 * 1024

    /// Buffers in a pool of ``superPacketBufferSize`` buffers: fewer than for plain packets, as each holds a
    /// whole train (about 34 MiB in all).
    public static let superPacketBufferCount = 512

    /// Every offload.
    public static let all: PacketOffloads = [.udpGSO, .udpGRO, .tunOffload]

    /// The names used by `--offloads` and `fzctl backends`, in a fixed order.
    public static let names: [(name: String, offload: PacketOffloads)] = [
        ("gso", .udpGSO), ("gro", .udpGRO), ("tun-offload", .tunOffload),
    ]

    /// Parses a comma-separated list of ``names``, or `all` / `none`; nil names the first unknown item.
    public static func parse(_ text: String) -> Result<PacketOffloads, OffloadListError> {
        let trimmed = text.trimmingSpaces
        if trimmed == "all" { return .success(.all) }
        if trimmed == "none" || trimmed.isEmpty { return .success([]) }
        var result: PacketOffloads = []
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(item).trimmingSpaces
            guard let match = names.first(where: { $0.name == name }) else {
                return .failure(OffloadListError(item: name))
            }
            result.insert(match.offload)
        }
        return .success(result)
    }

    /// `gso,gro,tun-offload`, or `none`.
    public var description: String {
        let present = Self.names.filter { contains($0.offload) }.map(\.name)
        return present.isEmpty ? "none" : present.joined(separator: ",")
    }
}

/// An `--offloads` item that names no offload.
public struct OffloadListError: Error, Sendable, CustomStringConvertible {
    /// The item as given.
    public let item: String

    public var description: String {
        "'\(item)' is not an offload; use a comma-separated list of gso, gro, tun-offload, or all or none"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var view = Substring(self)
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return String(view)
    }
}

/// The traffic a Resource, or a union of overlapping Resources, allows: TCP and UDP port ranges and an
/// ICMP switch, or everything.
///
/// Ranges are kept sorted and merged so a per-packet check is a short scan that never allocates, and two
/// spellings of the same allowance compare equal.
public struct FilterSet: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline var everything: Bool
    @usableFromInline var tcp: [ClosedRange<UInt16>]
    @usableFromInline var udp: [ClosedRange<UInt16>]
    @usableFromInline var icmp: Bool

    /// Everything allowed: what a Resource without filters means.
    public static let allowAll = FilterSet(everything: true, tcp: [], udp: [], icmp: false)

    init(everything: Bool, tcp: [ClosedRange<UInt16>], udp: [ClosedRange<UInt16>], icmp: Bool) {
        self.everything = everything
        self.tcp = tcp
        self.udp = udp
        self.icmp = icmp
    }

    /// The union of `filters`; an empty list allows everything, as on the wire.
    public init(_ filters: [Filter]) {
        guard !filters.isEmpty else {
            self = .allowAll
            return
        }
        var tcp: [ClosedRange<UInt16>] = []
        var udp: [ClosedRange<UInt16>] = []
        var icmp = false
        for filter in filters {
            switch filter {
            case .tcp(let range): tcp.append(range)
            case .udp(let range): udp.append(range)
            case .icmp: icmp = true
            }
        }
        self.init(everything: false, tcp: Self.merged(tcp), udp: Self.merged(udp), icmp: icmp)
    }

    /// Whether no packet is ever denied.
    public var allowsEverything: Bool { everything }

    /// The normalized filter list: merged TCP ranges, merged UDP ranges, then ICMP; empty for `allowAll`,
    /// matching the wire, where an empty list means everything.
    public var filters: [Filter] {
        guard !everything else { return [] }
        return tcp.map(Filter.tcp) + udp.map(Filter.udp) + (icmp ? [.icmp] : [])
    }

    /// Traffic allowed by either set; `allowAll` absorbs anything.
    public func union(_ other: FilterSet) -> FilterSet {
        if everything || other.everything { return .allowAll }
        return FilterSet(
            everything: false, tcp: Self.merged(tcp + other.tcp), udp: Self.merged(udp + other.udp),
            icmp: icmp || other.icmp
        )
    }

    /// Whether an outbound packet (Client to Resource) may pass, judged by its destination port.
    @inlinable
    public func allows(_ flow: PacketFlow) -> Bool {
        allows(flow, port: flow.destinationPort)
    }

    /// Whether a reply (Resource to Client) may pass, judged by its source port, which is the Resource's.
    @inlinable
    public func allowsReply(_ flow: PacketFlow) -> Bool {
        allows(flow, port: flow.sourcePort)
    }

    /// The shared rule: allowAll passes anything; TCP/UDP need `port` in a range, or for a non-first
    /// fragment, which carries no ports, any range of the protocol (its first fragment was checked on
    /// ports); ICMP needs the switch; a TCP/UDP packet too short for ports and any other protocol fail.
    @inlinable
    func allows(_ flow: PacketFlow, port: UInt16?) -> Bool {
        if everything { return true }
        switch flow.protocolNumber {
        case PacketFlow.tcp: return Self.allows(tcp, port: port, nonFirstFragment: flow.isNonFirstFragment)
        case PacketFlow.udp: return Self.allows(udp, port: port, nonFirstFragment: flow.isNonFirstFragment)
        default: return icmp && flow.isICMP
        }
    }

    @inlinable
    static func allows(_ ranges: [ClosedRange<UInt16>], port: UInt16?, nonFirstFragment: Bool) -> Bool {
        if nonFirstFragment { return !ranges.isEmpty }
        guard let port else { return false }
        // Sorted and disjoint: stop at the first range starting past the port.
        for range in ranges {
            if range.lowerBound > port { return false }
            if port <= range.upperBound { return true }
        }
        return false
    }

    /// Sorts by start and joins overlapping or touching ranges.
    static func merged(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    public var description: String {
        everything ? "all" : filters.map(\.description).joined(separator: ",")
    }
}

import DataPlane
import FuzzSupport

/// The opcodes of a program, chosen by `byte % allCases.count`.
enum PacketOperation: CaseIterable {
    case clientSends, clientSeals, resourceSends, gatewaySeals, grant, revoke, advanceTime, pump
}

/// A Client and Gateway pair driven by the input: packets aimed at the Resources (or raw bytes) enter
/// every packet path of both nodes, flows are granted and revoked, and time moves.
///
/// The header byte picks the feature flag and how many flows exist before the program starts. The paths:
/// the Client's TUN side (filters, buffering while a flow is pending, local "prohibited" answers), the
/// Gateway's tunnel side through a Client that seals with its own device (so the Gateway's source,
/// destination and filter checks see any packet), the Gateway's TUN side (reply filters), and the Client's
/// tunnel side through a Gateway that seals directly (spoofed sources, "prohibited" errors that trigger
/// reauthorization). Properties: nothing traps, every queue drains within `ZeroTrustPair.drainCap`, a
/// pending Resource holds at most 128 packets, and packets delivered to either TUN side pass `checkParsers`.
struct ZeroTrustProgram<B: CryptoBackend> {
    let pair: ZeroTrustPair<B>
    let resources = ZeroTrustPair<B>.resources
    var steps = 0

    init(header input: inout FuzzInput) {
        let header = input.byte()
        pair = ZeroTrustPair<B>(reauthorize: header & 1 == 1)
        let flows = Int(header >> 1) % (resources.count + 1)
        for resource in resources.prefix(flows) { pair.grant(resource) }
        if flows > 0 { pair.pump() }
    }

    mutating func run(_ input: inout FuzzInput) {
        while !input.isAtEnd, steps < 64 {
            steps += 1
            let operation = PacketOperation.allCases[input.choice(PacketOperation.allCases.count)]
            switch operation {
            case .clientSends:
                let packet = packet(&input)
                checkParsers(packet)
                pair.clientSends(packet)
            case .clientSeals:
                let packet = packet(&input)
                checkParsers(packet)
                pair.clientSeals(packet)
            case .resourceSends:
                let packet = packet(&input)
                checkParsers(packet)
                pair.resourceSends(packet)
            case .gatewaySeals:
                let packet = packet(&input)
                checkParsers(packet)
                pair.gatewaySeals(packet)
            case .grant:
                let resource = resources[input.choice(resources.count)]
                pair.grant(resource, expiresIn: input.flag() ? Int64(input.byte() % 8) : nil)
            case .revoke:
                let resource = resources[input.choice(resources.count)]
                pair.gateway.handle(.rejectAccess(client: ZeroTrustPair<B>.clientID, resource: resource.id),
                                    now: pair.now)
            case .advanceTime:
                pair.advance(nanoseconds: UInt64(input.uint16()) * 50_000_000)
            case .pump:
                break
            }
            for resource in resources {
                fuzzCheck(pair.client.pendingCount(for: resource.id) <= 128, "pending buffer of \(resource.id)")
            }
            for packet in pair.pump() { checkParsers(packet) }
            _ = pair.events(pair.client)
            _ = pair.events(pair.gateway)
        }
    }

    /// A packet from the input: raw bytes, or a well-formed one between the interesting addresses
    /// (Resources, tunnel addresses, outsiders) with a fuzzed protocol, ports and optionally one header
    /// byte changed.
    func packet(_ input: inout FuzzInput) -> [UInt8] {
        let kind = input.choice(4)
        if kind == 0 { return input.shortBytes() }
        let addresses = ZeroTrustPair<B>.interestingAddresses
        var source = addresses[input.choice(addresses.count)]
        var destination = addresses[input.choice(addresses.count)]
        let protocolNumber = PacketBuilder.protocols[input.choice(PacketBuilder.protocols.count)]
        let payloadCount = Int(input.byte()) * 6
        if case .v4 = source, case .v6 = destination { swap(&source, &destination) }
        var packet: [UInt8]
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            packet = PacketBuilder.ipv4(source: s, destination: d,
                                        protocolNumber: protocolNumber == 58 ? 1 : protocolNumber,
                                        payloadCount: payloadCount)
        case (.v6(let s), .v6(let d)):
            packet = PacketBuilder.ipv6(source: s, destination: d,
                                        protocolNumber: protocolNumber == 1 ? 58 : protocolNumber,
                                        payloadCount: payloadCount)
        case (.v6(let s), .v4):
            packet = PacketBuilder.ipv6(source: s, destination: IPv6Address(high: 0x2001_0db8_0000_0000, low: 1),
                                        protocolNumber: protocolNumber, payloadCount: payloadCount)
        case (.v4, .v6):
            preconditionFailure("swapped above")
        }
        let headerCount = packet[0] >> 4 == 4 ? 20 : 40
        // Destination port, ICMP type/code: what the filters read.
        let transport = headerCount
        if packet.count >= transport + 4 {
            let port = input.uint16()
            packet[transport + 2] = UInt8(port >> 8)
            packet[transport + 3] = UInt8(port & 0xFF)
            if input.flag() { packet[transport] = input.byte() }
        }
        if kind == 3 { packet[Int(input.byte()) % (headerCount + 8) % packet.count] = input.byte() }
        return packet
    }
}

import DataPlane

/// A Client and a Gateway node over an in-process network, for targets that push hostile input through
/// the zero-trust packet paths or the portal's commands.
///
/// Keys, addresses and randomness are fixed, so every run is a pure function of its input. The pair
/// starts with the Gateway initialized; `grant(_:)` does what the portal does for a flow. Every drain is
/// capped and checked: a queue that keeps yielding past its cap is a queue that is not bounded.
public final class ZeroTrustPair<B: CryptoBackend> {
    public let gateway: GatewayNode<B, AuthorizationTable>
    public let client: ClientNode<B, AuthorizationTable>
    public let gatewayEndpoint = Endpoint(address: .v4(IPv4Address(198, 51, 100, 1)), port: 51820)
    public let clientEndpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 20)), port: 40000)
    public static var gatewayAddresses: TunnelAddresses {
        TunnelAddresses(ipv4: IPv4Address(100, 64, 0, 1), ipv6: IPv6Address(high: 0xfd00_2021_1111_0000, low: 1))
    }
    public static var clientAddresses: TunnelAddresses {
        TunnelAddresses(ipv4: IPv4Address(100, 64, 0, 2), ipv6: IPv6Address(high: 0xfd00_2021_1111_0000, low: 2))
    }
    public static var gatewayID: GatewayID { GatewayID("gw-1") }
    public static var clientID: ClientID { ClientID("alice") }

    /// Resources the scenarios use: a TCP-only subnet, an open IPv6 host, a UDP range and an ICMP-only host.
    public static var resources: [ResourceDescription] {
        [
            ResourceDescription(id: ResourceID("web"), name: "web",
                                address: IPNetwork(.v4(IPv4Address(10, 0, 0, 0)), prefixLength: 24)!,
                                filters: FilterSet([.tcp(80...443)])),
            ResourceDescription(id: ResourceID("db6"), name: "db6",
                                address: IPNetwork(.v6(IPv6Address(high: 0xfd00_0010_0000_0000, low: 5)),
                                                   prefixLength: 128)!,
                                filters: FilterSet([])),
            ResourceDescription(id: ResourceID("dns"), name: "dns",
                                address: IPNetwork(.v4(IPv4Address(10, 0, 1, 53)), prefixLength: 32)!,
                                filters: FilterSet([.udp(53...53), .icmp])),
            ResourceDescription(id: ResourceID("ping6"), name: "ping6",
                                address: IPNetwork(.v6(IPv6Address(high: 0xfd00_0020_0000_0000, low: 0)),
                                                   prefixLength: 64)!,
                                filters: FilterSet([.icmp])),
        ]
    }

    /// Addresses in and around the Resources and tunnels, for packets the fuzzer aims at them.
    public static var interestingAddresses: [IPAddress] {
        [
            .v4(IPv4Address(100, 64, 0, 2)), .v4(IPv4Address(100, 64, 0, 1)), .v4(IPv4Address(10, 0, 0, 7)),
            .v4(IPv4Address(10, 0, 1, 53)), .v4(IPv4Address(192, 168, 1, 1)),
            .v6(IPv6Address(high: 0xfd00_2021_1111_0000, low: 2)),
            .v6(IPv6Address(high: 0xfd00_2021_1111_0000, low: 1)),
            .v6(IPv6Address(high: 0xfd00_0010_0000_0000, low: 5)),
            .v6(IPv6Address(high: 0xfd00_0020_0000_0000, low: 9)),
            .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)),
        ]
    }

    public var nanoseconds: UInt64 = 1_000_000_000
    public static var wallClockBase: Int64 { 1_700_000_000 }
    var flowCounter = 0
    /// The largest number of items a drain takes before declaring the queue unbounded.
    public static var drainCap: Int { 4096 }

    public init(reauthorize: Bool) {
        gateway = GatewayNode(device: WireGuardDevice<B>(privateKey: Self.key(10), random: SeededRandom(seed: 1)))
        client = ClientNode(device: WireGuardDevice<B>(privateKey: Self.key(20), random: SeededRandom(seed: 2)),
                            reauthorizeOnProhibited: reauthorize)
        gateway.handle(.initialize(addresses: Self.gatewayAddresses, authorizations: []), now: now)
        client.handle(.initialize(addresses: Self.clientAddresses, resources: Self.resources), now: now)
    }

    public static func key(_ seed: UInt8) -> PrivateKey {
        PrivateKey(raw: Key32((0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) })!).clamped
    }

    public var now: WireGuardTime {
        WireGuardTime(monotonic: MonotonicInstant(nanoseconds: nanoseconds),
                      wallClock: WallClockTime(unixSeconds: Self.wallClockBase + Int64(nanoseconds / 1_000_000_000),
                                               nanoseconds: UInt32(nanoseconds % 1_000_000_000)))
    }

    /// What the portal does for a `create_flow`: authorize on the Gateway, then tell the Client.
    public func grant(_ resource: ResourceDescription, expiresIn seconds: Int64? = nil) {
        flowCounter += 1
        let psk = PresharedKey(raw: Key32(bytes: SIMD32(repeating: UInt8(truncatingIfNeeded: flowCounter))))
        let expiry = seconds.map { UnixTime(seconds: Self.wallClockBase + Int64(nanoseconds / 1_000_000_000) + $0) }
        gateway.handle(.authorizeFlow(FlowAuthorization(
            reference: "ref-\(flowCounter)", client: Self.clientID, clientPublicKey: client.device.publicKey!,
            clientAddresses: Self.clientAddresses, presharedKey: psk, resource: resource, expiresAt: expiry)), now: now)
        client.handle(.flowCreated(FlowCreated(
            resource: resource.id, gateway: Self.gatewayID, gatewayPublicKey: gateway.device.publicKey!,
            gatewayAddresses: Self.gatewayAddresses, gatewayEndpoint: gatewayEndpoint, presharedKey: psk)), now: now)
    }

    /// Encrypts `packet` with `encrypt` (a node's or a device's encapsulate) and delivers the datagram.
    @discardableResult
    public func send(
        _ packet: [UInt8], to receiver: some TunnelNode, from endpoint: Endpoint,
        encrypt: (UnsafeMutableRawBufferPointer, Range<Int>) -> WireGuardOutboundResult
    ) -> WireGuardOutboundResult {
        let headroom = 16
        var buffer = [UInt8](repeating: 0, count: headroom + packet.count + 64)
        buffer.replaceSubrange(headroom..<(headroom + packet.count), with: packet)
        let result = buffer.withUnsafeMutableBytes { encrypt($0, headroom..<(headroom + packet.count)) }
        if case .send(let range, _, _) = result {
            fuzzCheck(range.lowerBound >= 0 && range.upperBound <= buffer.count, "datagram outside the buffer")
            var datagram = Array(buffer[range])
            _ = datagram.withUnsafeMutableBytes { receiver.handleDatagram($0, from: endpoint, now: now) }
        }
        return result
    }

    /// The Client's application sends `packet` through the Client's filters.
    @discardableResult
    public func clientSends(_ packet: [UInt8]) -> WireGuardOutboundResult {
        send(packet, to: gateway, from: clientEndpoint) { client.encapsulate(buffer: $0, packet: $1, now: now) }
    }

    /// A compromised Client seals `packet` with its device directly, so the Gateway's checks see it as is.
    @discardableResult
    public func clientSeals(_ packet: [UInt8]) -> WireGuardOutboundResult? {
        guard let peer = client.device.peerIDs.first else { return nil }
        return send(packet, to: gateway, from: clientEndpoint) {
            client.device.encapsulate(to: peer, buffer: $0, packet: $1, now: now)
        }
    }

    /// A Resource (or anything on the Gateway's LAN) sends `packet` towards a Client.
    @discardableResult
    public func resourceSends(_ packet: [UInt8]) -> WireGuardOutboundResult {
        send(packet, to: client, from: gatewayEndpoint) { gateway.encapsulate(buffer: $0, packet: $1, now: now) }
    }

    /// A compromised Gateway seals `packet` for the Client directly, past the Gateway's reply filters.
    @discardableResult
    public func gatewaySeals(_ packet: [UInt8]) -> WireGuardOutboundResult? {
        guard let peer = gateway.device.peerIDs.first else { return nil }
        return send(packet, to: client, from: gatewayEndpoint) {
            gateway.device.encapsulate(to: peer, buffer: $0, packet: $1, now: now)
        }
    }

    /// Moves queued datagrams both ways until quiet; returns the local TUN packets the Client made.
    @discardableResult
    public func pump(rounds: Int = 8) -> [[UInt8]] {
        var tun: [[UInt8]] = []
        for _ in 0..<rounds {
            let fromClient = drain(client)
            let fromGateway = drain(gateway)
            tun += drainTun(client)
            if fromClient.isEmpty && fromGateway.isEmpty { break }
            for var datagram in fromClient {
                _ = datagram.withUnsafeMutableBytes { gateway.handleDatagram($0, from: clientEndpoint, now: now) }
            }
            for var datagram in fromGateway {
                _ = datagram.withUnsafeMutableBytes { client.handleDatagram($0, from: gatewayEndpoint, now: now) }
            }
        }
        return tun
    }

    /// Every datagram `node` has queued; traps if the queue outlasts `drainCap`.
    public func drain<Node: TunnelNode>(_ node: Node, bufferSize: Int = 2048) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        while let datagram = buffer.withUnsafeMutableBytes({ node.nextDatagram(into: $0, now: now) }) {
            fuzzCheck(datagram.count <= bufferSize, "datagram of \(datagram.count) bytes in a \(bufferSize) buffer")
            result.append(Array(buffer[..<datagram.count]))
            fuzzCheck(result.count <= Self.drainCap, "datagram queue not bounded")
        }
        fuzzCheck(!node.hasPendingDatagrams, "datagrams still pending after nextDatagram returned nil")
        return result
    }

    /// Every packet `node` made for its TUN device; traps if the queue outlasts `drainCap`.
    public func drainTun<Node: TunnelNode>(_ node: Node) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let count = buffer.withUnsafeMutableBytes({ node.nextTunPacket(into: $0) }) {
            fuzzCheck(count <= buffer.count, "TUN packet longer than the buffer")
            result.append(Array(buffer[..<count]))
            fuzzCheck(result.count <= Self.drainCap, "TUN queue not bounded")
        }
        return result
    }

    /// Every control event `node` has; traps if the queue outlasts `drainCap`.
    public func events<Node: TunnelNode>(_ node: Node) -> [Node.ControlEvent] {
        var result: [Node.ControlEvent] = []
        while let event = node.nextControlEvent() {
            result.append(event)
            fuzzCheck(result.count <= Self.drainCap, "control event queue not bounded")
        }
        return result
    }

    /// Moves the clock on and runs both nodes' timers; after them nothing may still be due now.
    public func advance(nanoseconds step: UInt64) {
        nanoseconds &+= step
        client.updateTimers(now: now)
        gateway.updateTimers(now: now)
        for deadline in [client.nextDeadline, gateway.nextDeadline].compactMap({ $0 }) {
            fuzzCheck(deadline > now.monotonic, "a timer is still due right after updateTimers")
        }
    }
}

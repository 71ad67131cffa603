import Crypto
import DataPlane

typealias TestBackend = SwiftCryptoBackend<PortableKernelSet>

/// IP packets with just enough of a transport header for policy: TCP, UDP or ICMP echo, IPv4 or IPv6.
enum TestPacket {
    static func v4(_ text: String) -> IPAddress { .v4(ipv4(text)) }

    static func v6(_ text: String) -> IPAddress {
        // Only the forms the tests use: "fd00:2021:1111::N" and "fd00:10::N".
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        let head = halves[0].split(separator: ":").map { UInt16($0, radix: 16)! }
        let tail = halves.count > 1 ? halves[1].split(separator: ":").map { UInt16($0, radix: 16)! } : []
        let groups = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return .v6(IPv6Address(groups: groups))
    }

    /// protocol 6 (TCP, 20-byte header), 17 (UDP, 8) or 1/58 (ICMP echo request, 8).
    static func make(from source: IPAddress, to destination: IPAddress, proto: UInt8, sourcePort: UInt16 = 40000,
                     destinationPort: UInt16 = 80, payload: [UInt8] = [0xAB, 0xCD]) -> [UInt8] {
        var transport: [UInt8]
        switch proto {
        case 6:
            transport = [UInt8](repeating: 0, count: 20)
            transport[12] = 0x50
        case 17:
            transport = [UInt8](repeating: 0, count: 8)
            let length = UInt16(8 + payload.count)
            transport[4] = UInt8(length >> 8)
            transport[5] = UInt8(length & 0xFF)
        default:
            transport = [UInt8](repeating: 0, count: 8)
            transport[0] = proto == 58 ? 128 : 8
        }
        if proto == 6 || proto == 17 {
            transport[0] = UInt8(sourcePort >> 8)
            transport[1] = UInt8(sourcePort & 0xFF)
            transport[2] = UInt8(destinationPort >> 8)
            transport[3] = UInt8(destinationPort & 0xFF)
        }
        let body = transport + payload
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            var header = [UInt8](repeating: 0, count: 20)
            header[0] = 0x45
            header[2] = UInt8((20 + body.count) >> 8)
            header[3] = UInt8((20 + body.count) & 0xFF)
            header[8] = 64
            header[9] = proto
            header.withUnsafeMutableBytes {
                s.store(to: $0.baseAddress! + 12)
                d.store(to: $0.baseAddress! + 16)
            }
            return header + body
        case (.v6(let s), .v6(let d)):
            var header = [UInt8](repeating: 0, count: 40)
            header[0] = 0x60
            header[4] = UInt8(body.count >> 8)
            header[5] = UInt8(body.count & 0xFF)
            header[6] = proto == 1 ? 58 : proto
            header[7] = 64
            header.withUnsafeMutableBytes {
                s.store(to: $0.baseAddress! + 8)
                d.store(to: $0.baseAddress! + 24)
            }
            return header + body
        default:
            preconditionFailure("mixed families")
        }
    }
}

/// A Client and a Gateway over a fake network, with the portal's messages given by the test.
final class ZeroTrustPair {
    var clock = FakeClock()
    let gateway: GatewayNode<TestBackend, AuthorizationTable>
    let client: ClientNode<TestBackend, AuthorizationTable>
    let gatewayEndpoint = Endpoint(address: .v4(IPv4Address(198, 51, 100, 1)), port: 51820)
    let clientEndpoint = Endpoint(address: .v4(IPv4Address(192, 0, 2, 20)), port: 40000)
    let gatewayAddresses = TunnelAddresses(ipv4: ipv4("100.64.0.1"),
                                           ipv6: IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 1]))
    let clientAddresses = TunnelAddresses(ipv4: ipv4("100.64.0.2"),
                                          ipv6: IPv6Address(groups: [0xfd00, 0x2021, 0x1111, 0, 0, 0, 0, 2]))
    let gatewayID = GatewayID("gw-1")
    let clientID = ClientID("alice")
    var flowCounter = 0
    /// Packets each side wrote to its TUN device.
    var atGatewayTun: [[UInt8]] = []
    var atClientTun: [[UInt8]] = []

    init(reauthorize: Bool) {
        let gatewayDevice = WireGuardDevice<TestBackend>(privateKey: privateKey(seed: 10),
                                                         random: SeededRandom(seed: 1))
        let clientDevice = WireGuardDevice<TestBackend>(privateKey: privateKey(seed: 20),
                                                        random: SeededRandom(seed: 2))
        gateway = GatewayNode(device: gatewayDevice)
        client = ClientNode(device: clientDevice, reauthorizeOnProhibited: reauthorize)
        gateway.handle(.initialize(addresses: gatewayAddresses, authorizations: []), now: clock.now)
    }

    var now: WireGuardTime { clock.now }

    func resource(_ id: String, _ address: String, filters: [Filter] = []) -> ResourceDescription {
        let pieces = address.split(separator: "/")
        let host = pieces[0].contains(":") ? TestPacket.v6(String(pieces[0])) : TestPacket.v4(String(pieces[0]))
        return ResourceDescription(id: ResourceID(id), name: id,
                                   address: IPNetwork(host, prefixLength: Int(pieces[1])!)!,
                                   filters: FilterSet(filters))
    }

    /// What the portal does for a `create_flow`: authorize on the Gateway, then tell the Client.
    func grantFlow(_ resource: ResourceDescription, expiresAt: UnixTime? = nil) {
        if !client.resourceIDs.contains(resource.id) { client.handle(.upsertResource(resource), now: now) }
        flowCounter += 1
        let psk = PresharedKey(raw: Key32(bytes: SIMD32(repeating: UInt8(flowCounter))))
        gateway.handle(.authorizeFlow(FlowAuthorization(
            reference: "ref-\(flowCounter)", client: clientID, clientPublicKey: client.device.publicKey!,
            clientAddresses: clientAddresses, presharedKey: psk, resource: resource, expiresAt: expiresAt)), now: now)
        client.handle(.flowCreated(FlowCreated(
            resource: resource.id, gateway: gatewayID, gatewayPublicKey: gateway.device.publicKey!,
            gatewayAddresses: gatewayAddresses, gatewayEndpoint: gatewayEndpoint, presharedKey: psk)), now: now)
    }

    func events<Node: TunnelNode>(_ node: Node) -> [Node.ControlEvent] {
        var result: [Node.ControlEvent] = []
        while let event = node.nextControlEvent() { result.append(event) }
        return result
    }

    /// The client application sends `packet`; returns the outbound result.
    @discardableResult
    func clientSends(_ packet: [UInt8]) -> WireGuardOutboundResult {
        send(packet, on: client, to: gateway, from: clientEndpoint, deliverTo: \.atGatewayTun)
    }

    /// A Resource answers `packet` towards the Client through the Gateway's TUN device.
    @discardableResult
    func resourceSends(_ packet: [UInt8]) -> WireGuardOutboundResult {
        send(packet, on: gateway, to: client, from: gatewayEndpoint, deliverTo: \.atClientTun)
    }

    func send<A: TunnelNode, B: TunnelNode>(
        _ packet: [UInt8], on sender: A, to receiver: B, from endpoint: Endpoint,
        deliverTo inbox: ReferenceWritableKeyPath<ZeroTrustPair, [[UInt8]]>
    ) -> WireGuardOutboundResult {
        var buffer = [UInt8](repeating: 0, count: 16 + packet.count + 64)
        buffer.replaceSubrange(16..<(16 + packet.count), with: packet)
        let result = buffer.withUnsafeMutableBytes {
            sender.encapsulate(buffer: $0, packet: 16..<(16 + packet.count), now: now)
        }
        if case .send(let range, _, _) = result {
            var datagram = Array(buffer[range])
            let inbound = datagram.withUnsafeMutableBytes { receiver.handleDatagram($0, from: endpoint, now: now) }
            if case .packet(let range, _) = inbound { self[keyPath: inbox].append(Array(datagram[range])) }
        }
        pump()
        return result
    }

    /// Moves queued datagrams both ways, and local TUN answers, until quiet.
    func pump() {
        for _ in 0..<20 {
            let fromClient = drain(client)
            let fromGateway = drain(gateway)
            atClientTun += drainTun(client)
            if fromClient.isEmpty && fromGateway.isEmpty { return }
            for var datagram in fromClient {
                let result = datagram.withUnsafeMutableBytes {
                    gateway.handleDatagram($0, from: clientEndpoint, now: now)
                }
                if case .packet(let range, _) = result { atGatewayTun.append(Array(datagram[range])) }
            }
            for var datagram in fromGateway {
                let result = datagram.withUnsafeMutableBytes {
                    client.handleDatagram($0, from: gatewayEndpoint, now: now)
                }
                if case .packet(let range, _) = result { atClientTun.append(Array(datagram[range])) }
            }
        }
    }

    func drain<Node: TunnelNode>(_ node: Node) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let datagram = buffer.withUnsafeMutableBytes({ node.nextDatagram(into: $0, now: now) }) {
            result.append(Array(buffer[..<datagram.count]))
        }
        return result
    }

    func drainTun<Node: TunnelNode>(_ node: Node) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while let count = buffer.withUnsafeMutableBytes({ node.nextTunPacket(into: $0) }) {
            result.append(Array(buffer[..<count]))
        }
        return result
    }

    func advance(seconds: Double) {
        clock.advance(seconds: seconds)
        client.updateTimers(now: now)
        gateway.updateTimers(now: now)
        pump()
    }

    func takeGatewayTun() -> [[UInt8]] { defer { atGatewayTun = [] }; return atGatewayTun }
    func takeClientTun() -> [[UInt8]] { defer { atClientTun = [] }; return atClientTun }
}

/// ICMP type and code of an IPv4 or IPv6 packet that carries ICMP, else nil.
func icmpTypeCode(_ packet: [UInt8]) -> (UInt8, UInt8)? {
    if packet[0] >> 4 == 4, packet[9] == 1 {
        let offset = Int(packet[0] & 0x0F) * 4
        return (packet[offset], packet[offset + 1])
    }
    if packet[0] >> 4 == 6, packet[6] == 58 { return (packet[40], packet[41]) }
    return nil
}

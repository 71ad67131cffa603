/// ICMP "administratively prohibited" errors: the Gateway's and Client's answer to a packet the filters
/// deny, and the Client's reading of such an answer.
///
/// An explicit error makes the application fail fast instead of timing out, and tells a Client that a
/// Gateway has forgotten its authorization so it can ask for a new flow (SPEC Gateway 4, Client 6).
public enum ICMPProhibited {
    /// The largest error built: the IPv6 minimum MTU, which every path carries without fragmenting.
    public static let maximumLength = 1280
    /// TTL or hop limit of a built error: enough to reach the Client, as the original sets it.
    static let hopLimit: UInt8 = 20
    static let ipv4HeaderLength = 20
    static let icmpHeaderLength = 8
    /// Transport bytes an IPv4 error quotes after the original header: enough for the ports.
    static let ipv4QuotedPayload = 8

    /// Writes the error answering `packet` at the start of `out` and returns its length, or nil when no
    /// error may be sent: `packet` is unparsable, is itself an ICMP error, is a non-first fragment
    /// (RFC 1122 3.2.2; its quote would hold no ports), or `out` is too small (`maximumLength` always fits).
    ///
    /// The error goes from the original destination back to the original source: IPv4 type 3 code 13
    /// quoting the original header plus 8 bytes, ICMPv6 type 1 code 1 quoting as much as fits in 1280 bytes.
    /// `out` must not overlap `packet`: the headers are written before the quote is copied.
    public static func build(
        replyingTo packet: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) -> Int? {
        guard let flow = try? PacketFlow(parsing: packet), !flow.isICMPError, !flow.isNonFirstFragment,
            let original = packet.baseAddress, let base = out.baseAddress
        else { return nil }
        if flow.version == 4 {
            let quoted = flow.headerLength + min(ipv4QuotedPayload, flow.totalLength - flow.headerLength)
            let length = ipv4HeaderLength + icmpHeaderLength + quoted
            guard out.count >= length else { return nil }
            writeIPv4Header(base, length: length, source: flow.destination, destination: flow.source)
            let icmp = base + ipv4HeaderLength
            writeICMPHeader(icmp, type: 3, code: 13)
            (icmp + icmpHeaderLength).copyMemory(from: original, byteCount: quoted)
            var checksum = InternetChecksum()
            checksum.add(UnsafeRawBufferPointer(start: icmp, count: icmpHeaderLength + quoted))
            icmp.storeBytes(of: checksum.value.bigEndian, toByteOffset: 2, as: UInt16.self)
            return length
        }
        let headerLength = IPPacketHeader.ipv6HeaderLength
        let quoted = min(flow.totalLength, maximumLength - headerLength - icmpHeaderLength)
        let length = headerLength + icmpHeaderLength + quoted
        guard out.count >= length else { return nil }
        let payloadLength = icmpHeaderLength + quoted
        base.storeBytes(of: UInt32(0x6000_0000).bigEndian, as: UInt32.self)
        base.storeBytes(of: UInt16(payloadLength).bigEndian, toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: PacketFlow.icmpV6, toByteOffset: 6, as: UInt8.self)
        base.storeBytes(of: hopLimit, toByteOffset: 7, as: UInt8.self)
        flow.destination.store(to: base + 8)
        flow.source.store(to: base + 24)
        let icmp = base + headerLength
        writeICMPHeader(icmp, type: 1, code: 1)
        (icmp + icmpHeaderLength).copyMemory(from: original, byteCount: quoted)
        var checksum = InternetChecksum()
        checksum.add(flow.destination)
        checksum.add(flow.source)
        checksum.add(UInt32(payloadLength))
        checksum.add(UInt16(PacketFlow.icmpV6))
        checksum.add(UnsafeRawBufferPointer(start: icmp, count: payloadLength))
        icmp.storeBytes(of: checksum.value.bigEndian, toByteOffset: 2, as: UInt16.self)
        return length
    }

    /// If `packet` is an ICMPv4 3/13 or ICMPv6 1/1 error, the destination of the packet it quotes; else nil.
    ///
    /// The quote is read leniently: only an IP header of the same family is needed, and the quoted total
    /// length may exceed what was quoted, since errors carry a truncated copy.
    public static func prohibitedDestination(in packet: UnsafeRawBufferPointer) -> IPAddress? {
        guard let flow = try? PacketFlow(parsing: packet), let base = packet.baseAddress else { return nil }
        let expected: (type: UInt8, code: UInt8) = flow.version == 4 ? (3, 13) : (1, 1)
        guard flow.isICMP, flow.icmpType == expected.type, flow.icmpCode == expected.code else { return nil }
        let quoteStart = flow.headerLength + icmpHeaderLength
        guard flow.totalLength > quoteStart else { return nil }
        let quote = base + quoteStart
        let available = flow.totalLength - quoteStart
        guard quote.load(as: UInt8.self) >> 4 == flow.version else { return nil }
        if flow.version == 4 {
            let quotedHeaderLength = Int(quote.load(as: UInt8.self) & 0x0F) * 4
            guard quotedHeaderLength >= ipv4HeaderLength, available >= quotedHeaderLength else { return nil }
            return .v4(IPv4Address(loadingFrom: quote + 16))
        }
        guard available >= IPPacketHeader.ipv6HeaderLength else { return nil }
        return .v6(IPv6Address(loadingFrom: quote + 24))
    }

    /// An IPv4 header without options carrying ICMP: identification 0, DF clear, checksum filled in.
    static func writeIPv4Header(
        _ base: UnsafeMutableRawPointer, length: Int, source: IPAddress, destination: IPAddress
    ) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: ipv4HeaderLength)
        base.storeBytes(of: 0x45, as: UInt8.self)
        base.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
        base.storeBytes(of: hopLimit, toByteOffset: 8, as: UInt8.self)
        base.storeBytes(of: PacketFlow.icmpV4, toByteOffset: 9, as: UInt8.self)
        source.store(to: base + 12)
        destination.store(to: base + 16)
        var checksum = InternetChecksum()
        checksum.add(UnsafeRawBufferPointer(start: base, count: ipv4HeaderLength))
        base.storeBytes(of: checksum.value.bigEndian, toByteOffset: 10, as: UInt16.self)
    }

    /// Type, code, a zero checksum to be filled in, and four unused zero bytes.
    static func writeICMPHeader(_ base: UnsafeMutableRawPointer, type: UInt8, code: UInt8) {
        base.storeBytes(of: type, as: UInt8.self)
        base.storeBytes(of: code, toByteOffset: 1, as: UInt8.self)
        base.storeBytes(of: UInt16(0), toByteOffset: 2, as: UInt16.self)
        base.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
    }
}

import DataPlane
import FuzzSupport

/// Parses `bytes` as `PacketFlow`, builds the "prohibited" answer to it and reads answers back.
///
/// Properties: the flow's lengths lie inside the packet; `build` writes only when the flow parses, is not
/// an ICMP error and not a later fragment, and then writes a packet of the same family from the original
/// destination to the original source, within `maximumLength`, with correct IPv4 header and ICMP/ICMPv6
/// checksums (verified with an independent one's-complement sum), that parses as an ICMP error whose
/// `prohibitedDestination` is the original destination; a buffer too small gets nil, never a partial write.
func checkParsers(_ bytes: [UInt8]) {
    let flow = bytes.withUnsafeBytes { try? PacketFlow(parsing: $0) }
    if let flow {
        fuzzCheck(flow.version == 4 || flow.version == 6, "version \(flow.version)")
        fuzzCheck(flow.headerLength <= flow.totalLength && flow.totalLength <= bytes.count,
                  "header \(flow.headerLength), total \(flow.totalLength) of \(bytes.count)")
        fuzzCheck(flow.source.bitWidth == (flow.version == 4 ? 32 : 128), "address family")
    }
    _ = bytes.withUnsafeBytes { ICMPProhibited.prohibitedDestination(in: $0) }

    let limit = ICMPProhibited.maximumLength
    var out = [UInt8](repeating: 0xEE, count: limit + 16)
    let length = bytes.withUnsafeBytes { packet in
        out.withUnsafeMutableBytes { ICMPProhibited.build(replyingTo: packet, into: .init(rebasing: $0[..<limit])) }
    }
    fuzzCheck(out[limit...].allSatisfy { $0 == 0xEE }, "build wrote past the buffer it was given")
    guard let length else {
        if let flow { fuzzCheck(flow.isICMPError || flow.isNonFirstFragment, "no error built for \(flow)") }
        return
    }
    guard let flow else {
        fuzzCheck(false, "an error built for a packet that does not parse")
        return
    }
    fuzzCheck(!flow.isICMPError && !flow.isNonFirstFragment, "an error built for an error or a later fragment")
    fuzzCheck(length > 0 && length <= limit, "error of \(length) bytes")
    let error = Array(out[..<length])
    guard let answer = error.withUnsafeBytes({ try? PacketFlow(parsing: $0) }) else {
        fuzzCheck(false, "the built error does not parse: \(error)")
        return
    }
    fuzzCheck(answer.version == flow.version, "family changed")
    fuzzCheck(answer.totalLength == length, "the error's stated length \(answer.totalLength) is not \(length)")
    fuzzCheck(answer.source == flow.destination && answer.destination == flow.source, "addresses not swapped")
    fuzzCheck(answer.isICMP && answer.isICMPError, "the error is not an ICMP error")
    fuzzCheck(answer.icmpType == (flow.version == 4 ? 3 : 1) && answer.icmpCode == (flow.version == 4 ? 13 : 1),
              "type \(String(describing: answer.icmpType)) code \(String(describing: answer.icmpCode))")
    if flow.version == 4 {
        fuzzCheck(onesComplementSum(error[0..<20]) == 0xFFFF, "IPv4 header checksum")
        fuzzCheck(onesComplementSum(error[20...]) == 0xFFFF, "ICMP checksum")
    } else {
        // The ICMPv6 pseudo-header: both addresses, the upper-layer length and the next header (58).
        let payloadLength = length - 40
        let pseudo = Array(error[8..<40]) + [0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF),
                                             0, 0, 0, 58]
        fuzzCheck(onesComplementSum(pseudo + error[40...]) == 0xFFFF, "ICMPv6 checksum")
    }
    let quoted = error.withUnsafeBytes { ICMPProhibited.prohibitedDestination(in: $0) }
    fuzzCheck(quoted == flow.destination, "the error quotes \(String(describing: quoted)), not \(flow.destination)")

    // Too small a buffer: nil and nothing written.
    var small = [UInt8](repeating: 0xEE, count: length - 1)
    let none = bytes.withUnsafeBytes { packet in
        small.withUnsafeMutableBytes { ICMPProhibited.build(replyingTo: packet, into: $0) }
    }
    fuzzCheck(none == nil, "an error of \(length) bytes built into \(length - 1)")
    fuzzCheck(small.allSatisfy { $0 == 0xEE }, "a refused build still wrote into the buffer")
}

/// RFC 1071's sum, folded; 0xFFFF over a region that includes its correct checksum.
func onesComplementSum(_ bytes: some Collection<UInt8>) -> UInt16 {
    var sum: UInt32 = 0
    var high = true
    for byte in bytes {
        sum += high ? UInt32(byte) << 8 : UInt32(byte)
        high.toggle()
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return UInt16(sum)
}

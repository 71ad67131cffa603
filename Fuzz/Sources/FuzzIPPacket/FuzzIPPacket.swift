import DataPlane
import FuzzSupport
import WireGuardConfig

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(IPPacketSeeds.make)
    return 0
}

/// The first byte picks what the rest is: an IP packet for `IPPacketHeader` (checked against an
/// independent reading of RFC 791 / RFC 8200), address text for `IPAddressText` and friends (checked
/// against glibc's `inet_pton`/`inet_ntop` and by round trips), or a program of allowed-IPs changes and
/// lookups (checked against a linear longest-prefix match).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 4 {
    case 0: checkPacketHeader(rest, misaligned: false)
    case 1: checkPacketHeader(rest, misaligned: true)
    case 2: checkAddressText(Array(rest))
    default:
        var input = FuzzInput(rest)
        checkAllowedIPs(&input)
    }
    return 0
}

// MARK: - IP headers

/// What `IPPacketHeader(parsing:)` should make of `bytes`, derived from the RFCs without sharing its code.
func referenceHeader(_ bytes: [UInt8]) -> Result<(version: UInt8, total: Int), IPHeaderError> {
    guard let first = bytes.first else { return .failure(.truncated) }
    switch first >> 4 {
    case 4:
        guard bytes.count >= 20 else { return .failure(.truncated) }
        let headerLength = Int(first & 0x0F) * 4
        let total = Int(bytes[2]) << 8 | Int(bytes[3])
        guard headerLength >= 20, total >= headerLength, total <= bytes.count else { return .failure(.invalidLength) }
        return .success((4, total))
    case 6:
        guard bytes.count >= 40 else { return .failure(.truncated) }
        let total = 40 + (Int(bytes[4]) << 8 | Int(bytes[5]))
        guard total <= bytes.count else { return .failure(.invalidLength) }
        return .success((6, total))
    default:
        return .failure(.unknownVersion(first >> 4))
    }
}

/// Parses `bytes` from a buffer of exactly their size (at an odd address when `misaligned`, as a packet
/// after a 1-byte header would be) and compares every field with the reference reading.
func checkPacketHeader(_ bytes: UnsafeBufferPointer<UInt8>, misaligned: Bool) {
    let shift = misaligned ? 1 : 0
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + shift, alignment: 16)
    defer { storage.deallocate() }
    if bytes.count > 0 { (storage.baseAddress! + shift).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    let view = UnsafeRawBufferPointer(rebasing: storage[shift...])
    let array = Array(bytes)
    let parsed = Result { () throws(IPHeaderError) -> IPPacketHeader in try IPPacketHeader(parsing: view) }
    switch (parsed, referenceHeader(array)) {
    case (.success(let header), .success(let expected)):
        fuzzCheck(header.version == expected.version && header.totalLength == expected.total,
                  "header \(header) but expected version \(expected.version), length \(expected.total)")
        fuzzCheck(header.totalLength <= bytes.count, "total length past the buffer")
        let (sourceOffset, destinationOffset, width) = header.version == 4 ? (12, 16, 4) : (8, 24, 16)
        fuzzCheck(bytesOf(header.source) == Array(array[sourceOffset..<(sourceOffset + width)]), "source address")
        fuzzCheck(bytesOf(header.destination) == Array(array[destinationOffset..<(destinationOffset + width)]),
                  "destination address")
        // What the tunnel does with a parsed header: route by destination, check the source.
        fuzzCheck(header.source.bitWidth == (header.version == 4 ? 32 : 128), "address family")
        for length in [0, 1, 7, 8, 24, 31, 32, 64, 127, 128] where length <= header.destination.bitWidth {
            guard let network = IPNetwork(header.destination, prefixLength: length) else {
                fuzzCheck(false, "no /\(length) network around \(header.destination)")
                return
            }
            fuzzCheck(network.contains(header.destination), "\(network) does not contain \(header.destination)")
        }
        // The header must parse the same from exactly its stated length (trailing bytes are ignored).
        let trimmed = Result { () throws(IPHeaderError) -> IPPacketHeader in
            try IPPacketHeader(parsing: UnsafeRawBufferPointer(rebasing: view[..<header.totalLength]))
        }
        fuzzCheck((try? trimmed.get()) == header, "the header does not parse from its own total length")
    case (.failure(let error), .failure(let expected)):
        fuzzCheck(error == expected, "error \(error) but expected \(expected)")
    case (.success(let header), .failure(let expected)):
        fuzzCheck(false, "parsed \(header) but expected \(expected)")
    case (.failure(let error), .success(let expected)):
        fuzzCheck(false, "error \(error) but expected version \(expected.version), length \(expected.total)")
    }
}

/// An address in network byte order.
func bytesOf(_ address: IPAddress) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 16)
    let count = bytes.withUnsafeMutableBytes { address.store(to: $0.baseAddress!) }
    return Array(bytes[..<count])
}

// MARK: - Address text

/// `IPAddressText`, `InterfaceAddress` and `ConfigEndpoint` on fuzzed text.
func checkAddressText(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = IPAddressText.parseAddress(text)
    if !bytes.contains(0) {
        // glibc is the reference `wg` itself uses; a NUL would end its string early.
        let family = bytes.contains(UInt8(ascii: ":")) ? AF_INET6 : AF_INET
        var buffer = [UInt8](repeating: 0, count: 16)
        let status = text.withCString { inet_pton(family, $0, &buffer) }
        let expected = status == 1 ? Array(buffer[..<(family == AF_INET ? 4 : 16)]) : nil
        fuzzCheck(parsed.map(bytesOf) == expected,
                  "parseAddress(\(text.debugDescription)) = \(String(describing: parsed)), "
                      + "inet_pton: \(String(describing: expected))")
    }
    if let address = parsed {
        let formatted = IPAddressText.format(address)
        fuzzCheck(IPAddressText.parseAddress(formatted) == address, "\(formatted) does not parse back")
        // glibc writes the deprecated IPv4-compatible addresses (::/96) as `::1.2.3.4`; Go's netip and we
        // write hex groups there, so only the rest of the space is compared.
        if case .v6(let v6) = address, v6.high == 0, v6.low >> 32 == 0 {} else {
            fuzzCheck(formatted == ntop(address), "format \(formatted), inet_ntop \(ntop(address))")
        }
    }
    if let prefix = try? IPAddressText.parsePrefix(text) {
        fuzzCheck(prefix.prefixLength >= 0 && prefix.prefixLength <= prefix.address.bitWidth, "prefix length")
        guard let network = try? IPAddressText.parseNetwork(text) else {
            fuzzCheck(false, "parsePrefix accepts \(text.debugDescription) but parseNetwork does not")
            return
        }
        fuzzCheck(network.contains(prefix.address), "\(network) does not contain \(prefix.address)")
        let formatted = IPAddressText.format(network)
        fuzzCheck((try? IPAddressText.parseNetwork(formatted)) == network, "\(formatted) does not parse back")
        if let interface = try? InterfaceAddress(parsing: text) {
            fuzzCheck(interface.address == prefix.address && interface.prefixLength == prefix.prefixLength,
                      "InterfaceAddress differs from parsePrefix")
            fuzzCheck((try? InterfaceAddress(parsing: interface.description)) == interface,
                      "\(interface) does not parse back")
            fuzzCheck(interface.network == network, "interface network")
        } else {
            fuzzCheck(false, "InterfaceAddress refuses \(text.debugDescription)")
        }
    }
    if let endpoint = try? ConfigEndpoint(parsing: text) {
        fuzzCheck(endpoint.port > 0, "endpoint port 0")
        let again = try? ConfigEndpoint(parsing: endpoint.description)
        fuzzCheck(again == endpoint, "endpoint \(endpoint) does not parse back")
        if let resolved = endpoint.resolved {
            fuzzCheck(IPAddressText.format(resolved) == endpoint.description, "resolved endpoint text")
        }
    }
}

/// glibc's text for `address`.
func ntop(_ address: IPAddress) -> String {
    let bytes = bytesOf(address)
    var text = [CChar](repeating: 0, count: 64)
    let family = bytes.count == 4 ? AF_INET : AF_INET6
    guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return "?" }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

// MARK: - Allowed IPs

/// A route owner; compared by identity as the engine compares peers.
final class Owner {
    let id: Int
    init(id: Int) { self.id = id }
}

/// Inserts, removes and looks up fuzzed networks in `AllowedIPs` and in a plain list, which must agree.
func checkAllowedIPs(_ input: inout FuzzInput) {
    let owners = (0..<4).map(Owner.init)
    var table = AllowedIPs<Owner>()
    var reference: [(network: IPNetwork, owner: Owner)] = []
    var steps = 0
    while !input.isAtEnd, steps < 128 {
        steps += 1
        let operation = input.choice(5)
        let address = fuzzedAddress(&input)
        switch operation {
        case 0, 1:
            let owner = owners[input.choice(owners.count)]
            guard let network = IPNetwork(address, prefixLength: input.choice(address.bitWidth + 1)) else {
                fuzzCheck(false, "IPNetwork refused a valid length")
                return
            }
            table.insert(network, value: owner)
            reference.removeAll { $0.network == network }
            reference.append((network, owner))
        case 2:
            guard let network = IPNetwork(address, prefixLength: input.choice(address.bitWidth + 1)) else { return }
            table.remove(network)
            reference.removeAll { $0.network == network }
        case 3:
            let owner = owners[input.choice(owners.count)]
            table.removeAll(routedTo: owner)
            reference.removeAll { $0.owner === owner }
        default:
            break
        }
        let expected = reference.filter { $0.network.contains(address) }
            .max { $0.network.prefixLength < $1.network.prefixLength }?.owner
        fuzzCheck(table.lookup(address) === expected, "lookup(\(address)) disagrees with the reference")
    }
    for owner in owners {
        let listed = table.networks(routedTo: owner)
        let expected = reference.filter { $0.owner === owner }.map(\.network)
        fuzzCheck(listed.count == expected.count && Set(listed) == Set(expected), "networks(routedTo:) of \(owner.id)")
    }
}

/// An IPv4 or IPv6 address near a few fixed ones, so inserts and lookups overlap.
func fuzzedAddress(_ input: inout FuzzInput) -> IPAddress {
    if input.flag() {
        let bases: [UInt32] = [0x0A00_0000, 0x0A00_0001, 0xC0A8_0101, 0xFFFF_FFFF, 0]
        let base = bases[input.choice(bases.count)]
        return .v4(IPv4Address(value: base ^ UInt32(input.byte()) << (8 * UInt32(input.choice(4)))))
    }
    let highs: [UInt64] = [0xfd00_0000_0000_0000, 0x2001_0db8_0000_0000, 0, UInt64.max]
    let high = highs[input.choice(highs.count)] ^ UInt64(input.byte()) << (8 * UInt64(input.choice(8)))
    let low = UInt64(input.byte()) << (8 * UInt64(input.choice(8)))
    return .v6(IPv6Address(high: high, low: low))
}

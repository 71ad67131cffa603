import DataPlane

/// Text forms of `DataPlane`'s IP types: strict parsing and RFC 5952 formatting.
///
/// `DataPlane` keeps its address types free of text handling; config files, UAPI requests and `wg show`
/// output all need the same strict rules (no octal-looking IPv4 octets, at most one `::`) and the same
/// canonical output (the one `wg` and wireguard-go print), so they live here once.
public enum IPAddressText {
    /// Parses dotted-quad IPv4 (`10.0.0.1`) or IPv6 (`fd00::1`, `::ffff:10.0.0.1`); nil if it is neither.
    public static func parseAddress(_ text: some StringProtocol) -> IPAddress? {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            return parseIPv6(utf8[...]).map(IPAddress.v6)
        }
        return parseIPv4(utf8[...]).map(IPAddress.v4)
    }

    /// Parses `address/length`, or a bare address meaning a single host (/32 or /128).
    ///
    /// Host bits are kept: callers decide whether `10.0.0.1/24` means an interface address (keep them)
    /// or a route (mask them, as `IPNetwork` does).
    public static func parsePrefix(
        _ text: some StringProtocol
    ) throws(AddressParseError) -> (address: IPAddress, prefixLength: Int) {
        let value = String(text)
        guard !value.isEmpty else { throw .empty }
        let parts = value.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = parts[0]
        if addressText.contains("%") { throw .scopedAddress(String(addressText)) }
        guard let address = parseAddress(addressText) else { throw .invalidAddress(String(addressText)) }
        guard parts.count == 2 else { return (address, address.bitWidth) }
        let lengthText = parts[1]
        guard let length = parseDecimal(lengthText, maximum: 255) else {
            throw .invalidPrefixLength(String(lengthText))
        }
        guard length <= address.bitWidth else { throw .prefixTooLong(length, maximum: address.bitWidth) }
        return (address, length)
    }

    /// Parses a route such as `10.0.0.0/8`; host bits are cleared, as the kernel and `wg` do.
    public static func parseNetwork(_ text: some StringProtocol) throws(AddressParseError) -> IPNetwork {
        let (address, length) = try parsePrefix(text)
        // parsePrefix already checked the length against the family, so this cannot fail.
        return IPNetwork(address, prefixLength: length)!
    }

    /// The canonical text of `address`: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`).
    public static func format(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v4): return v4.description
        case .v6(let v6): return format(v6)
        }
    }

    /// `address/length` with the address in canonical form, e.g. `fd00::/8`.
    public static func format(_ network: IPNetwork) -> String {
        "\(format(network.address))/\(network.prefixLength)"
    }

    /// `1.2.3.4:51820` or `[fd00::1]:51820`, the endpoint form `wg` prints and accepts.
    public static func format(_ endpoint: Endpoint) -> String {
        switch endpoint.address {
        case .v4: return "\(format(endpoint.address)):\(endpoint.port)"
        case .v6: return "[\(format(endpoint.address))]:\(endpoint.port)"
        }
    }

    /// RFC 5952 text; IPv4-mapped addresses print as `::ffff:1.2.3.4` like Go's `netip` and `inet_ntop`.
    public static func format(_ address: IPv6Address) -> String {
        if address.high == 0, address.low >> 32 == 0xFFFF {
            return "::ffff:" + IPv4Address(value: UInt32(truncatingIfNeeded: address.low)).description
        }
        var groups: [UInt16] = []
        for index in 0..<4 { groups.append(UInt16(truncatingIfNeeded: address.high >> UInt64(48 - 16 * index))) }
        for index in 0..<4 { groups.append(UInt16(truncatingIfNeeded: address.low >> UInt64(48 - 16 * index))) }
        // The longest run of two or more zero groups, the first one on a tie, becomes "::".
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// A decimal number without sign or spaces, at most `maximum`; nil otherwise.
    static func parseDecimal(_ text: some StringProtocol, maximum: UInt64) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2, sum <= maximum else { return nil }
            value = sum
        }
        return Int(value)
    }

    /// Four decimal octets 0-255 without leading zeros (which `inet_pton` refuses as ambiguous octal).
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> IPv4Address? {
        let octets = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3 else { return nil }
            if octet.count > 1, octet.first == UInt8(ascii: "0") { return nil }
            var number: UInt32 = 0
            for byte in octet {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                number = number * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            guard number <= 255 else { return nil }
            value = value << 8 | number
        }
        return IPv4Address(value: value)
    }

    /// RFC 4291 text: eight groups of 1-4 hex digits, at most one `::`, optionally ending in a dotted quad.
    static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPv6Address? {
        let colon = UInt8(ascii: ":")
        // Find a single "::", if any.
        var doubleColon: Int?
        var index = bytes.startIndex
        while index < bytes.endIndex - 1 {
            if bytes[index] == colon, bytes[index + 1] == colon {
                guard doubleColon == nil else { return nil }
                doubleColon = index
                index += 2
                continue
            }
            index += 1
        }
        func groups(_ part: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: colon, omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (position, field) in fields.enumerated() {
                if allowIPv4Tail, position == fields.count - 1, field.contains(UInt8(ascii: ".")) {
                    guard let v4 = parseIPv4(field) else { return nil }
                    result.append(UInt16(v4.value >> 16))
                    result.append(UInt16(v4.value & 0xFFFF))
                    continue
                }
                guard !field.isEmpty, field.count <= 4 else { return nil }
                var word: UInt16 = 0
                for byte in field {
                    guard let digit = hexDigit(byte) else { return nil }
                    word = word << 4 | UInt16(digit)
                }
                result.append(word)
            }
            return result
        }
        let words: [UInt16]
        if let split = doubleColon {
            guard let head = groups(bytes[bytes.startIndex..<split], allowIPv4Tail: false),
                  let tail = groups(bytes[(split + 2)...], allowIPv4Tail: true),
                  head.count + tail.count <= 7
            else { return nil }
            words = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(bytes, allowIPv4Tail: true), all.count == 8 else { return nil }
            words = all
        }
        return IPv6Address(groups: words)
    }

    /// The value of one hexadecimal digit (either case), or nil.
    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

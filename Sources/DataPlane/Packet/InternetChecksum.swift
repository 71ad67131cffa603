/// The RFC 1071 ones'-complement sum used by IPv4 headers, ICMP and ICMPv6.
///
/// Built up from pieces (a pseudo-header, then a message) so no bytes have to be copied together first.
struct InternetChecksum {
    private var sum: UInt64 = 0

    init() {}

    /// Adds one 16-bit word.
    mutating func add(_ word: UInt16) { sum += UInt64(word) }

    /// Adds a 32-bit value as two words.
    mutating func add(_ value: UInt32) {
        sum += UInt64(value >> 16) + UInt64(value & 0xFFFF)
    }

    /// Adds an address's network-order bytes as words.
    mutating func add(_ address: IPAddress) {
        switch address {
        case .v4(let address):
            add(address.value)
        case .v6(let address):
            add(UInt32(truncatingIfNeeded: address.high >> 32))
            add(UInt32(truncatingIfNeeded: address.high))
            add(UInt32(truncatingIfNeeded: address.low >> 32))
            add(UInt32(truncatingIfNeeded: address.low))
        }
    }

    /// Adds `bytes` as big-endian words; an odd last byte is padded with zero. Only the last piece may be odd.
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt64(bytes[index]) << 8 }
    }

    /// The ones'-complement of the folded sum, ready to store big-endian in a checksum field.
    var value: UInt16 {
        var folded = sum
        while folded >> 16 != 0 { folded = (folded & 0xFFFF) + (folded >> 16) }
        return ~UInt16(folded)
    }
}

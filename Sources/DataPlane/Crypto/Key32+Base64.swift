/// Why a base64 key string was refused.
public enum KeyParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(Int)
    case invalidCharacter(Character)
    case nonCanonical

    public var description: String {
        switch self {
        case .wrongLength(let length):
            return "a key is 44 base64 characters ending in '=' (as `wg genkey` prints it); got \(length) characters"
        case .invalidCharacter(let character):
            return "a key is base64; '\(character)' is not a base64 character"
        case .nonCanonical:
            return "the key's last base64 character has bits set beyond 32 bytes; it is not a WireGuard key"
        }
    }
}

extension Key32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding: 44 characters, the format of `wg genkey` and WireGuard configs.
    public var base64: String {
        var out: [UInt8] = []
        out.reserveCapacity(44)
        let b = array + [0]
        for group in 0..<11 {
            let v = UInt32(b[group * 3]) << 16 | UInt32(b[group * 3 + 1]) << 8 | UInt32(b[group * 3 + 2])
            out.append(Self.alphabet[Int(v >> 18 & 63)])
            out.append(Self.alphabet[Int(v >> 12 & 63)])
            out.append(Self.alphabet[Int(v >> 6 & 63)])
            out.append(group == 10 ? UInt8(ascii: "=") : Self.alphabet[Int(v & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a 44-character base64 key, refusing anything `wg` would refuse.
    public init(base64 text: some StringProtocol) throws(KeyParseError) {
        let chars = Array(text.utf8)
        guard chars.count == 44, chars[43] == UInt8(ascii: "=") else {
            throw .wrongLength(text.count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(33)
        for group in 0..<11 {
            var v: UInt32 = 0
            for i in 0..<4 {
                let c = chars[group * 4 + i]
                let digit: UInt32
                if group == 10 && i == 3 {
                    digit = 0
                } else if let d = Self.decodeDigit(c) {
                    digit = d
                } else {
                    throw .invalidCharacter(Character(Unicode.Scalar(c)))
                }
                v = v << 6 | digit
            }
            bytes.append(UInt8(v >> 16 & 0xFF))
            bytes.append(UInt8(v >> 8 & 0xFF))
            bytes.append(UInt8(v & 0xFF))
        }
        guard bytes[32] == 0 else { throw .nonCanonical }
        self.init(bytes.prefix(32))!
    }

    static func decodeDigit(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}

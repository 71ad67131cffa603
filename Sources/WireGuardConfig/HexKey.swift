import DataPlane

/// Lowercase hexadecimal keys, the UAPI's key format (config files use base64 instead).
enum HexKey {
    static let digits = Array("0123456789abcdef".utf8)

    /// 64 lowercase hex digits.
    static func encode(_ key: Key32) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for index in 0..<32 {
            let byte = key.bytes[index]
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes exactly 64 hex digits (either case); the error text says what is wrong.
    static func decode(_ text: some StringProtocol) -> Result<Key32, HexKeyError> {
        let utf8 = Array(text.utf8)
        guard utf8.count == 64 else {
            return .failure(HexKeyError(reason: "a key is 64 hex digits; got \(utf8.count)"))
        }
        var bytes = SIMD32<UInt8>()
        for index in 0..<32 {
            guard let high = IPAddressText.hexDigit(utf8[2 * index]),
                  let low = IPAddressText.hexDigit(utf8[2 * index + 1])
            else {
                return .failure(HexKeyError(reason: "a key is 64 hex digits; found a character that is not 0-9 or a-f"))
            }
            bytes[index] = high << 4 | low
        }
        return .success(Key32(bytes: bytes))
    }
}

/// Why a hex key was refused (internal; surfaced as `UAPIError.invalidValue`).
struct HexKeyError: Error {
    var reason: String
}

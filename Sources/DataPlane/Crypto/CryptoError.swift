/// Why a cryptographic operation refused to produce a result.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The tag did not match: the data, the additional data or the tag was altered, or the key is wrong.
    case authenticationFailed
    /// X25519 produced the all-zero shared secret: the peer's public key is a low-order point.
    case lowOrderPoint
    /// A buffer had a length the operation cannot take.
    case invalidLength(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .authenticationFailed:
            return "authentication failed: the message was altered or the key is wrong"
        case .lowOrderPoint:
            return "X25519 produced an all-zero secret: the public key is a low-order point"
        case .invalidLength(let expected, let actual):
            return "invalid length: expected \(expected) bytes, got \(actual)"
        }
    }
}

/// The four WireGuard message types, as the first little-endian 32-bit word of every message.
///
/// The type byte is followed by three reserved bytes that must be zero; reading the whole word and
/// comparing it with the type rejects non-zero reserved bytes in the same step, as the kernel does.
public enum WireGuardMessageType: UInt32, Sendable {
    case handshakeInitiation = 1
    case handshakeResponse = 2
    case cookieReply = 3
    case transportData = 4

    /// The type of the message in `bytes`, or nil if the first word is not a known type.
    @inlinable
    public init?(of bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4, let base = bytes.baseAddress else { return nil }
        self.init(rawValue: UInt32(littleEndian: base.loadUnaligned(as: UInt32.self)))
    }

    /// Writes the type word (type byte, three zero bytes) to `pointer`.
    @inlinable
    func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: rawValue.littleEndian, as: UInt32.self)
    }
}

/// Byte offsets and sizes of a handshake initiation (type 1), WireGuard paper section 5.4.2.
public enum HandshakeInitiationLayout {
    public static let size = 148
    public static let senderIndex = 4
    public static let ephemeral = 8
    public static let encryptedStatic = 40
    public static let encryptedStaticSize = 32 + 16
    public static let encryptedTimestamp = 88
    public static let encryptedTimestampSize = 12 + 16
    public static let mac1 = 116
    public static let mac2 = 132
}

/// Byte offsets and sizes of a handshake response (type 2), WireGuard paper section 5.4.3.
public enum HandshakeResponseLayout {
    public static let size = 92
    public static let senderIndex = 4
    public static let receiverIndex = 8
    public static let ephemeral = 12
    public static let encryptedNothing = 44
    public static let encryptedNothingSize = 16
    public static let mac1 = 60
    public static let mac2 = 76
}

/// Byte offsets and sizes of a cookie reply (type 3), WireGuard paper section 5.4.7.
public enum CookieReplyLayout {
    public static let size = 64
    public static let receiverIndex = 4
    public static let nonce = 8
    public static let nonceSize = 24
    public static let encryptedCookie = 32
    public static let encryptedCookieSize = 16 + 16
}

/// Byte offsets of transport data (type 4), WireGuard paper section 5.4.6.
public enum TransportDataLayout {
    /// Type word, receiver index and counter.
    public static let headerSize = 16
    public static let receiverIndex = 4
    public static let counter = 8
    /// The Poly1305 tag after the ciphertext.
    public static let tagSize = 16
    /// A keepalive: header and tag around an empty plaintext.
    public static let minimumSize = headerSize + tagSize
    /// Plaintexts are zero-padded to a multiple of this.
    public static let paddingMultiple = 16
    /// Bytes a caller must leave before an outgoing packet (the header).
    public static let requiredHeadroom = headerSize
    /// Bytes a caller must leave after an outgoing packet (up to 15 of padding plus the tag).
    public static let requiredTailroom = 32
}

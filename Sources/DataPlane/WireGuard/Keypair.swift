/// One direction pair of transport keys from a completed handshake, with its counters.
///
/// A reference type because the peer's current/previous/next slots and the receiver-index table both
/// point at the same keypair and its send counter and replay window must be shared. It is allocated
/// once per handshake, never per packet.
final class Keypair<Cipher: AEADCipher> {
    let sendCipher: Cipher
    let receiveCipher: Cipher
    /// Our index: peers put it in the messages they send us.
    let localIndex: UInt32
    /// The peer's index: we put it in the messages we send.
    let remoteIndex: UInt32
    /// Whether we initiated the handshake; only the initiator rekeys on age.
    let isInitiator: Bool
    let createdAt: MonotonicInstant
    // Unchecked exclusivity: both change on every packet, on the device's one thread, and no access is held
    // across a call that could reach the keypair again.
    /// The next counter to send.
    @exclusivity(unchecked) var sendCounter: UInt64 = 0
    @exclusivity(unchecked) var replayWindow = ReplayWindow()

    init(sendKey: Key32, receiveKey: Key32, localIndex: UInt32, remoteIndex: UInt32, isInitiator: Bool,
         createdAt: MonotonicInstant) {
        sendCipher = Cipher(key: SymmetricKey(raw: sendKey))
        receiveCipher = Cipher(key: SymmetricKey(raw: receiveKey))
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.isInitiator = isInitiator
        self.createdAt = createdAt
    }
}

/// What the initiator remembers between sending an initiation and receiving the response.
struct InitiatorHandshake {
    let localIndex: UInt32
    let chainingKey: Key32
    let hash: Key32
    let ephemeral: PrivateKey
}

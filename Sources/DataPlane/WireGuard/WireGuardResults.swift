/// What became of a datagram from the network.
public enum WireGuardInboundResult: Equatable, Sendable {
    /// An authenticated IP packet for the TUN device, decrypted in place at `range` of the caller's buffer.
    case packet(range: Range<Int>, peer: PeerID)
    /// An authenticated keepalive: nothing to deliver.
    case keepalive(peer: PeerID)
    /// A handshake or cookie message was accepted; replies, keepalives or flushed packets may now be
    /// waiting in `nextDatagram`.
    case handshakeProcessed
    /// Nothing to deliver; the reason was counted.
    case dropped(WireGuardDropReason)
    /// It belongs to a peer or session of another worker (``WorkerShard``): the datagram is untouched and
    /// the driver passes it to that worker. Only a device with a shard says this.
    case handOff(worker: Int)
}

/// What became of an IP packet from the TUN device.
public enum WireGuardOutboundResult: Equatable, Sendable {
    /// Encrypted in place: send `range` of the caller's buffer to `endpoint`, from `source` when it is set.
    case send(range: Range<Int>, endpoint: Endpoint, source: LocalSource? = nil)
    /// No usable session: the packet was copied into the peer's queue and a handshake may have been
    /// started; poll `nextDatagram`.
    case staged(peer: PeerID)
    /// Not sent; the reason was counted.
    case dropped(WireGuardDropReason)
    /// Its peer lives on another worker (``WorkerShard``): the packet is untouched and the driver passes it
    /// there. Only a device with a shard says this.
    case handOff(worker: Int)
}

/// A datagram written by `nextDatagram`: its length from the start of the buffer and where it goes.
public struct WireGuardDatagram: Equatable, Sendable {
    /// Bytes written at the start of the caller's buffer.
    public var count: Int
    /// The destination.
    public var endpoint: Endpoint
    /// The local address (and interface) to send from, or nil to let the kernel choose.
    public var source: LocalSource? = nil
}

/// Why a configuration call was refused.
public enum WireGuardConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A peer with this public key already exists.
    case duplicatePeer(PublicKey)
    /// No peer has this public key.
    case unknownPeer(PublicKey)
    /// The peer's public key is our own.
    case ownPublicKey

    public var description: String {
        switch self {
        case .duplicatePeer(let key): return "peer \(key.raw.base64) is already configured"
        case .unknownPeer(let key): return "no peer has the public key \(key.raw.base64)"
        case .ownPublicKey: return "this is the interface's own public key; a peer takes the other side's public key"
        }
    }
}

/// A pending output of the device, waiting for `nextDatagram`.
enum OutboxItem<Backend: CryptoBackend> {
    /// A finished handshake or cookie message.
    /// A finished handshake or cookie message, the local end to send it from, and the peer it is for.
    case message([UInt8], Endpoint, LocalSource?, PeerState<Backend>?)
    /// A keepalive, encrypted when polled.
    case keepalive(PeerState<Backend>)
    /// The peer's staged packets, encrypted one per poll.
    case flush(PeerState<Backend>)
}

/// What a receiver index in a message from the network refers to.
enum IndexEntry<Backend: CryptoBackend> {
    case handshake(PeerState<Backend>)
    case keypair(PeerState<Backend>, Keypair<Backend.Cipher>)
}

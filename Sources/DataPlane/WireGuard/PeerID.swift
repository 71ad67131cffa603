/// A peer's slot in its `WireGuardDevice`: a small dense index rather than its 32-byte public key.
///
/// Slots are reused after a peer is removed (the lowest free one first), so the indices in use stay below
/// `WireGuardDevice.peerSlotCount` and layers above the engine (per-Client policy tables, flows) can keep
/// per-peer state in arrays indexed by `Int(peer.index)` instead of hashing keys on every packet. An id
/// names a slot, not a key: once a peer is removed, its id may name the next peer added.
public struct PeerID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The slot index, from 0.
    public let index: UInt32

    /// The id of slot `index`.
    public init(index: UInt32) {
        self.index = index
    }

    public var description: String { "peer#\(index)" }
}

import DataPlane

/// One device-level line of a `set=1` request, in the order it appeared.
public enum UAPIDeviceOperation: Hashable, Sendable {
    /// `private_key=`: the new static private key; nil (an all-zero key on the wire) removes it.
    case privateKey(PrivateKey?)
    /// `listen_port=`: the UDP port to bind; 0 picks one.
    case listenPort(UInt16)
    /// `fwmark=`: the mark for outgoing packets; 0 removes it.
    case firewallMark(UInt32)
    /// `replace_peers=true`: remove every existing peer before the peers that follow are applied.
    case replacePeers
}

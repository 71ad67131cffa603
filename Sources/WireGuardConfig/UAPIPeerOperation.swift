import DataPlane

/// One line about a peer in a `set=1` request, after its `public_key=`, in the order it appeared.
///
/// Order is kept because it matters: `replace_allowed_ips` removes the routes added before it.
public enum UAPIPeerOperation: Hashable, Sendable {
    /// `remove=true`: delete the peer; the lines that follow for it are ignored.
    case remove
    /// `update_only=true`: change the peer only if it already exists; never create it.
    case updateOnly
    /// `preshared_key=`: the new preshared key; nil (all zeros on the wire) removes it.
    case presharedKey(PresharedKey?)
    /// `endpoint=`: the peer's address and port (an IP literal; the client resolves names).
    case endpoint(Endpoint)
    /// `persistent_keepalive_interval=`: seconds between keepalives; 0 turns them off.
    case persistentKeepaliveInterval(UInt16)
    /// `replace_allowed_ips=true`: drop the peer's routes before the `allowed_ip` lines that follow.
    case replaceAllowedIPs
    /// `allowed_ip=`: add a route to the peer (host bits cleared).
    case allowedIP(IPNetwork)
    /// `protocol_version=1`: the only version; any other value is refused.
    case protocolVersion(Int)
}

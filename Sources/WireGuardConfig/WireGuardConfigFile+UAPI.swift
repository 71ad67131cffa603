import DataPlane

extension WireGuardConfigFile {
    /// The `set=1` request `wg setconf` would send for this file: it replaces every peer and each peer's
    /// allowed IPs, so the device ends up exactly as the file describes.
    ///
    /// Endpoints given as IP literals are used as is; `resolve` is called for each hostname endpoint
    /// (this module does no DNS) and may throw to abort, e.g. when a name does not resolve.
    public func uapiSetRequest<E: Error>(
        resolve: (_ host: String, _ port: UInt16) throws(E) -> Endpoint
    ) throws(E) -> UAPISetRequest {
        var device: [UAPIDeviceOperation] = [.privateKey(interface.privateKey)]
        if let listenPort = interface.listenPort { device.append(.listenPort(listenPort)) }
        if let mark = interface.firewallMark { device.append(.firewallMark(mark)) }
        device.append(.replacePeers)
        var updates: [UAPIPeerUpdate] = []
        for peer in peers {
            var operations: [UAPIPeerOperation] = []
            if let presharedKey = peer.presharedKey { operations.append(.presharedKey(presharedKey)) }
            if let endpoint = peer.endpoint {
                switch endpoint.host {
                case .address(let address):
                    operations.append(.endpoint(Endpoint(address: address, port: endpoint.port)))
                case .name(let name): operations.append(.endpoint(try resolve(name, endpoint.port)))
                }
            }
            if let keepalive = peer.persistentKeepalive { operations.append(.persistentKeepaliveInterval(keepalive)) }
            operations.append(.replaceAllowedIPs)
            operations += peer.allowedIPs.map(UAPIPeerOperation.allowedIP)
            updates.append(UAPIPeerUpdate(publicKey: peer.publicKey, operations: operations))
        }
        return UAPISetRequest(deviceOperations: device, peers: updates)
    }
}

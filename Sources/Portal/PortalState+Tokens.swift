extension PortalState {
    /// Whether `token` would be accepted for `role` (the upgrade decision, before any state changes).
    public func accepts(role: NodeRole, token: String) -> Bool {
        tokens[role]?[token] != nil
    }
}

/// Why the portal could not create a flow, as `flow_creation_failed` names it.
public enum FlowFailureReason: String, Hashable, Sendable, CaseIterable {
    /// No Gateway of the Resource is connected to the portal.
    case offline
    /// The Resource does not exist.
    case notFound = "not_found"
    /// The Client has no policy for the Resource, or the policy has expired.
    case forbidden
}

/// A portal identifier of one kind of thing (a Resource, a Client, a Gateway), e.g. `"web-internal"`.
///
/// A distinct type per kind keeps a Client's id from being passed where a Resource's is expected; the raw
/// string is whatever the portal's policy file names it. On the wire it is a bare JSON string.
public struct PortalIdentifier<Kind: PortalIdentifierKind>: Hashable, Sendable, Comparable, CustomStringConvertible,
    Codable
{
    /// The identifier as the portal spells it.
    public let rawValue: String

    /// Wraps the portal's spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }

    /// Decodes from a bare JSON string, as the wire messages carry it.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a bare JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a `PortalIdentifier` names; the markers below are the kinds.
public protocol PortalIdentifierKind: Sendable {}

/// Marks Resource identifiers.
public enum ResourceKind: PortalIdentifierKind {}
/// Marks Client identifiers.
public enum ClientKind: PortalIdentifierKind {}
/// Marks Gateway identifiers.
public enum GatewayKind: PortalIdentifierKind {}

/// The portal's identifier of a Resource.
public typealias ResourceID = PortalIdentifier<ResourceKind>
/// The portal's identifier of a Client device: a Gateway keys its per-Client authorizations by it.
public typealias ClientID = PortalIdentifier<ClientKind>
/// The portal's identifier of a Gateway: a Client names the Gateways it is connected to by it.
public typealias GatewayID = PortalIdentifier<GatewayKind>

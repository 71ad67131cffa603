/// The portal's identifier of a Resource, e.g. `"web-internal"`.
///
/// A distinct type per kind of identifier keeps a Client's id from being passed where a Resource's is
/// expected; the raw string is whatever the portal's policy file names it.
public struct ResourceID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The identifier as the portal spells it.
    public let rawValue: String

    /// Wraps the portal's spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: ResourceID, rhs: ResourceID) -> Bool { lhs.rawValue < rhs.rawValue }

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

/// The portal's identifier of a Client device.
///
/// A Gateway keys its per-Client authorizations by it; see `ResourceID` for why it is its own type.
public struct ClientID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The identifier as the portal spells it.
    public let rawValue: String

    /// Wraps the portal's spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: ClientID, rhs: ClientID) -> Bool { lhs.rawValue < rhs.rawValue }

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

/// The portal's identifier of a Gateway.
///
/// A Client remembers which Gateway serves which Resource by it; see `ResourceID` for why it is its own type.
public struct GatewayID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The identifier as the portal spells it.
    public let rawValue: String

    /// Wraps the portal's spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: GatewayID, rhs: GatewayID) -> Bool { lhs.rawValue < rhs.rawValue }

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

/// One WebSocket connection as the portal state knows it; the server maps its channels to these.
///
/// A fresh id per connection, never reused, so a late event for a replaced connection cannot touch its successor.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "connection \(rawValue)" }
}

import ControlProtocol
import DataPlane
import Foundation
import WireGuardConfig

/// The portal's policy: who may connect (tokens), which Resources exist, and which Client may reach which.
///
/// Parsed and validated as a whole before it is used, so a reload either swaps in a consistent policy or
/// leaves the old one in place with an error naming the entry at fault.
public struct PolicyFile: Hashable, Sendable {
    /// A Gateway or Client allowed to connect.
    public struct Node: Hashable, Sendable {
        public var id: String
        /// The bearer token the node presents; compared on connect only, so a change applies to the next one.
        public var token: String

        public init(id: String, token: String) {
            self.id = id
            self.token = token
        }
    }

    /// A Resource and the Gateways that serve it, in order of preference.
    public struct Resource: Hashable, Sendable {
        public var resource: WireResource
        public var gatewayIDs: [String]

        public init(resource: WireResource, gatewayIDs: [String]) {
            self.resource = resource
            self.gatewayIDs = gatewayIDs
        }

        public var id: String { resource.id }
    }

    /// One Client's access to one Resource.
    public struct Policy: Hashable, Sendable {
        public var clientID: String
        public var resourceID: String
        /// When the access ends; nil for never.
        public var expiresAt: UnixSeconds?

        public init(clientID: String, resourceID: String, expiresAt: UnixSeconds? = nil) {
            self.clientID = clientID
            self.resourceID = resourceID
            self.expiresAt = expiresAt
        }

        /// Whether the access has ended at `now`; the expiry instant itself is already outside it.
        public func isExpired(at now: UnixSeconds) -> Bool {
            expiresAt.map { $0 <= now } ?? false
        }
    }

    /// The largest policy file `load(path:)` reads.
    public static let maximumSize = 16 << 20

    /// The token of the admin API.
    public var adminToken: String
    public var gateways: [Node]
    public var clients: [Node]
    public var resources: [Resource]
    public var policies: [Policy]

    /// A policy from its parts; `validated(fileName:)` checks it as `parse` would.
    public init(adminToken: String, gateways: [Node], clients: [Node], resources: [Resource], policies: [Policy]) {
        self.adminToken = adminToken
        self.gateways = gateways
        self.clients = clients
        self.resources = resources
        self.policies = policies
    }

    /// Reads and validates the file at `path`; errors start with the file name.
    public static func load(path: String) throws(PolicyFileError) -> PolicyFile {
        let fileName = (path as NSString).lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PolicyFileError(fileName: path, problem: .unreadable("cannot open the file for reading"))
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumSize + 1) ?? Data()
        } catch {
            throw PolicyFileError(fileName: path, problem: .unreadable(error.localizedDescription))
        }
        guard data.count <= maximumSize else {
            throw PolicyFileError(fileName: fileName, problem: .tooLarge(limit: maximumSize))
        }
        return try parse(bytes: data, fileName: fileName)
    }

    /// Parses and validates policy JSON; `fileName` only labels the errors.
    public static func parse(bytes: some Collection<UInt8>, fileName: String) throws(PolicyFileError) -> PolicyFile {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw PolicyFileError(fileName: fileName, problem: .notJSON(error.detail))
        }
        do {
            return try PolicyFileReader.read(document).validated()
        } catch {
            throw PolicyFileError(fileName: fileName, entry: error.entry, problem: error.problem)
        }
    }

    /// The Resource with `id`, if any.
    public func resource(_ id: String) -> Resource? {
        resources.first { $0.id == id }
    }

    /// The policy of `clientID` for `resourceID`, if any.
    public func policy(client clientID: String, resource resourceID: String) -> Policy? {
        policies.first { $0.clientID == clientID && $0.resourceID == resourceID }
    }
}

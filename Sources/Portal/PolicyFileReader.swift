import ControlProtocol
import DataPlane
import WireGuardConfig

/// A problem found while reading or validating, before the file name is attached.
struct PolicyEntryError: Error {
    var entry: String?
    var problem: PolicyProblem
}

/// Turns the JSON tree of a policy file into a `PolicyFile`, one entry at a time so errors can name it.
enum PolicyFileReader {
    static func read(_ document: JSONValue) throws(PolicyEntryError) -> PolicyFile {
        let top: JSONObjectReader
        do {
            top = try JSONObjectReader(document, path: "")
        } catch {
            throw PolicyEntryError(entry: nil, problem: .field(error))
        }
        let adminToken = try field(nil) { () throws(JSONFieldError) in try top.string("admin_token") }
        guard !adminToken.isEmpty else { throw PolicyEntryError(entry: nil, problem: .empty(field: "admin_token")) }
        let gateways = try entries(top, "gateways", label: idLabel, read: node)
        let clients = try entries(top, "clients", label: idLabel, read: node)
        let resources = try entries(top, "resources", label: idLabel, read: resource)
        let policies = try entries(top, "policies", label: policyLabel, read: policy)
        return PolicyFile(
            adminToken: adminToken, gateways: gateways, clients: clients, resources: resources, policies: policies
        )
    }

    /// Runs `body`, attributing a field error to `entry`.
    static func field<T>(_ entry: String?, _ body: () throws(JSONFieldError) -> T) throws(PolicyEntryError) -> T {
        do {
            return try body()
        } catch {
            throw PolicyEntryError(entry: entry, problem: .field(error))
        }
    }

    /// Reads every object of the list `key`, each with field paths relative to the entry.
    static func entries<T>(
        _ top: JSONObjectReader, _ key: String,
        label: (String, JSONObjectReader) -> String,
        read: (JSONObjectReader, String) throws(PolicyEntryError) -> T
    ) throws(PolicyEntryError) -> [T] {
        let items = try field(nil) { () throws(JSONFieldError) in try top.array(key) }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            let position = "\(key)[\(index)]"
            guard case .object = item else {
                let problem = JSONFieldError.wrongType(path: position, expected: "an object", found: item.typeName)
                throw PolicyEntryError(entry: position, problem: .field(problem))
            }
            let object = try field(position) { () throws(JSONFieldError) in try JSONObjectReader(item, path: "") }
            result.append(try read(object, label(position, object)))
        }
        return result
    }

    /// `resources[1] (id "db")`, or just the position when the id is unreadable.
    static func idLabel(_ position: String, _ object: JSONObjectReader) -> String {
        guard case .string(let id)? = object.value("id") else { return position }
        return "\(position) (id \"\(id)\")"
    }

    /// `policies[0] (client "alice", resource "web")`.
    static func policyLabel(_ position: String, _ object: JSONObjectReader) -> String {
        guard case .string(let client)? = object.value("client"), case .string(let resource)? = object.value("resource")
        else { return position }
        return "\(position) (client \"\(client)\", resource \"\(resource)\")"
    }

    static func nonEmpty(_ object: JSONObjectReader, _ key: String, entry: String) throws(PolicyEntryError) -> String {
        let value = try field(entry) { () throws(JSONFieldError) in try object.string(key) }
        guard !value.isEmpty else { throw PolicyEntryError(entry: entry, problem: .empty(field: key)) }
        return value
    }

    static func node(_ object: JSONObjectReader, entry: String) throws(PolicyEntryError) -> PolicyFile.Node {
        PolicyFile.Node(
            id: try nonEmpty(object, "id", entry: entry), token: try nonEmpty(object, "token", entry: entry)
        )
    }

    static func resource(_ object: JSONObjectReader, entry: String) throws(PolicyEntryError) -> PolicyFile.Resource {
        let id = try nonEmpty(object, "id", entry: entry)
        let name = try field(entry) { () throws(JSONFieldError) in try object.string("name") }
        let addressText = try field(entry) { () throws(JSONFieldError) in try object.string("address") }
        let address: IPNetwork
        do {
            address = try IPAddressText.parseNetwork(addressText)
        } catch {
            throw PolicyEntryError(entry: entry, problem: .badAddress(addressText, detail: error.description))
        }
        let gatewayIDs = try field(entry) { () throws(JSONFieldError) in try object.strings("gateways") }
        guard !gatewayIDs.isEmpty else {
            throw PolicyEntryError(entry: entry, problem: .empty(field: "gateways"))
        }
        let filterObjects = try field(entry) { () throws(JSONFieldError) in
            try object.objects("filters", required: false)
        }
        var filters: [WireFilter] = []
        for (index, filterObject) in filterObjects.enumerated() {
            do {
                filters.append(try WireFilter(reading: filterObject))
            } catch {
                if case .field(let fieldError) = error {
                    throw PolicyEntryError(entry: entry, problem: .field(fieldError))
                }
                throw PolicyEntryError(entry: entry, problem: .badFilter("filters[\(index)]", error))
            }
        }
        return PolicyFile.Resource(
            resource: WireResource(id: id, name: name, address: address, filters: filters), gatewayIDs: gatewayIDs
        )
    }

    static func policy(_ object: JSONObjectReader, entry: String) throws(PolicyEntryError) -> PolicyFile.Policy {
        let client = try nonEmpty(object, "client", entry: entry)
        let resource = try nonEmpty(object, "resource", entry: entry)
        let expiresAt = try field(entry) { () throws(JSONFieldError) in try object.optionalInteger("expires_at") }
        return PolicyFile.Policy(clientID: client, resourceID: resource, expiresAt: expiresAt.map { UnixSeconds($0) })
    }
}

extension PolicyFile {
    /// Checks what no single entry can: unique ids and tokens, and that every reference resolves.
    func validated() throws(PolicyEntryError) -> PolicyFile {
        let gatewayIDs = try Self.uniqueNodes(gateways, list: "gateways")
        let clientIDs = try Self.uniqueNodes(clients, list: "clients")
        var resourceIDs: [String: String] = [:]
        for (index, entry) in resources.enumerated() {
            let label = "resources[\(index)] (id \"\(entry.id)\")"
            if let first = resourceIDs[entry.id] {
                throw PolicyEntryError(entry: label, problem: .duplicateID(entry.id, first: first))
            }
            resourceIDs[entry.id] = "resources[\(index)]"
            for gateway in entry.gatewayIDs where gatewayIDs[gateway] == nil {
                throw PolicyEntryError(entry: label, problem: .unknownReference(kind: "gateway", id: gateway))
            }
        }
        var pairs: [[String]: String] = [:]
        for (index, entry) in policies.enumerated() {
            let label = "policies[\(index)] (client \"\(entry.clientID)\", resource \"\(entry.resourceID)\")"
            guard clientIDs[entry.clientID] != nil else {
                throw PolicyEntryError(entry: label, problem: .unknownReference(kind: "client", id: entry.clientID))
            }
            guard resourceIDs[entry.resourceID] != nil else {
                throw PolicyEntryError(entry: label, problem: .unknownReference(kind: "resource", id: entry.resourceID))
            }
            let key = [entry.clientID, entry.resourceID]
            if let first = pairs[key] { throw PolicyEntryError(entry: label, problem: .duplicatePolicy(first: first)) }
            pairs[key] = "policies[\(index)]"
        }
        return self
    }

    /// The ids of `nodes` mapped to their position, refusing repeated ids or tokens.
    private static func uniqueNodes(_ nodes: [Node], list: String) throws(PolicyEntryError) -> [String: String] {
        var ids: [String: String] = [:]
        var tokens: [String: String] = [:]
        for (index, node) in nodes.enumerated() {
            let label = "\(list)[\(index)] (id \"\(node.id)\")"
            if let first = ids[node.id] {
                throw PolicyEntryError(entry: label, problem: .duplicateID(node.id, first: first))
            }
            if let first = tokens[node.token] {
                throw PolicyEntryError(entry: label, problem: .duplicateToken(first: first))
            }
            ids[node.id] = "\(list)[\(index)]"
            tokens[node.token] = "\(list)[\(index)] (id \"\(node.id)\")"
        }
        return ids
    }
}

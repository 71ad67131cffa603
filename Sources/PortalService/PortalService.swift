import ControlProtocol
import Dispatch
import Foundation
import Logging
import Portal
import PortalServer

/// The embedded control plane: `PortalState` behind the swift-nio server.
///
/// The server calls the delegate methods one at a time on its event-loop thread, so the state needs no lock;
/// reloads (SIGHUP) and the one-second tick join that order through `PortalServer.perform`. After every input
/// the state's outputs are drained: messages sent (and logged for the audit trail), connections closed,
/// audit events logged.
public final class PortalService: PortalServerDelegate, @unchecked Sendable {
    // Safe: every mutable member is touched only on the server's event-loop thread (see above).
    var state: PortalState
    let policyPath: String
    let logger: Logger
    var connections: [ConnectionID: PortalConnection] = [:]
    var byTransport: [UInt64: ConnectionID] = [:]
    let clock: @Sendable () -> UnixSeconds

    /// - Parameters:
    ///   - policyPath: re-read on `reload()`.
    ///   - clock: the wall clock in Unix seconds (tests pass their own).
    public init(policy: PolicyFile, policyPath: String, logger: Logger,
                clock: @escaping @Sendable () -> UnixSeconds = { UnixSeconds(Int64(Date().timeIntervalSince1970)) }) {
        state = PortalState(policy: policy)
        self.policyPath = policyPath
        self.logger = logger
        self.clock = clock
    }

    static func role(_ path: NodePath) -> NodeRole {
        path == .gateway ? .gateway : .client
    }

    // MARK: - PortalServerDelegate

    public func webSocketRequested(path: NodePath, token: String?, remote: String) -> Bool {
        let role = Self.role(path)
        guard let token, state.accepts(role: role, token: token) else {
            logger.warning("refused a node: wrong or missing token", metadata: [
                "role": "\(role.rawValue)", "remote": "\(remote)", "status": "401",
                "reason": "\(token == nil ? "missing bearer token" : "unknown token")"])
            return false
        }
        return true
    }

    public func opened(_ connection: PortalConnection, path: NodePath, token: String?) {
        guard let id = state.connect(role: Self.role(path), token: token ?? "") else {
            connection.close()
            drain()
            return
        }
        connections[id] = connection
        byTransport[connection.id] = id
        drain()
    }

    public func received(_ text: String, on connection: PortalConnection) {
        guard let id = byTransport[connection.id] else { return }
        do {
            let message = try ControlMessage.decode(text)
            state.receive(message, from: id, now: clock())
        } catch {
            logger.warning("ignoring a malformed message", metadata: [
                "connection": "\(connection)", "error": "\(error)"])
        }
        drain()
    }

    public func closed(_ connection: PortalConnection) {
        guard let id = byTransport.removeValue(forKey: connection.id) else { return }
        connections[id] = nil
        state.disconnect(id)
        drain()
    }

    public func admin(_ request: AdminRequest) -> AdminResponse {
        guard let token = request.token, state.isAdminToken(token) else {
            logger.warning("refused an admin request: wrong or missing token", metadata: [
                "endpoint": "\(request.endpoint.rawValue)", "remote": "\(request.remote)", "status": "401"])
            return AdminResponse(status: 401, body: #"{"error":"wrong or missing admin token"}"#)
        }
        logger.info("admin request", metadata: ["endpoint": "\(request.endpoint.rawValue)", "remote": "\(request.remote)"])
        defer { drain() }
        switch request.endpoint {
        case .list:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            guard let data = try? encoder.encode(state.list()) else {
                return AdminResponse(status: 500, body: #"{"error":"cannot encode the state"}"#)
            }
            return AdminResponse(status: 200, body: String(decoding: data, as: UTF8.self))
        case .reload:
            switch reload() {
            case .success: return AdminResponse(status: 200, body: #"{"reloaded":true}"#)
            case .failure(let error):
                return AdminResponse(status: 400, body: Self.errorBody("\(error)"))
            }
        case .rejectAccess:
            guard let body = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                  let client = body["client"] as? String, let resource = body["resource"] as? String else {
                return AdminResponse(status: 400, body: Self.errorBody(
                    #"the body must be {"client": ID, "resource": ID}"#))
            }
            let told = state.rejectAccess(client: client, resource: resource)
            logger.info("access rejected by the operator", metadata: [
                "client_id": "\(client)", "resource_id": "\(resource)", "gateways_told": "\(told)"])
            return AdminResponse(status: 200, body: #"{"gateways_told":\#(told)}"#)
        }
    }

    static func errorBody(_ message: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Reload and time

    /// Re-reads the policy file; a bad file leaves the old policy in force and is logged.
    @discardableResult
    public func reload() -> Result<Void, PolicyFileError> {
        do {
            let policy = try PolicyFile.load(path: policyPath)
            state.reload(policy, now: clock())
            drain()
            return .success(())
        } catch {
            logger.error("policy reload refused; the old policy stays", metadata: ["error": "\(error)"])
            return .failure(error)
        }
    }

    /// Moves the portal's clock: expired policies disappear from Clients.
    public func tick() {
        state.tick(now: clock())
        drain()
    }

    /// Sends, closes and logs whatever the state produced.
    func drain() {
        while let event = state.nextAuditEvent() {
            var metadata: Logger.Metadata = [:]
            for (key, value) in event.fields { metadata[key] = "\(value)" }
            // One message text for the whole audit trail, the way the nodes log it: grep "control message".
            var message = event.message
            if message == "control message sent" || message == "control message received" {
                metadata["direction"] = "\(message.dropFirst("control message ".count))"
                message = "control message"
            }
            logger.info("\(message)", metadata: metadata)
        }
        while let (id, message) = state.nextOutgoing() {
            if connections[id]?.send(message.encoded()) != true {
                logger.warning("message not sent: the connection is gone", metadata: [
                    "message_type": "\(message.eventName)"])
            }
        }
        while let id = state.nextConnectionToClose() {
            connections.removeValue(forKey: id)?.close()
        }
    }
}

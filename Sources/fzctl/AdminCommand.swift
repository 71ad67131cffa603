import ArgumentParser
import Foundation
import PortalClient

/// `fzctl admin`: the operator's calls to a running portal's admin API.
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Call a running portal's admin API (list, reload, reject-access).",
        subcommands: [AdminListCommand.self, AdminReloadCommand.self, AdminRejectAccessCommand.self]
    )

    // Declared here, not in each subcommand, so they go before the subcommand: `fzctl admin --portal URL list`.
    @Option(name: .long, help: "The portal's address: http://HOST:PORT (IPv6 in brackets).")
    var portal: String?

    @Option(name: .long, help: "The portal's admin token (admin_token in its policy file; default: $FZ_ADMIN_TOKEN).")
    var token: String?

    /// Sends one request and prints the portal's JSON; a non-2xx answer or no answer is an error.
    func call(method: String, path: String, body: String? = nil) throws {
        guard let portal else { throw FZCtlError.invalidInput("--portal http://HOST:PORT is required") }
        guard let token = token ?? Runtime.environment()["FZ_ADMIN_TOKEN"], !token.isEmpty else {
            throw FZCtlError.invalidInput("--token is required (or set FZ_ADMIN_TOKEN)")
        }
        let response: AdminClient.Response
        do {
            response = try AdminClient.request(method: method, url: portal, path: path, token: token, body: body)
        } catch let error as PortalClientError {
            throw FZCtlError.invalidInput(error.description)
        }
        guard (200..<300).contains(response.status) else {
            throw FZCtlError.invalidInput(
                "the portal at \(portal) answered \(response.status): \(AdminCommand.message(in: response.body))"
            )
        }
        let text = response.body.hasSuffix("\n") || response.body.isEmpty ? response.body : response.body + "\n"
        FileOutput.standardOutput(text)
    }

    /// The portal's `error` (or `message`) field, else the body itself, so the line says what went wrong.
    static func message(in body: String) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] {
            for key in ["error", "message"] {
                if let text = object[key] as? String { return text }
            }
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "(no message)" : trimmed
    }
}

/// `fzctl admin ... list`: nodes online, their tunnel IPs and active flows, as the portal's JSON.
struct AdminListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Print the nodes online, their tunnel IPs and active flows as JSON."
    )

    @ParentCommand var admin: AdminCommand

    func run() throws {
        try admin.call(method: "GET", path: "/admin/list")
    }
}

/// `fzctl admin ... reload`: the portal re-reads its policy file, as on SIGHUP.
struct AdminReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Make the portal re-read its policy file and apply the differences."
    )

    @ParentCommand var admin: AdminCommand

    func run() throws {
        try admin.call(method: "POST", path: "/admin/reload")
    }
}

/// `fzctl admin ... reject-access`: Gateways drop one Client's authorization for one Resource now.
struct AdminRejectAccessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject-access",
        abstract: "Make every Gateway drop a Client's access to a Resource now (the policy stays).",
        discussion: "The Client may ask again and be re-authorized: this forces a re-authorization."
    )

    @ParentCommand var admin: AdminCommand

    @Option(name: .long, help: "The Client's id.")
    var client: String

    @Option(name: .long, help: "The Resource's id.")
    var resource: String

    func run() throws {
        let object = ["client": client, "resource": resource]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try admin.call(method: "POST", path: "/admin/reject-access", body: String(decoding: data, as: UTF8.self))
    }
}

import Catalog
import ControlProtocol
import Foundation
import Hummingbird
import Storage
import Tickets

/// Routes of the web console's accounts (admin): list, add, new password, disable, enable.
/// Passwords come in request bodies and go nowhere else: never logged, never answered.
extension ControlRoutes {
    func addConsoleUsers(to routes: ControlRouter) {
        routes.get("/v1/console-users", .manage) { request, _ in
            _ = try Self.parameters(request, allowed: [])
            return try JSONResponse.ok(ConsoleUserList(users: try store.consoleUsers().map(ConsoleUserInfo.init)))
        }
        routes.post("/v1/console-users", .manage) { request, context in
            let example = #"{"name": "wang", "role": "operator", "grids": ["east"], "language": "zh", "password": "..."}"#
            let body: ConsoleUserRequest = try await Self.decodeJSON(request, fields: ["name", "role", "grids", "language", "password"], example: example)
                ?? ConsoleUserRequest()
            guard let name = body.name, ConsoleUser.validName(name) else { throw ControlError.badRequest(.badConsoleUserName(name: String((body.name ?? "").prefix(80)))) }
            let roleText = body.role ?? ""
            guard let role = Role(rawValue: roleText) else {
                throw ControlError.badRequest(.unknownRole(text: roleText, known: Role.allCases.map(\.rawValue)))
            }
            // An admin manages the daemon (backups, configuration, accounts): a grid limit
            // would promise what it cannot keep.
            if role == .admin && !(body.grids ?? []).isEmpty { throw ControlError.conflict(.adminNotLimitedToGrids) }
            let language = body.language ?? "zh"
            guard language == "zh" || language == "en" else { throw ControlError.badRequest(.unknownLanguage(text: language)) }
            let hash = try await Self.passwordHash(body.password)
            let actor = try context.who.actor
            do {
                try store.addConsoleUser(ConsoleUser(name: name, role: role, grids: body.grids ?? [], language: language == "en" ? .en : .zh),
                                         passwordHash: hash, at: Date())
            } catch let error as ConsoleAccountError {
                throw try Self.refusal(error, store: store)
            }
            logger.notice("console user added", metadata: ["user": "\(name)", "role": "\(role.rawValue)", "grids": "\(body.grids ?? [])", "actor": "\(actor)"])
            let user = try store.consoleCredentials(name)!.user
            return try JSONResponse.ok(ConsoleUserInfo(user), status: .created)
        }
        routes.post("/v1/console-users/:name/password", .manage) { request, context in
            let name = context.parameters.get("name") ?? ""
            let body: ConsoleUserRequest = try await Self.decodeJSON(request, fields: ["password"], example: #"{"password": "..."}"#) ?? ConsoleUserRequest()
            let hash = try await Self.passwordHash(body.password)
            do {
                try store.setConsolePassword(name, passwordHash: hash, at: Date())
            } catch let error as ConsoleAccountError {
                throw try Self.refusal(error, store: store)
            }
            let actor = try context.who.actor
            logger.notice("console password changed", metadata: ["user": "\(name)", "actor": "\(actor)"])
            return try JSONResponse.ok(ConsoleUserInfo(try store.consoleCredentials(name)!.user))
        }
        for verb in ["disable", "enable"] {
            routes.post("/v1/console-users/:name/\(verb)", .manage) { request, context in
                let name = context.parameters.get("name") ?? ""
                _ = try Self.parameters(request, allowed: [])
                do {
                    try store.setConsoleUserDisabled(name, verb == "disable", at: Date())
                } catch let error as ConsoleAccountError {
                    throw try Self.refusal(error, store: store)
                }
                let actor = try context.who.actor
                logger.notice("console user \(verb)d", metadata: ["user": "\(name)", "actor": "\(actor)"])
                return try JSONResponse.ok(ConsoleUserInfo(try store.consoleCredentials(name)!.user))
            }
        }
    }

    /// The slow hash, off the concurrency pool; a password too short is refused first.
    static func passwordHash(_ password: String?) async throws -> String {
        guard let password, password.unicodeScalars.count >= ConsoleAccounts.minimumPasswordLength else {
            throw ControlError.badRequest(.passwordTooShort(minimum: ConsoleAccounts.minimumPasswordLength))
        }
        return try await offPool { PasswordHash.make(password) }
    }

    static func refusal(_ error: ConsoleAccountError, store: TicketStore) throws -> ControlError {
        switch error {
        case let .exists(name): .conflict(.consoleUserExists(name: name))
        case let .noSuchUser(name): .notFound(.noSuchConsoleUser(name: name))
        case let .badName(name): .badRequest(.badConsoleUserName(name: String(name.prefix(80))))
        // Well formed, but not a grid of the configuration.
        case let .unknownGrid(id): .conflict(.unknownGrid(id: String(id.prefix(80)), known: try store.gridNames().map(\.id)))
        }
    }
}

extension ConsoleUserInfo {
    init(_ user: ConsoleUser) {
        self.init(name: user.name, role: user.role, grids: user.grids, language: user.language == .en ? "en" : "zh",
                  disabled: user.disabledAt != nil, disabledAt: user.disabledAt, createdAt: user.createdAt, lastLoginAt: user.lastLoginAt)
    }
}

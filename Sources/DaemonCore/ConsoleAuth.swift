import Catalog
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Notify
import Storage
import Synchronization
import Tickets

/// The console's logins and sessions over the store (Docs/design/console.md): passwords
/// checked one at a time on a queue of their own (0.3 s of CPU each, never on the
/// concurrency pool), a name locked after `lockoutFailures` failures within
/// `lockoutSeconds` (known names and unknown alike, so the answer tells nothing), sessions
/// by the SHA-256 of a random cookie, ending after `sessionIdle`.
final class ConsoleAccounts: Sendable {
    let store: TicketStore
    let settings: ConsoleSettings
    let logger: Logger
    private let hashing = DispatchQueue(label: "gridwatch.console.passwords")

    /// Checked when the name is unknown, so an unknown name costs what a known one does.
    private static let decoy = PasswordHash.make(UUID().uuidString)

    init(store: TicketStore, settings: ConsoleSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    enum LoginResult: Equatable {
        case success(token: String, user: ConsoleUser)
        case failed
        case locked(minutes: Int)
        /// Too many logins waiting for the password check.
        case busy
    }

    static let cookieName = "gridwatch_session"
    static let minimumPasswordLength = 8

    func login(name rawName: String, password: String, from address: String, at now: Date) async throws -> LoginResult {
        let name = String(rawName.prefix(64))
        // At most this many logins wait for the hashing queue; more are refused at once, so
        // a flood cannot hold every real login back for minutes.
        guard waiting.withLock({ count -> Bool in
            guard count < Self.maximumWaiting else { return false }
            count += 1
            return true
        }) else {
            logger.warning("console login refused: too many at once", metadata: ["remote": "\(address)"])
            return .busy
        }
        defer { waiting.withLock { $0 -= 1 } }
        // The count, the check and the failure's record in one step on the queue: parallel
        // guesses for one name cannot all pass the count before any failure is written.
        let outcome: Result<(LoginResult, ConsoleUser?), any Error> = await withCheckedContinuation { done in
            hashing.async { done.resume(returning: Result { try self.check(name: name, password: password, address: address, at: now) }) }
        }
        let (result, user) = try outcome.get()
        guard case .success = result, let user else { return result }
        let token = Self.randomToken()
        // Sessions that went idle and were never presented again go now.
        try store.pruneConsoleSessions(idle: settings.sessionIdle, at: now)
        try store.createConsoleSession(user: user.name, tokenHash: Self.tokenHash(token), csrf: Self.randomToken(), at: now)
        logger.notice("console login", metadata: ["user": "\(user.name)", "role": "\(user.role.rawValue)", "remote": "\(address)"])
        return .success(token: token, user: user)
    }

    static let maximumWaiting = 32
    private let waiting = Mutex(0)

    /// On the hashing queue, one login at a time.
    private func check(name: String, password: String, address: String, at now: Date) throws -> (LoginResult, ConsoleUser?) {
        let window = now.addingTimeInterval(-settings.lockoutSeconds)
        let failures = try store.loginFailures(name, since: window)
        let credentials = try store.consoleCredentials(name)
        // A name that is no account is logged as a hash: people type passwords there.
        let shown = credentials == nil ? "unknown:" + String(Self.tokenHash(name).prefix(12)) : name
        if failures.count >= settings.lockoutFailures {
            let until = failures[failures.count - settings.lockoutFailures].addingTimeInterval(settings.lockoutSeconds)
            logger.warning("console login refused: locked out", metadata: ["user": "\(shown)", "remote": "\(address)"])
            return (.locked(minutes: max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))), nil)
        }
        let matches = PasswordHash.verify(password, against: credentials?.passwordHash ?? Self.decoy)
        guard matches, let user = credentials?.user, user.disabledAt == nil else {
            try store.recordLoginFailure(name, at: now, keepAfter: window)
            logger.warning("console login failed", metadata: [
                "user": "\(shown)", "remote": "\(address)",
                "why": "\(credentials == nil ? "no such user" : credentials!.user.disabledAt != nil ? "disabled" : "wrong password")",
            ])
            if failures.count + 1 >= settings.lockoutFailures {
                return (.locked(minutes: Int((settings.lockoutSeconds / 60).rounded(.up))), nil)
            }
            return (.failed, nil)
        }
        return (.success(token: "", user: user), user)
    }

    /// A session at most this old is kept however busy it is (a wall screen's pictures and
    /// live changes keep it from going idle): a week, then log in again.
    static let maximumAge: TimeInterval = 7 * 86_400

    func session(token: String, at now: Date) throws -> ConsoleSession? {
        let hash = Self.tokenHash(token)
        guard let session = try store.consoleSession(tokenHash: hash, idle: settings.sessionIdle, at: now) else { return nil }
        if now.timeIntervalSince(session.createdAt) > Self.maximumAge {
            try store.endConsoleSession(tokenHash: hash)
            return nil
        }
        return session
    }

    /// A path on this site to go to after a login or a language switch: `/` then anything
    /// but a second `/` or `\`, and no whitespace or control character (browsers drop tabs
    /// and line breaks from URLs, which would turn `/\t/host` into `//host`).
    static func safeLocalPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), text.count < 2048 else { return "/" }
        let second = text.dropFirst().first
        if second == "/" || second == "\\" { return "/" }
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f || $0 == "\\" }) { return "/" }
        return text
    }

    func logout(token: String) throws {
        try store.endConsoleSession(tokenHash: Self.tokenHash(token))
    }

    /// The caller a session speaks for: the user's role, their grids with those below.
    func identity(_ session: ConsoleSession) throws -> CallerIdentity {
        let grids = session.user.grids.isEmpty ? nil : try store.gridsAtOrBelow(session.user.grids)
        return CallerIdentity(uid: UInt32.max, gid: UInt32.max, user: session.user.name,
                              access: Access(roles: [session.user.role], grids: grids), console: session.user.name)
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The session cookie: script cannot read it, other sites' requests do not carry it,
    /// and under TLS it never travels in the clear.
    func cookie(_ token: String) -> String {
        "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict" + (settings.tls != nil ? "; Secure" : "")
    }

    func clearedCookie() -> String {
        "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (settings.tls != nil ? "; Secure" : "")
    }

    static func cookieValue(_ request: Request, name: String = cookieName) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0] == name, !pair[1].isEmpty { return pair[1] }
            }
        }
        return nil
    }
}

/// An HTML form body (`application/x-www-form-urlencoded`), as browsers send it.
enum FormData {
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(parts[0]) else { continue }
            fields[key] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    static func isForm(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
    }
}

/// Every request to the console: the session from its cookie becomes the caller (the user's
/// role and grids) before any route runs; without one, pages redirect to `/login` and the API
/// answers 401. Every state change carries the session's CSRF token (form field `csrf` or
/// header `X-CSRF-Token`) or is refused with 403. API answers speak the user's language;
/// pages' errors are pages. Every answer carries the security headers.
struct ConsoleMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let accounts: ConsoleAccounts
    let logger: Logger

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func isAPI(_ path: String) -> Bool { path.hasPrefix("/v1/") || path == "/metrics" }

    func handle(_ request: Request, context: ControlContext, next: (Request, ControlContext) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let path = request.uri.path
        let api = Self.isAPI(path)
        let open = path == "/login" || path.hasPrefix("/assets/")
        var language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]) == .en ? Language.en : .zh
        var response: Response
        do {
            let token = ConsoleAccounts.cookieValue(request)
            let session = try token.flatMap { try accounts.session(token: $0, at: Date()) }
            if let session {
                language = session.user.language
                context.caller = try accounts.identity(session)
                context.session = session
                // A live stream asks again now and then: logging out, a disabled account or a
                // new password ends it.
                if let token {
                    let accounts = self.accounts
                    context.stillAuthorized = { (try? accounts.session(token: token, at: Date())) != nil }
                }
                // Daemon-wide figures (metrics count every grid's and category's tickets) and the
                // outbox (dead letters name tickets) are for admins on the console.
                if (path == "/metrics" || path.hasPrefix("/v1/notify")) && session.user.role != .admin {
                    throw ControlError.forbidden(.notPermitted(actor: "\(session.user.name) (console)", roles: [session.user.role.rawValue],
                                                               method: request.method.rawValue, path: path))
                }
                if api {
                    var head = request.head
                    head.headerFields[.acceptLanguage] = language.rawValue
                    request = Request(head: head, body: request.body)
                }
                if request.method != .get && request.method != .head && path != "/login" {
                    try await Self.checkCSRF(&request, session: session, logger: logger)
                }
                response = try await next(request, context)
            } else if open {
                response = try await next(request, context)
            } else if api {
                response = JSONResponse.error(.unauthorized, .loginRequired, language: language)
            } else {
                let target = request.method == .get ? path + (request.uri.query.map { "?" + $0 } ?? "") : "/"
                var login = "/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
                if token != nil { login += "&ended=1" }
                response = Response(status: .seeOther, headers: [.location: login])
            }
        } catch let error as ControlError where api {
            response = JSONResponse.error(error.status, error.reason, language: language)
        } catch where !api {
            response = ConsolePage.errorPage(error, language: language, logger: logger, path: path)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' blob: data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        if !api && response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// The session's token from the header or, for a form, its `csrf` field (the body is read
    /// here and left in place for the route).
    static func checkCSRF(_ request: inout Request, session: ConsoleSession, logger: Logger) async throws {
        var offered = request.headers[csrfHeader]
        if offered == nil, FormData.isForm(request) {
            let body = try await request.collectBody(upTo: ControlRoutes.maxBody)
            offered = FormData.parse(String(buffer: body))["csrf"]
        }
        guard let offered, HMAC.constantTimeEqual(Array(offered.utf8), Array(session.csrf.utf8)) else {
            logger.warning("console request refused: no CSRF token", metadata: [
                "user": "\(session.user.name)", "method": "\(request.method)", "path": "\(request.uri.path)",
            ])
            throw ControlError.forbidden(.csrfRefused)
        }
    }
}

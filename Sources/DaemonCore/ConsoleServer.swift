import Catalog
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HTTPTypes
import Logging
import NIOCore
import ServiceLifecycle
import Storage
import Tickets

/// The web console on `console.listen` (Docs/design/console.md): the pages, the login, and
/// the control API's own routes under `/v1` for the pages' pictures, clips and live changes,
/// all behind `ConsoleMiddleware` (session, CSRF, security headers).
enum ConsoleServer {
    static func service(_ settings: ConsoleSettings?, routes: ControlRoutes, logger: Logger) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let settings else { return [] }
        var builder = HTTPServerBuilder.controlHTTP1(idleTimeout: .seconds(120))
        if let tls = settings.tls { builder = try .tls(builder, tlsConfiguration: try tls.serverConfiguration()) }
        let accounts = ConsoleAccounts(store: routes.store, settings: settings, logger: logger)
        let router = Self.router(ConsoleSite(routes: routes, accounts: accounts), logger: logger)
        let listen = settings.listen
        let server = ControlHTTPService(
            responder: router.buildResponder(),
            server: builder,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "gridwatchd/\(Gridwatch.version)"),
            onServerRunning: { _ in
                logger.notice("console listening", metadata: [
                    "address": "\(settings.tls == nil ? "http" : "https")://\(listen.host.contains(":") ? "[\(listen.host)]" : listen.host):\(listen.port)/",
                ])
            },
            logger: Logger(label: "gridwatchd.console", factory: { _ in SwiftLogNoOpLogHandler() }))
        return [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)]
    }

    /// The whole console: tests build it in-process with the same middleware.
    static func router(_ site: ConsoleSite, logger: Logger) -> Router<ControlContext> {
        let router = Router(context: ControlContext.self)
        let routeTable = RouteTable()
        router.middlewares.add(ConsoleMiddleware(accounts: site.accounts, logger: logger))
        router.middlewares.add(ErrorMiddleware(logger: logger, routes: routeTable, onlyUnder: "/v1/"))
        router.middlewares.add(QueryValidationMiddleware<ControlContext>())
        site.routes.add(to: router)
        site.add(to: router)
        routeTable.load(router.routes)
        return router
    }
}

extension ConsoleSite {
    /// The pages and forms. Reading needs a session (the middleware); acting needs what the
    /// control API's routes need, checked again in each handler.
    func add(to router: Router<ControlContext>) {
        router.get("/login") { request, _ in try loginPage(request, failure: nil) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, _ in
            if let token = ConsoleAccounts.cookieValue(request) { try accounts.logout(token: token) }
            return ConsolePage.redirect("/login", headers: [.setCookie: accounts.clearedCookie()])
        }
        router.post("/language") { request, context in
            var request = request
            let session = try context.session.orThrow(ControlError.forbidden(.loginRequired))
            let form = FormData.parse(String(buffer: try await request.collectBody(upTo: ControlRoutes.maxBody)))
            try store.setConsoleLanguage(session.user.name, form["language"] == "en" ? .en : .zh, at: Date())
            let back = request.headers[.referer].flatMap { URL(string: $0) }.map { $0.path + ($0.query.map { "?" + $0 } ?? "") }
            return ConsolePage.redirect(ConsoleAccounts.safeLocalPath(back))
        }
        router.get("/") { request, context in try queue(request, context) }
        router.get("/queue/rows") { request, context in try queueRows(request, context) }
        router.get("/tickets/:id") { request, context in try ticket(request, context) }
        router.post("/tickets/:id/notes") { request, context in try await act(request, context, action: nil) }
        for action in TicketAction.allCases {
            router.post(RouterPath("/tickets/:id/\(action.rawValue)")) { request, context in try await act(request, context, action: action) }
        }
        router.get("/cameras") { request, context in try cameraWall(request, context) }
        router.get("/cameras/:id") { request, context in try camera(request, context) }
        router.get("/cameras/:id/geometry") { request, context in try editor(request, context) }
        router.get("/stats") { request, context in try statistics(request, context) }
        router.get("/assets/:name") { _, context in
            guard let asset = ConsoleAssets.files[context.parameters.get("name") ?? ""] else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: "max-age=300"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: asset.body)))
        }
    }

    /// Before a login the page speaks the browser's language (Chinese unless it asks for
    /// English), or the one its switch asked for (`?lang=en`, `?lang=zh`).
    static func loginLanguage(_ request: Request) -> Language {
        switch request.uri.queryParameters["lang"].map(String.init) {
        case "en": .en
        case "zh": .zh
        default: Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]) == .en ? .en : .zh
        }
    }

    func loginPage(_ request: Request, failure: String?, status: HTTPResponse.Status = .ok, next given: String? = nil) throws -> Response {
        let language = Self.loginLanguage(request)
        let page = PageContext(session: nil, language: language, access: Access(roles: []))
        let next = ConsoleAccounts.safeLocalPath(given ?? request.uri.queryParameters["next"].map(String.init))
        let ended = request.uri.queryParameters["ended"] != nil
        let message: HTML = failure.map { "<p class=\"error\" id=\"login-error\" role=\"alert\">\($0)</p>" }
            ?? (ended ? "<p class=\"notice\">\(page.t(.sessionEnded))</p>" : "")
        let body: HTML = """
            <section class="login">
            <h1>\(page.t(.loginTitle))</h1>
            \(message)
            <form method="post" action="/login\(language == .en ? "?lang=en" : "")" id="login-form">
            <input type="hidden" name="next" value="\(next)">
            <label>\(page.t(.username)) <input type="text" name="username" autocomplete="username" required autofocus></label>
            <label>\(page.t(.password)) <input type="password" name="password" autocomplete="current-password" required></label>
            <button type="submit">\(page.t(.loginButton))</button>
            </form>
            <p class="switch"><a href="/login?lang=\(language == .en ? "zh" : "en")\(next == "/" ? "" : "&next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))" id="login-language">\(page.t(.otherLanguage))</a></p>
            </section>
            """
        return ConsolePage.layout(page, title: page.t(.loginTitle), active: "", body: body, status: status)
    }

    func login(_ request: Request, _ context: ControlContext) async throws -> Response {
        var request = request
        let language = Self.loginLanguage(request)
        guard FormData.isForm(request) else { throw ControlError.unsupportedMediaType(.notJSON(contentType: request.headers[.contentType] ?? "")) }
        let form = FormData.parse(String(buffer: try await request.collectBody(upTo: 16 * 1024)))
        let address = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        switch try await accounts.login(name: form["username"] ?? "", password: form["password"] ?? "", from: address, at: Date()) {
        case let .success(token, _):
            // A session this browser had before ends: one login, one session.
            if let old = ConsoleAccounts.cookieValue(request) { try accounts.logout(token: old) }
            return ConsolePage.redirect(ConsoleAccounts.safeLocalPath(form["next"]), headers: [.setCookie: accounts.cookie(token)])
        case .failed:
            return try loginPage(request, failure: ConsoleText.loginFailed.text(language), status: .unauthorized, next: form["next"])
        case let .locked(minutes):
            return try loginPage(request, failure: ConsoleText.lockedOut(minutes: minutes).text(language), status: .tooManyRequests, next: form["next"])
        case .busy:
            return try loginPage(request, failure: ConsoleText.loginBusy.text(language),
                                 status: .serviceUnavailable, next: form["next"])
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

import Catalog
import Foundation
import MediaIO
import Notify
import Tickets

/// One place alerts go (`notify:` in the configuration).
public struct NotifyDestination: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case webhook, wecom, dingtalk, exec
    }

    public var id: String
    public var kind: Kind
    public var route: NotifyRoute
    /// webhook, wecom, dingtalk: where to POST (it may hold a robot's key: shown redacted only).
    public var url: String?
    /// webhook: the `whsec_…` signing key's bytes; dingtalk: the 加签 secret's bytes (UTF-8).
    public var secret: [UInt8]?
    /// webhook: put the snapshot in the body (base64) when no larger than `attachMaxBytes`.
    public var attachSnapshot = false
    public var attachMaxBytes = 512 * 1024
    /// exec: the program and its arguments (never a shell).
    public var command: [String] = []
    /// Seconds a request (or a program) may take.
    public var timeout: Double = 15
    /// Deliveries in flight at once (exec: programs running at once).
    public var concurrency = 4
    /// Messages a minute at most (messenger robots refuse more than 20).
    public var perMinute: Double?
    /// Messenger messages: the language.
    public var language: Catalog.Language = .zh
    /// webhook: a platform may post state changes back to `POST /hooks/{id}`.
    public var inbound = true
    /// When failed deliveries are tried again, and when they are given up.
    public var retry = RetrySchedule()

    /// What the API and the logs show of the URL: keys and credentials hidden.
    public var redactedURL: String? { url.map(Redaction.redact) }

    /// The same destination, for deciding whether a reload must restart its sender (the
    /// secret compared by value: a rotated key takes effect).
    public static func == (a: NotifyDestination, b: NotifyDestination) -> Bool {
        a.id == b.id && a.kind == b.kind && a.route == b.route && a.url == b.url && a.secret == b.secret
            && a.attachSnapshot == b.attachSnapshot && a.attachMaxBytes == b.attachMaxBytes && a.command == b.command
            && a.timeout == b.timeout && a.concurrency == b.concurrency && a.perMinute == b.perMinute
            && a.language == b.language && a.inbound == b.inbound && a.retry == b.retry
    }
}

extension GridwatchConfig {
    static let notifyKeys: Set<String> = [
        "id", "type", "events", "grids", "categories", "min_severity", "url", "url_file", "url_env", "secret_file", "secret_env",
        "attach", "attach_max_kb", "command", "timeout", "concurrency", "per_minute", "language", "inbound", "retry",
    ]

    /// `notify:`: a list of destinations.
    static func parseNotify(_ node: ConfigNode, grids: Set<String>, baseDirectory: URL) throws(ConfigError) -> [NotifyDestination] {
        var out: [NotifyDestination] = []
        for item in try node.items() {
            try item.requireMapping(allowed: notifyKeys)
            let idNode = item["id"]
            let id = try identifier(idNode)
            if out.contains(where: { $0.id == id }) { throw idNode.error("duplicate notify destination id '\(id)'") }
            let kind: NotifyDestination.Kind = try item["type"].choice()
            var d = NotifyDestination(id: id, kind: kind, route: NotifyRoute(destination: id))

            // Filters.
            if !item["events"].isMissing {
                var events: Set<NotifyEventType> = []
                for e in try item["events"].items() {
                    let text = try e.string()
                    let name = text.hasPrefix("ticket.") ? text : "ticket." + text
                    guard let type = NotifyEventType(rawValue: name) else {
                        throw e.error("'\(text)' is not an event (\(NotifyEventType.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    events.insert(type)
                }
                d.route.events = events
            } else if kind == .wecom || kind == .dingtalk {
                d.route.events = NotifyEventType.messengerDefault
            }
            if !item["grids"].isMissing {
                var set: Set<String> = []
                for g in try item["grids"].items() {
                    let grid = try g.string()
                    if !grids.contains(grid) { throw g.error("no grid with id '\(grid)'") }
                    set.insert(grid)
                }
                d.route.grids = set
            }
            if !item["categories"].isMissing {
                var set: Set<TicketCategory> = []
                for c in try item["categories"].items() { set.insert(try c.choice()) }
                d.route.categories = set
            }
            if !item["min_severity"].isMissing { d.route.minSeverity = try item["min_severity"].choice() as Severity }

            // Where and how.
            d.timeout = try item["timeout"].duration(default: kind == .exec ? 30 : 15, range: 1...300)
            switch kind {
            case .webhook, .wecom, .dingtalk:
                let url = try secretText(item, base: "url", baseDirectory: baseDirectory, required: true)!
                try checkURL(url, node: item["url"].isMissing ? (item["url_file"].isMissing ? item["url_env"] : item["url_file"]) : item["url"])
                d.url = url
                for key in ["command"] where !item[key].isMissing { throw item[key].error("is for type exec only") }
            case .exec:
                let args = try item["command"].items().map { n throws(ConfigError) in try n.string() }
                guard let program = args.first else { throw item["command"].error("is required: the program and its arguments, as a list") }
                let path = program.hasPrefix("/") ? program : resolve(program, against: baseDirectory)
                guard FileManager.default.isExecutableFile(atPath: path) else {
                    throw item["command"].error("'\(program)' is not an executable file (a path, run without a shell)")
                }
                d.command = [path] + args.dropFirst()
                for key in ["url", "url_file", "url_env", "secret_file", "secret_env", "attach"] where !item[key].isMissing {
                    throw item[key].error("is not for type exec")
                }
            }
            switch kind {
            case .webhook:
                guard let secret = try secretText(item, base: "secret", baseDirectory: baseDirectory, required: true) else { break }
                guard let key = StandardWebhooks.key(fromSecret: secret) else {
                    // Never the value: it is the secret.
                    let node = item["secret_file"].isMissing ? item["secret_env"] : item["secret_file"]
                    throw node.error("is not a Standard Webhooks secret: expected whsec_ followed by 24 to 64 bytes in base64")
                }
                d.secret = key
                if !item["attach"].isMissing {
                    let attach = try item["attach"].string()
                    guard attach == "snapshot" || attach == "none" else { throw item["attach"].error("is 'snapshot' or 'none', got '\(attach)'") }
                    d.attachSnapshot = attach == "snapshot"
                }
                d.attachMaxBytes = try item["attach_max_kb"].int(default: 512, range: 1...8192) * 1024
                d.inbound = try item["inbound"].bool(default: true)
            case .dingtalk:
                d.secret = try secretText(item, base: "secret", baseDirectory: baseDirectory, required: false).map { Array($0.utf8) }
            case .wecom:
                for key in ["secret_file", "secret_env"] where !item[key].isMissing {
                    throw item[key].error("WeCom robots are not signed: the key is in the url")
                }
            case .exec:
                break
            }
            if kind != .webhook {
                for key in ["attach", "attach_max_kb", "inbound"] where !item[key].isMissing { throw item[key].error("is for type webhook only") }
            }
            if kind == .wecom || kind == .dingtalk {
                d.language = try item["language"].choice(default: .zh)
                d.perMinute = try item["per_minute"].double(default: 20, range: 1...600)
                d.concurrency = 1
            } else {
                for key in ["language"] where !item[key].isMissing { throw item[key].error("is for messenger robots (wecom, dingtalk) only") }
                if !item["per_minute"].isMissing { d.perMinute = try item["per_minute"].double(range: 1...60_000) }
                d.concurrency = try item["concurrency"].int(default: kind == .exec ? 2 : 4, range: 1...32)
            }
            let r = item["retry"]
            try r.requireMapping(allowed: ["waits", "then", "give_up_after"])
            if !r["waits"].isMissing {
                d.retry.waits = try r["waits"].items().map { n throws(ConfigError) in try n.duration(default: 0, range: 0.1...86_400) }
            }
            d.retry.thereafter = try r["then"].duration(default: d.retry.thereafter, range: 0.1...(7 * 86_400))
            d.retry.giveUpAfter = try r["give_up_after"].duration(default: d.retry.giveUpAfter, range: 1...(30 * 86_400))
            out.append(d)
        }
        return out
    }

    /// A secret value from `<base>` (only for URLs, whose keys are redacted everywhere),
    /// `<base>_file` or `<base>_env`: exactly one of them. Errors name the key, never the value.
    private static func secretText(_ item: ConfigNode, base: String, baseDirectory: URL, required: Bool) throws(ConfigError) -> String? {
        let inline = base == "url" ? item[base] : nil
        let file = item[base + "_file"], env = item[base + "_env"]
        let given = [inline, file, env].compactMap { $0 }.filter { !$0.isMissing }
        if given.count > 1 { throw given[1].error("give only one of \(base == "url" ? "url, " : "")\(base)_file and \(base)_env") }
        guard let node = given.first else {
            if required { throw item[base == "url" ? "url" : base + "_file"].error("is required (or \(base)_\(base == "url" ? "file or url_env" : "env"))") }
            return nil
        }
        if let inline, !inline.isMissing { return try inline.string() }
        if !file.isMissing {
            let path = resolve(try file.string(), against: baseDirectory)
            do {
                var text = try String(contentsOfFile: path, encoding: .utf8)
                while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
                if text.isEmpty { throw file.error("\(path) is empty") }
                return text
            } catch let e as ConfigError {
                throw e
            } catch {
                throw file.error("cannot read \(path): \((error as NSError).localizedDescription)")
            }
        }
        let name = try env.string()
        guard let value = ConfigEnvironment.value(name), !value.isEmpty else {
            throw node.error("environment variable \(name) is not set")
        }
        return value
    }

    /// An http(s) URL with a host. The error never repeats the URL: it may hold a key.
    private static func checkURL(_ url: String, node: ConfigNode) throws(ConfigError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else {
            throw node.error("is not an http:// or https:// URL with a host")
        }
    }
}

@testable import DaemonCore
import Foundation
import Notify
import Testing

@Suite struct NotifyConfigTests {
    static let base = """
        grids:
          - id: town
            level: town
          - id: east
            parent: town
        cameras: []
        """

    /// The variables the tests' `secret_env` keys name (given this way, not by `setenv`,
    /// which would rewrite the environment under other tests' threads).
    static let environment = [
        "GW_TEST_DING": "SECabc",
        "GW_TEST_BAD_SECRET": "whsec_TopSecretValue",
        "GW_TEST_WHSEC": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    func parse(_ notify: String, daemon: String = "") throws(ConfigError) -> GridwatchConfig {
        let text = (daemon.isEmpty ? "" : "daemon:\n" + daemon + "\n") + Self.base + "\nnotify:\n" + notify
        let result = ConfigEnvironment.$overlay.withValue(Self.environment) {
            Result { () throws(ConfigError) in try GridwatchConfig.parse(text: text, file: "/etc/gridwatch/gridwatch.yml") }
        }
        return try result.get()
    }

    func error(_ notify: String, daemon: String = "") -> ConfigError? {
        do {
            _ = try parse(notify, daemon: daemon)
            return nil
        } catch {
            return error
        }
    }

    @Test func destinationsOfEveryKindWithTheirFilters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n".write(to: dir.appendingPathComponent("whsec"), atomically: true, encoding: .utf8)
        let text = """
              - id: city
                type: webhook
                url: https://12345.example.gov.cn/gridwatch
                secret_file: \(dir.path)/whsec
                events: [created, ticket.dispatched]
                grids: [town]
                categories: [hazard]
                min_severity: high
                attach: snapshot
                retry: {waits: [1s, 10s], then: 1m, give_up_after: 1h}
              - id: group
                type: wecom
                url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6
              - id: ding
                type: dingtalk
                url: https://oapi.dingtalk.com/robot/send?access_token=abc
                secret_env: GW_TEST_DING
                language: bilingual
              - id: script
                type: exec
                command: [/bin/true, --flag]
                timeout: 5s
            """
        let config = try parse(text, daemon: "  hooks_listen: 127.0.0.1:8610")
        let n = config.notify
        #expect(n.map(\.id) == ["city", "group", "ding", "script"])
        #expect(n[0].route.events == [.created, .dispatched] && n[0].route.grids == ["town"] && n[0].route.categories == [.hazard])
        #expect(n[0].route.minSeverity == .high && n[0].attachSnapshot && n[0].secret?.count == 24 && n[0].inbound)
        #expect(n[0].retry.waits == [1, 10] && n[0].retry.thereafter == 60 && n[0].retry.giveUpAfter == 3600)
        // Messenger groups: what someone acts on, 20 a minute, one at a time.
        #expect(n[1].route.events == NotifyEventType.messengerDefault && n[1].perMinute == 20 && n[1].concurrency == 1)
        #expect(n[1].redactedURL == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***")
        #expect(n[2].secret == Array("SECabc".utf8) && n[2].language == .bilingual)
        #expect(n[3].command == ["/bin/true", "--flag"] && n[3].timeout == 5 && n[3].concurrency == 2 && n[3].route.events == nil)
        #expect(config.daemon.hooksListen == HostPort(host: "127.0.0.1", port: 8610))
    }

    @Test(arguments: [
        ("  - {id: a, type: webhook, url: 'https://h/x', secret_env: GW_UNSET_VARIABLE}", "notify[0].secret_env", "environment variable GW_UNSET_VARIABLE is not set"),
        ("  - {id: a, type: webhook, url: 'https://h/x'}", "notify[0].secret_file", "is required (or secret_env)"),
        ("  - {id: a, type: pager, url: 'https://h/x'}", "notify[0].type", nil),
        ("  - {id: a, type: exec, command: [/no/such/program]}", "notify[0].command", nil),
        ("  - {id: a, type: exec, command: [/bin/true], url: 'https://h'}", "notify[0].url", "is not for type exec"),
        ("  - {id: a, type: wecom, url: 'https://h/x?key=k', events: [created, opened]}", "notify[0].events[1]", nil),
        ("  - {id: a, type: wecom, url: 'https://h/x?key=k', grids: [west]}", "notify[0].grids[0]", "no grid with id 'west'"),
        ("  - {id: a, type: wecom, url: 'https://h/x?key=k'}\n  - {id: a, type: wecom, url: 'https://h/y?key=k'}", "notify[1].id", "duplicate notify destination id 'a'"),
    ] as [(String, String, String?)])
    func mistakesAreNamedByKey(text: String, key: String, message: String?) {
        let e = error(text)
        #expect(e?.key == key, "\(String(describing: e))")
        if let message { #expect(e?.message == message) }
    }

    /// Keys in URLs and secrets in files or the environment never come back in an error.
    @Test func secretsNeverAppearInErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gw-notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "not-a-whsec-TopSecretValue\n".write(to: dir.appendingPathComponent("bad"), atomically: true, encoding: .utf8)
        for text in [
            "  - {id: a, type: webhook, url: 'https://h/x', secret_file: \(dir.path)/bad}",
            "  - {id: a, type: webhook, url: 'https://h/x', secret_env: GW_TEST_BAD_SECRET}",
            "  - {id: a, type: wecom, url: 'ftp://h/x?key=TopSecretValue'}",
            "  - {id: a, type: wecom, url: 'qyapi?key=TopSecretValue'}",
            "  - {id: a, type: dingtalk, url: 'https://u:TopSecretValue@h/x', grids: [nowhere]}",
        ] {
            let e = try #require(error(text))
            #expect(!e.description.contains("TopSecretValue"), "\(e)")
        }
    }

    @Test func callbacksListenOnLoopbackOnlyWithoutTLSAndNeedADestinationThatTakesThem() {
        let wecom = "  - {id: a, type: wecom, url: 'https://h/x?key=k'}"
        let webhook = "  - {id: a, type: webhook, url: 'https://h/x', secret_env: GW_TEST_WHSEC}"
        #expect(error(wecom, daemon: "  hooks_listen: 0.0.0.0:8610")?.key == "daemon.hooks_listen")
        #expect(error(webhook, daemon: "  hooks_listen: 0.0.0.0:8610")?.message.contains("unless hooks_tls_cert and hooks_tls_key are given") == true)
        #expect(error(webhook, daemon: "  hooks_listen: 0.0.0.0:8610\n  hooks_tls_cert: /etc/ssl/x.pem")?.key == "daemon.hooks_tls_key")
        // A key file that is not one: named by path, its contents never quoted.
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("gw-tls-\(UUID().uuidString.prefix(6)).pem").path
        _ = FileManager.default.createFile(atPath: bad, contents: Data("-----BEGIN PRIVATE KEY-----\nTopSecretKeyMaterial\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let e = error(webhook, daemon: "  hooks_listen: 0.0.0.0:8610\n  hooks_tls_cert: \(bad)\n  hooks_tls_key: \(bad)")
        #expect(e?.key == "daemon.hooks_tls_cert" && e?.message.contains(bad) == true && !(e?.description.contains("TopSecret") ?? true))
        #expect(error(wecom, daemon: "  hooks_listen: 127.0.0.1:8610")?.message == "no notify destination of type webhook takes callbacks (inbound: true)")
    }
}

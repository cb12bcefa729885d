import Catalog
@testable import ControlClient
import Testing

@Suite struct AcceptLanguageTests {
    @Test func everyRequestAsksForTheUsersLanguage() {
        let zh = ControlClient(socketPath: "/nonexistent", language: .zh).requestHead("GET", "/v1/health")
        #expect(zh.hasPrefix("GET /v1/health HTTP/1.1\r\n") && zh.hasSuffix("\r\n\r\n"))
        #expect(zh.contains("\r\nAccept-Language: zh-CN\r\n"))
        #expect(ControlClient(socketPath: "/nonexistent", language: .en).requestHead("GET", "/").contains("\r\nAccept-Language: en\r\n"))
    }

    @Test func noLanguageOrBilingualSendsNoHeader() {
        #expect(!ControlClient(socketPath: "/nonexistent").requestHead("GET", "/").contains("Accept-Language"))
        #expect(!ControlClient(socketPath: "/nonexistent", language: .bilingual).requestHead("GET", "/").contains("Accept-Language"))
    }

    @Test func aCallersOwnHeaderWins() {
        let head = ControlClient(socketPath: "/nonexistent", language: .zh)
            .requestHead("GET", "/", headers: [("accept-language", "en"), ("Last-Event-ID", "7")])
        #expect(!head.contains("zh-CN") && head.contains("\r\naccept-language: en\r\nLast-Event-ID: 7\r\n\r\n"))
    }
}

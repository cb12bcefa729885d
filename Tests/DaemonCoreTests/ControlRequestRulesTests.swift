@testable import DaemonCore
import Foundation
import Hummingbird
import Testing

/// The request rules of the control API on their own: what the end-to-end tests in
/// HTTPConformanceTests show through the socket, case by case.
@Suite struct ControlRequestRulesTests {
    @Test func routeTableAnswersTheMethodsOfThePathTheRouterWouldPick() {
        let router = Router(context: ControlContext.self)
        router.get("/v1/health") { _, _ in "" }
        router.get("/v1/tickets/:id") { _, _ in "" }
        router.get("/v1/tickets/:id/snapshot") { _, _ in "" }
        router.post("/v1/tickets/:id/notes") { _, _ in "" }
        router.post("/v1/tickets/:id/:action") { _, _ in "" }
        router.post("/v1/reload") { _, _ in "" }
        let table = RouteTable()
        table.load(router.routes)
        #expect(table.methods(for: "/v1/health") == ["GET", "HEAD"])
        #expect(table.methods(for: "/v1/tickets/5") == ["GET", "HEAD"])
        // A literal segment wins over a parameter, as in Hummingbird's trie.
        #expect(table.methods(for: "/v1/tickets/5/snapshot") == ["GET", "HEAD"])
        #expect(table.methods(for: "/v1/tickets/5/notes") == ["POST"])
        #expect(table.methods(for: "/v1/tickets/5/acknowledge") == ["POST"])
        #expect(table.methods(for: "/v1/reload") == ["POST"])
        #expect(table.methods(for: "/v1/nothing").isEmpty)
        #expect(table.methods(for: "/v1/tickets/5/snapshot/x").isEmpty)
    }

    @Test func plainDigitsOnly() {
        #expect(PlainText.digits("42") == 42)
        #expect(PlainText.digits("0") == 0)
        for odd in ["", "+5", "-5", " 5", "5 ", "0x5", "5.0", "٥", "99999999999999999999"] {
            #expect(PlainText.digits(odd) == nil, "\(odd)")
        }
    }

    @Test func controlCharactersAreFoundWhereverTheyAre() throws {
        for text in ["a\u{0}", "\u{1B}[2J", "a\rb", "a\nb", "\t", "\u{7F}", "\u{85}", "\u{9B}"] {
            #expect(PlainText.firstControl(in: text) != nil, "\(text.unicodeScalars.map(\.value))")
            #expect(throws: ControlError.self) { try PlainText.check(text, field: "note") }
        }
        for text in ["请到道路查看 check the road", "café", "emoji 🚧", "\u{A0}nbsp", ""] {
            #expect(PlainText.firstControl(in: text) == nil, "\(text)")
        }
        #expect(throws: ControlError.badRequest(.controlCharacter(field: "note", scalar: "U+001B", offset: 1, linesAllowed: false))) {
            try PlainText.check("a\u{1B}", field: "note")
        }
    }

    @Test func jsonMediaTypes() {
        for ok in [nil, "application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=\"UTF-8\""] {
            #expect(throws: Never.self) { try JSONMediaType.check(ok) }
        }
        for bad in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/json; charset=latin1", ""] {
            #expect(throws: ControlError.self) { try JSONMediaType.check(bad) }
        }
    }

    @Test func queryStringsArePercentEncodedUTF8() {
        for ok in ["q=%E4%B8%AD", "q=a%20b", "q=", "q", "a=1&&b=2", "q=100%25"] {
            #expect(throws: Never.self) { try QueryValidationMiddleware<ControlContext>.check(ok) }
        }
        #expect(QueryValidationMiddleware<ControlContext>.decode("%ZZ") == .failure(.badEscape("%ZZ")))
        #expect(QueryValidationMiddleware<ControlContext>.decode("ab%") == .failure(.badEscape("%")))
        #expect(QueryValidationMiddleware<ControlContext>.decode("%4") == .failure(.badEscape("%4")))
        #expect(QueryValidationMiddleware<ControlContext>.decode("%E4") == .failure(.notUTF8))
        #expect(QueryValidationMiddleware<ControlContext>.decode("%00") == .failure(.control("\u{0}")))
        #expect(QueryValidationMiddleware<ControlContext>.decode("%C2%9B") == .failure(.control("\u{9B}")))
        #expect(QueryValidationMiddleware<ControlContext>.decode("%e4%b8%ad") == .success("中"))
    }
}

import Catalog
import Foundation
import Testing

@Suite struct LanguageTests {
    @Test(arguments: [
        (nil, Language.bilingual), ("", .bilingual), ("zh-CN", .zh), ("zh", .zh), ("zh-Hans-CN;q=0.9", .zh), ("en-US", .en),
        ("en-US,zh-CN;q=0.8", .en), ("zh-CN,zh;q=0.9,en;q=0.8", .zh), ("en;q=0.5, zh;q=0.6", .zh), ("fr-FR", .bilingual),
        ("fr, en;q=0.1", .en), ("*", .zh), ("en;q=0", .bilingual), ("zh;q=abc, en", .en), ("de, *;q=0.5", .zh),
        ("zh;q=0, *", .en), ("en-US,zh-CN", .en), ("zh-CN,en-US", .zh), ("*;q=0.5, en", .en),
    ] as [(String?, Language)])
    func acceptLanguage(header: String?, expected: Language) {
        #expect(Language.negotiate(acceptLanguage: header) == expected)
    }

    @Test func environmentFollowsGettextPrecedence() {
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8"], fallback: .en) == .zh)
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"], fallback: .zh) == .en)
        #expect(Language.fromEnvironment(["LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"], fallback: .en) == .zh)
        #expect(Language.fromEnvironment(["LANG": "C.UTF-8"], fallback: .bilingual) == .bilingual)
        #expect(Language.fromEnvironment([:], fallback: .en) == .en)
        #expect(Language.fromEnvironment(["LC_ALL": "", "LANG": "zh_CN"], fallback: .en) == .zh)
    }

    @Test func bilingualIsChineseFirst() {
        let m = APIMessage.noSuchTicket(id: 5)
        #expect(m.text(.zh) == "没有工单 5")
        #expect(m.text(.en) == "no ticket 5")
        #expect(m.text(.bilingual) == "没有工单 5 / no ticket 5")
        #expect(m.code == "no_such_ticket")
        #expect(APIMessage.internalError.code == "internal_error")
        #expect(APIMessage.notUTF8(charset: "x").code == "not_utf8" && APIMessage.badTicketID(text: "x").code == "bad_ticket_id")
    }

    @Test func ticketTextRoundTripsThroughJSON() throws {
        let texts: [TicketText] = [
            .crossing(line: "路口线", way: .leftToRight, camera: "东门"), .crossing(line: "l", way: nil, camera: "c"),
            .offlineAgain(since: "2026-12-01 08:00:00", fault: .refused(detail: "Connection refused")), .plain("负载测试"),
        ]
        for text in texts {
            let data = try JSONEncoder().encode(text)
            #expect(try JSONDecoder().decode(TicketText.self, from: data) == text)
        }
        #expect(TicketText.crossing(line: "路口线", way: .leftToRight, camera: "东门").zh == "越线（由左向右）：路口线 @ 东门")
        #expect(TicketText.crossing(line: "l", way: .bottomToTop, camera: "c").en == "Line crossed bottom to top: l @ c")
        #expect(!TicketText.crossing(line: "l", way: .bottomToTop, camera: "c").zh.contains("→"))
    }

    @Test func termsReadInChineseAndStayCodesInEnglish() {
        #expect(Term("new").zh == "待签收")
        #expect(Term("reopen").zh == "退回重办")
        #expect(Term("camera_offline").text(.en) == "camera_offline")
        #expect(Term("no_such_code").zh == "no_such_code")
    }
}

import Catalog
import Foundation
import Notify
import Testing

@Suite struct RobotMessageTests {
    func notice(_ type: NotifyEventType, phone: String? = "13800138000") -> TicketNotice {
        var n = TicketNotice(type: type, ticketID: 42, title: "进入区域：河堤 @ 村口东", camera: "村口东", grid: "东村网格",
                             severity: "high", state: type == .dispatched ? "dispatched" : "new", occurredAt: "2026-12-01 08:30:05")
        n.deadline = "2026-12-01 10:30"
        n.deadlineIsAcknowledge = type != .dispatched
        if type == .dispatched {
            n.assigneeName = "王五"
            n.assigneePhone = phone
        }
        return n
    }

    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func weComGetsMarkdownAndTextWithAMention() throws {
        // WeCom's documented shapes: {"msgtype":"markdown","markdown":{"content":…}} and
        // {"msgtype":"text","text":{"content":…,"mentioned_mobile_list":[…]}}.
        let created = try object(RobotMessage.wecom(notice(.created)))
        #expect(created["msgtype"] as? String == "markdown")
        let content = try #require((created["markdown"] as? [String: Any])?["content"] as? String)
        #expect(content.hasPrefix("**【新工单】工单 #42**\n> 进入区域：河堤 @ 村口东\n> 摄像头：村口东"))
        #expect(content.contains("> 签收时限：2026-12-01 10:30"))
        #expect(content.contains("gridwatchctl ack 42"))
        #expect(created.count == 2)

        let dispatched = try object(RobotMessage.wecom(notice(.dispatched)))
        #expect(dispatched["msgtype"] as? String == "text")
        let text = try #require(dispatched["text"] as? [String: Any])
        #expect(text["mentioned_mobile_list"] as? [String] == ["13800138000"])
        #expect((text["content"] as? String)?.contains("派单给：王五（13800138000）") == true)
        // No phone: no mention, markdown.
        #expect(try object(RobotMessage.wecom(notice(.dispatched, phone: nil)))["msgtype"] as? String == "markdown")
    }

    @Test func dingTalkGetsMarkdownWithTitleAndAt() throws {
        // DingTalk's documented shape: {"msgtype":"markdown","markdown":{"title":…,"text":…},"at":{"atMobiles":[…],"isAtAll":false}}.
        let m = try object(RobotMessage.dingtalk(notice(.dispatched)))
        #expect(m["msgtype"] as? String == "markdown")
        let md = try #require(m["markdown"] as? [String: Any])
        #expect(md["title"] as? String == "【工单已派单】工单 #42")
        let text = try #require(md["text"] as? String)
        #expect(text.hasPrefix("#### 【工单已派单】工单 #42\n- 进入区域：河堤 @ 村口东"))
        #expect(text.hasSuffix("\n\n@13800138000"))
        let at = try #require(m["at"] as? [String: Any])
        #expect(at["atMobiles"] as? [String] == ["13800138000"])
        #expect(at["isAtAll"] as? Bool == false)
        let created = try object(RobotMessage.dingtalk(notice(.created)))
        #expect((created["at"] as? [String: Any])?["atMobiles"] == nil)
    }

    @Test func textWeDidNotWriteCannotBecomeMarkup() throws {
        var n = notice(.note)
        n.note = "see [this](http://evil.example) # now\nand **bold**"
        n.actor = "operator:li"
        let md = try #require((try object(RobotMessage.wecom(n))["markdown"] as? [String: Any])?["content"] as? String)
        #expect(md.contains(##"备注：see \[this\]\(http://evil.example\) # now and \*\*bold\*\*"##))
        #expect(md.contains("操作人：operator:li"))
        #expect(!md.contains("\nand"))
    }

    @Test func aTicketAPlatformTookSaysSoInsteadOfAskingForACommand() throws {
        var n = notice(.dispatched, phone: nil)
        n.caseNumber = ("city", "12345-0001")
        let md = try #require((try object(RobotMessage.wecom(n))["markdown"] as? [String: Any])?["content"] as? String)
        #expect(md.contains("> 平台案件号：12345-0001（city）") && md.contains("> 处置时限：2026-12-01 10:30"))
        #expect(md.hasSuffix("> 已由平台 city 受理，办结后平台回告；详情：gridwatchctl ticket 42"))
    }

    @Test func englishWhenAsked() throws {
        let m = try object(RobotMessage.dingtalk(notice(.created), language: .en))
        #expect((m["markdown"] as? [String: Any])?["title"] as? String == "[New ticket] ticket #42")
    }
}

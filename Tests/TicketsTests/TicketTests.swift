import Foundation
import Testing
import Tickets

@Suite struct TicketTests {
    @Test func severitiesAreOrdered() {
        #expect(Severity.low < .medium && Severity.medium < .high && Severity.high < .critical)
        #expect(Severity.allCases.sorted() == Severity.allCases)
    }

    @Test func storedNamesAreStable() {
        // These strings are in databases and API clients: changing one is a migration.
        #expect(TicketState.allCases.map(\.rawValue) == ["new", "acknowledged", "dispatched", "in_progress", "resolved", "verified", "closed", "false_alarm", "reopened"])
        #expect(TicketCategory.allCases.map(\.rawValue) == ["intrusion", "corrections", "hazard", "camera_offline", "camera_tamper", "fire_smoke"])
    }

    @Test func titlesReadInEachLanguage() {
        let title = TicketTitle.zoneEntry(zoneName: "河堤", cameraName: "东门")
        #expect(title.zh == "区域闯入：河堤 @ 东门")
        #expect(title.en == "Zone entry: 河堤 @ 东门")
        #expect(title.text(.bilingual) == "区域闯入：河堤 @ 东门 / Zone entry: 河堤 @ 东门")
    }
}

@Suite struct CrossingTitleTests {
    @Test func saysTheWayInWordsNotArrows() {
        let title = TicketTitle.crossing(lineName: "路口线", way: .leftToRight, cameraName: "东门")
        #expect(title.zh == "越线（由左向右）：路口线 @ 东门")
        #expect(title.en == "Line crossed left to right: 路口线 @ 东门")
        #expect(!TicketTitle.crossing(lineName: "l", way: .bottomToTop, cameraName: "c").text(.bilingual).contains("→"))
        #expect(TicketTitle.crossing(lineName: "l", way: nil, cameraName: "c").zh == "越线：l @ c")
    }
}

@Suite struct SpoolCompatibilityTests {
    /// A spool written before titles were catalogued holds only the bilingual text: it still
    /// decodes, and the ticket keeps that title.
    @Test func anAlertWithoutATitleEntryStillDecodes() throws {
        let old = #"{"cameraID":"c","zoneID":"z","kind":"zone_enter","trajectory":[],"gridID":"g","category":"hazard","severity":"high","title":"区域闯入 Zone entry: 河堤 @ 东门","occurredAt":0}"#
        let alert = try JSONDecoder().decode(Alert.self, from: Data(old.utf8))
        #expect(alert.title == "区域闯入 Zone entry: 河堤 @ 东门" && alert.titleText == nil)
        let command = try JSONDecoder().decode(TicketCommand.self, from: Data(
            #"{"cameraOffline":{"cameraID":"c","gridID":"g","title":"摄像头离线 Camera offline: 东门","since":0,"reason":"refused"}}"#.utf8))
        guard case let .cameraOffline(_, _, title, _, reason, titleText, fault) = command else { Issue.record("\(command)"); return }
        #expect(title.hasPrefix("摄像头离线") && reason == "refused" && titleText == nil && fault == nil)
    }
}

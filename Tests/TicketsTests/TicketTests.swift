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
        #expect(TicketCategory.allCases.map(\.rawValue) == ["intrusion", "corrections", "hazard", "camera_offline"])
    }

    @Test func titlesAreBilingual() {
        let title = TicketTitle.zoneEntry(zoneName: "河堤", cameraName: "东门")
        #expect(title.contains("区域闯入") && title.contains("Zone entry") && title.contains("河堤") && title.contains("东门"))
    }
}

@Suite struct CrossingTitleTests {
    @Test func saysTheWayInWordsNotArrows() {
        let title = TicketTitle.crossing(lineName: "路口线", way: .leftToRight, cameraName: "东门")
        #expect(title == "越线（由左向右） Line crossed left to right: 路口线 @ 东门")
        #expect(!TicketTitle.crossing(lineName: "l", way: .bottomToTop, cameraName: "c").contains("→"))
        #expect(TicketTitle.crossing(lineName: "l", way: nil, cameraName: "c") == "越线 Line crossed: l @ c")
    }
}

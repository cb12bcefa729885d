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

import Foundation
import Testing

@testable import Catalog

@Suite struct LocalTimeFormatTests {
    // 2026-12-01 00:30:05 UTC: 08:30:05 in Beijing.
    let date = Date(timeIntervalSince1970: 1_796_085_005)

    @Test func utcPatternsAreTheCLibrarysStrftime() {
        #expect(LocalTime.format(date, "%Y/%m/%d", utc: true) == "2026/12/01")
        #expect(LocalTime.format(date, "%Y-%m-%dT%H:%M:%SZ", utc: true) == "2026-12-01T00:30:05Z")
        // Fractions of a second are cut, never rounded up into the next second.
        #expect(LocalTime.format(date.addingTimeInterval(0.999), "%H:%M:%S", utc: true) == "00:30:05")
    }

    @Test func anOffsetGetsItsColonOnlyWhenAsked() {
        #expect(LocalTime.format(date, "%H:%M %z", utc: true) == "00:30 +0000")
        #expect(LocalTime.format(date, "%H:%M %z", utc: true, colonOffset: true) == "00:30 +00:00")
    }

    @Test func aZoneIsNamedFromItsFile() {
        #expect(LocalTime.zoneName(ofFile: "/usr/share/zoneinfo/Asia/Shanghai") == "Asia/Shanghai")
        #expect(LocalTime.zoneName(ofFile: "../usr/share/zoneinfo/Etc/UTC") == "Etc/UTC")
        #expect(LocalTime.zoneName(ofFile: "/etc/localtime.bak") == nil)
        #expect(LocalTime.zoneName(ofFile: "/usr/share/zoneinfo/") == nil)
    }
}

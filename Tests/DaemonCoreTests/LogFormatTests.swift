import DaemonCore
import Logging
import Testing

@Suite struct LogFormatTests {
    @Test(arguments: [
        ("plain 中文", "plain 中文"),
        ("a\nb", "a\\nb"),
        ("\u{1B}[2J\u{1B}[31mfake", "\\u{1B}[2J\\u{1B}[31mfake"),
        ("cr\rnul\u{0}del\u{7F}c1\u{85}tab\t", "cr\\rnul\\u{0}del\\u{7F}c1\\u{85}tab\\t"),
        ("back\\slash", "back\\\\slash"),
    ])
    func everyControlCharacterIsEscaped(raw: String, escaped: String) {
        #expect(DaemonLogHandler.escape(raw) == escaped)
    }

    @Test func aHostileAssigneeStaysOnOneHarmlessLine() {
        let line = DaemonLogHandler.line(level: .notice, message: "ticket action", metadata: ["assignee": "li\r\u{1B}[1A\u{0}root"], journal: true)
        #expect(line == "<5>ticket action assignee=li\\r\\u{1B}[1A\\u{0}root\n")
        #expect(!line.dropLast().unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }
}

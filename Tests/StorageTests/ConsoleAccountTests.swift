import Catalog
import Foundation
import Storage
import Testing
import TestSupport
import Tickets

@Suite struct ConsoleAccountTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// RFC 7914 §11's PBKDF2-HMAC-SHA256 vectors (first 32 bytes), and a password longer than
    /// a block (hashed first, RFC 2104), checked against Python's hashlib.
    @Test func pbkdf2MatchesTheRFCVectors() {
        #expect(hex(PasswordHash.derive("passwd", salt: Array("salt".utf8), rounds: 1))
            == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        #expect(hex(PasswordHash.derive("Password", salt: Array("NaCl".utf8), rounds: 80_000))
            == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56")
        #expect(hex(PasswordHash.derive(String(repeating: "x", count: 100), salt: Array("NaCl".utf8), rounds: 2))
            == "63d53293647e5ea0140580e7d030de8277f0d2f5e3588ad1cf0542e158e0ca60")
    }

    @Test func storedHashesAreSaltedAndVerifyOnlyTheirPassword() {
        let a = PasswordHash.make("正确的马电池钉", rounds: 1000)
        let b = PasswordHash.make("正确的马电池钉", rounds: 1000)
        #expect(a != b)
        #expect(a.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHash.verify("正确的马电池钉", against: a))
        #expect(!PasswordHash.verify("正确的马电池", against: a))
        #expect(!PasswordHash.verify("", against: a))
        #expect(!PasswordHash.verify("x", against: "pbkdf2-sha256$0$AAAA$AAAA"))
        #expect(!PasswordHash.verify("x", against: "plain"))
        #expect(PasswordHash.make("x").hasPrefix("pbkdf2-sha256$600000$"))
    }

    @Test(arguments: StoreKind.allCases) func usersSessionsAndFailures(_ kind: StoreKind) throws {
        let (store, dir) = try makeLoopStore(kind)
        defer { dir.remove() }
        try store.addConsoleUser(ConsoleUser(name: "王伟", role: .operator, grids: ["village"]), passwordHash: PasswordHash.make("pw", rounds: 10), at: t0)
        #expect(throws: ConsoleAccountError.exists("王伟")) {
            try store.addConsoleUser(ConsoleUser(name: "王伟", role: .admin), passwordHash: PasswordHash.make("pw", rounds: 10), at: t0)
        }
        #expect(throws: ConsoleAccountError.unknownGrid("nowhere")) {
            try store.addConsoleUser(ConsoleUser(name: "li", role: .viewer, grids: ["nowhere"]), passwordHash: PasswordHash.make("pw", rounds: 10), at: t0)
        }
        #expect(throws: ConsoleAccountError.badName("a b")) {
            try store.addConsoleUser(ConsoleUser(name: "a b", role: .viewer), passwordHash: PasswordHash.make("pw", rounds: 10), at: t0)
        }
        let (user, hash) = try #require(try store.consoleCredentials("王伟"))
        #expect(user.role == .operator && user.grids == ["village"] && user.language == .zh)
        #expect(PasswordHash.verify("pw", against: hash))

        try store.createConsoleSession(user: "王伟", tokenHash: "t1", csrf: "c1", at: t0)
        #expect(try store.consoleSession(tokenHash: "t1", idle: 600, at: t0 + 599)?.csrf == "c1")
        // Used at +599: idle counts from then.
        #expect(try store.consoleSession(tokenHash: "t1", idle: 600, at: t0 + 1100) != nil)
        #expect(try store.consoleSession(tokenHash: "t1", idle: 600, at: t0 + 1800) == nil)
        #expect(try store.consoleSession(tokenHash: "t1", idle: 600, at: t0 + 1801) == nil)

        try store.createConsoleSession(user: "王伟", tokenHash: "t2", csrf: "c2", at: t0)
        try store.setConsoleUserDisabled("王伟", true, at: t0 + 1)
        #expect(try store.consoleSession(tokenHash: "t2", idle: 600, at: t0 + 2) == nil)
        try store.setConsoleUserDisabled("王伟", false, at: t0 + 3)
        try store.createConsoleSession(user: "王伟", tokenHash: "t3", csrf: "c3", at: t0 + 4)
        try store.setConsolePassword("王伟", passwordHash: PasswordHash.make("new", rounds: 10), at: t0 + 5)
        #expect(try store.consoleSession(tokenHash: "t3", idle: 600, at: t0 + 6) == nil)
        #expect(throws: ConsoleAccountError.noSuchUser("nobody")) { try store.setConsoleUserDisabled("nobody", true, at: t0) }

        for i in 0..<3 { try store.recordLoginFailure("nobody", at: t0 + Double(i), keepAfter: t0 - 900) }
        #expect(try store.loginFailures("nobody", since: t0 + 1).count == 2)
        #expect(try store.gridsAtOrBelow(["town"]) == ["town", "village"])
        #expect(try store.gridsAtOrBelow(["village"]) == ["village"])
    }
}

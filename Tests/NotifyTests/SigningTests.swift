import Foundation
import Notify
import Testing

@Suite struct SigningTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func sha256MatchesTheNISTVectors() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A million 'a's, fed in uneven pieces: the block boundary is crossed mid-update.
        var s = SHA256()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            s.update(repeatElement(UInt8(ascii: "a"), count: n))
            left -= n
            piece = piece * 3 % 997 + 1
        }
        #expect(hex(s.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the padding boundary (55, 56, 64 bytes).
        #expect(hex(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 55))) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(hex(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 56))) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(hex(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 64))) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func hmacMatchesRFC4231() {
        // Test case 1, 2 and 6 (a key longer than a block).
        #expect(hex(HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(hex(HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func constantTimeEqualTellsEveryDifference() {
        #expect(HMAC.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!HMAC.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!HMAC.constantTimeEqual([9, 2, 3], [1, 2, 3]))
        #expect(!HMAC.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    // The example of the Standard Webhooks specification (its reference libraries' tests).
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test func standardWebhooksSignsAsTheSpecificationsExample() throws {
        let key = try #require(StandardWebhooks.key(fromSecret: secret))
        #expect(StandardWebhooks.signature(id: id, timestamp: 1_614_265_330, body: body, key: key) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(StandardWebhooks.key(fromSecret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(StandardWebhooks.key(fromSecret: "whsec_c2hvcnQ=") == nil)
        #expect(StandardWebhooks.key(fromSecret: "whsec_not base64!") == nil)
    }

    @Test func verificationRefusesWhatIsWrongAndTakesARotatedKey() throws {
        let key = try #require(StandardWebhooks.key(fromSecret: secret))
        let now = Date(timeIntervalSince1970: 1_614_265_330)
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        func check(_ id: String? = "msg_p5jXN8AQM9LWM0D4loKWxJek", ts: String? = "1614265330", sig: String? = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                   body: [UInt8]? = nil, now: Date = Date(timeIntervalSince1970: 1_614_265_330)) -> StandardWebhooks.Refusal? {
            switch StandardWebhooks.verify(id: id, timestamp: ts, signature: sig, body: body ?? self.body, key: key, now: now) {
            case .success: nil
            case let .failure(r): r
            }
        }
        #expect(check() == nil)
        #expect(check(sig: "v1,bm90IGl0 " + good) == nil) // one of several signatures
        #expect(check(now: now.addingTimeInterval(299)) == nil)
        #expect(check(now: now.addingTimeInterval(301)) == .outsideTolerance(seconds: 301))
        #expect(check(now: now.addingTimeInterval(-301)) == .outsideTolerance(seconds: -301))
        #expect(check(body: Array(#"{"test": 2432232315}"#.utf8)) == .badSignature)
        #expect(check("msg_other") == .badSignature)
        #expect(check(sig: "v2," + good.dropFirst(3)) == .badSignature)
        #expect(check(nil) == .missingHeader("webhook-id"))
        #expect(check(ts: nil) == .missingHeader("webhook-timestamp"))
        #expect(check(sig: "") == .missingHeader("webhook-signature"))
        #expect(check(ts: "yesterday") == .badTimestamp)
        // Values that would overflow the difference with our clock.
        #expect(check(ts: "-9223372036854775808") == .badTimestamp)
        #expect(check(ts: "9223372036854775807") == .badTimestamp)
        #expect(check(ts: "-1") == .badTimestamp)
    }

    @Test func dingTalkSignsAsItsDocumentationSays() {
        // DingTalk's documented algorithm (its Python example: hmac.new(secret, "{timestamp}\n{secret}",
        // sha256), base64, then quote_plus) run on this timestamp and secret gave this value.
        let secret = "SEC3b5a3f1d0e1c4b2a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938"
        #expect(DingTalkSigning.sign(timestampMillis: 1_577_262_236_757, secret: secret) == "HzPTCf/EeACTWnvbcKF2It2GpmPekH74mESpywGWPek=")
        let url = DingTalkSigning.signedURL("https://oapi.dingtalk.com/robot/send?access_token=T", timestampMillis: 1_577_262_236_757, secret: secret)
        #expect(url == "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1577262236757&sign=HzPTCf%2FEeACTWnvbcKF2It2GpmPekH74mESpywGWPek%3D")
    }
}

import Digests

/// SHA-256 (FIPS 180-4, in C: `Sources/Digests`, shared with the console's PBKDF2) and
/// HMAC-SHA256 (RFC 2104), for signing and checking webhooks.
///
/// Written here rather than taken from a crypto package: the daemon needs only these
/// functions, and a package that carries its own BoringSSL costs minutes in every clean
/// build. Checked against the NIST and RFC 4231 vectors in the tests.
public struct SHA256: Sendable {
    private var context = gw_sha256_ctx()

    public static let blockSize = 64

    public init() { gw_sha256_init(&context) }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBufferPointer { gw_sha256_update(&context, $0.baseAddress, $0.count) }
    }

    public mutating func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        gw_sha256_final(&context, &out)
        gw_sha256_init(&context)
        return out
    }

    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var s = SHA256()
        s.update(bytes)
        return s.finish()
    }
}

public enum HMAC {
    /// HMAC-SHA256 of `message` under `key`.
    public static func sha256<K: Collection, M: Collection>(key: K, message: M) -> [UInt8] where K.Element == UInt8, M.Element == UInt8 {
        var k = Array(key)
        if k.count > SHA256.blockSize { k = SHA256.hash(k) }
        k.append(contentsOf: repeatElement(0, count: SHA256.blockSize - k.count))
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        let innerHash = inner.finish()
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(innerHash)
        return outer.finish()
    }

    /// Equal bytes, in a time that depends only on the lengths (no early exit on the first
    /// difference, which would tell an attacker how much of a forged signature is right).
    public static func constantTimeEqual<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

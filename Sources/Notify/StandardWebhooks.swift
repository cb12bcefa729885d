import Foundation

/// The Standard Webhooks signature scheme (standardwebhooks.com): a message is signed as
/// `base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))`, sent as `webhook-signature:
/// v1,<signature>` beside `webhook-id` and `webhook-timestamp` (Unix seconds). Secrets are
/// written `whsec_<base64>`; the bytes after the prefix are the key.
public enum StandardWebhooks {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// How far a signed timestamp may be from our clock, either way.
    public static let tolerance: TimeInterval = 300

    /// The key in a `whsec_…` secret, or nil when it is not one (no prefix, not base64, or
    /// shorter than 24 bytes, the spec's minimum).
    public static func key(fromSecret secret: String) -> [UInt8]? {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("whsec_"), let data = Data(base64Encoded: String(trimmed.dropFirst(6))), data.count >= 24, data.count <= 64 else {
            return nil
        }
        return Array(data)
    }

    /// The `webhook-signature` value for a message.
    public static func signature(id: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        return "v1," + Data(HMAC.sha256(key: key, message: message)).base64EncodedString()
    }

    /// Why a received message was refused.
    public enum Refusal: Error, Equatable, Sendable {
        case missingHeader(String)
        case badTimestamp
        /// Older than the tolerance (a replay of a captured message) or from the future.
        case outsideTolerance(seconds: Int64)
        case badSignature
    }

    /// Check a received message: every header present, the timestamp within `tolerance` of
    /// `now`, and one of the `v1` signatures in the header (space-separated, as the spec
    /// allows during a key rotation) right, compared in constant time.
    public static func verify(id: String?, timestamp: String?, signature: String?, body: [UInt8], key: [UInt8], now: Date,
                              tolerance: TimeInterval = tolerance) -> Result<Void, Refusal> {
        guard let id, !id.isEmpty else { return .failure(.missingHeader(idHeader)) }
        guard let timestamp, !timestamp.isEmpty else { return .failure(.missingHeader(timestampHeader)) }
        guard let signature, !signature.isEmpty else { return .failure(.missingHeader(signatureHeader)) }
        // Unix seconds between 1970 and 5138: anything else is not a time (and would
        // overflow the difference below).
        guard let seconds = Int64(timestamp), (0...100_000_000_000).contains(seconds) else { return .failure(.badTimestamp) }
        let skew = Int64(now.timeIntervalSince1970.rounded()) - seconds
        if abs(skew) > Int64(tolerance) { return .failure(.outsideTolerance(seconds: skew)) }
        let expected = Array(Self.signature(id: id, timestamp: seconds, body: body, key: key).utf8)
        for candidate in signature.split(separator: " ") where candidate.hasPrefix("v1,") {
            if HMAC.constantTimeEqual(Array(candidate.utf8), expected) { return .success(()) }
        }
        return .failure(.badSignature)
    }
}

/// DingTalk group robots in signed mode (加签): `timestamp` (milliseconds) and `sign` =
/// base64 HMAC-SHA256 of `"{timestamp}\n{secret}"` keyed with the secret, both added to the
/// robot's URL as query parameters.
public enum DingTalkSigning {
    public static func sign(timestampMillis: Int64, secret: String) -> String {
        let text = "\(timestampMillis)\n\(secret)"
        return Data(HMAC.sha256(key: Array(secret.utf8), message: Array(text.utf8))).base64EncodedString()
    }

    /// `url` with `timestamp` and `sign` appended (the signature percent-encoded: base64 has
    /// `+`, `/` and `=`).
    public static func signedURL(_ url: String, timestampMillis: Int64, secret: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let sign = sign(timestampMillis: timestampMillis, secret: secret).addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return url + (url.contains("?") ? "&" : "?") + "timestamp=\(timestampMillis)&sign=\(sign)"
    }
}

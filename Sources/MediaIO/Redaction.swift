/// Stream URLs carry credentials (`rtsp://user:secret@host/...`). Everything that
/// leaves the daemon as text (logs, API answers, tickets) goes through here first.
public enum Redaction {
    /// `rtsp://user:secret@host:554/x` becomes `rtsp://***@host:554/x`; text without
    /// credentials is returned unchanged. Works on URLs embedded in longer text.
    ///
    /// It does not parse URLs: a password may hold an unencoded `/`, `?`, `#` or `@` that a
    /// URL parser would take for the end of the credentials. Everything between `://` and the
    /// last `@` of the token (which ends at whitespace or a quote) is removed, so
    /// `rtsp://cam:Mn/Op9@host/cam` becomes `rtsp://***@host/cam`. An `@` later in a path
    /// hides a little more than needed, never less.
    ///
    /// Keys in a URL's query (`?key=…` of a WeCom robot, `access_token=…` of a DingTalk
    /// robot, `sign=`, `token=`, `secret=`, `password=` …) become `***` too.
    public static func redact(_ text: String) -> String {
        redactQuery(redactCredentials(text))
    }

    /// Query parameters whose values are secrets, lower-case.
    static let secretParameters: Set<String> = [
        "key", "access_token", "token", "sign", "signature", "secret", "password", "pass", "pwd", "auth", "apikey", "api_key", "access_key", "sig",
    ]

    /// A name above, or one that ends like a secret's (`client_secret`, `appkey`, `accessToken`,
    /// `x-signature`): hiding an innocent value costs less than showing a key.
    static func isSecretParameter(_ name: String) -> Bool {
        if secretParameters.contains(name) { return true }
        return ["token", "secret", "key", "sign", "signature", "password", "passwd"].contains { name.hasSuffix($0) }
    }

    static func redactQuery(_ text: String) -> String {
        guard text.contains("=") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            out.append(c)
            i += 1
            guard c == "?" || c == "&" else { continue }
            // A parameter's name, then '='.
            var j = i
            while j < scalars.count, scalars[j] != "=", scalars[j] != "&", !endsToken(scalars[j]), scalars[j] != "#" { j += 1 }
            guard j < scalars.count, scalars[j] == "=" else { continue }
            let name = String(String.UnicodeScalarView(scalars[i..<j])).lowercased()
            guard isSecretParameter(name) else { continue }
            out.append(contentsOf: scalars[i...j])
            out.append(contentsOf: "***".unicodeScalars)
            var k = j + 1
            while k < scalars.count, scalars[k] != "&", scalars[k] != "#", !endsToken(scalars[k]) { k += 1 }
            i = k
        }
        return String(out)
    }

    static func redactCredentials(_ text: String) -> String {
        guard text.contains("://") else { return text }
        // Unicode scalars, not characters: no grapheme breaking on every log line.
        let scalars = text.unicodeScalars
        var out = String.UnicodeScalarView()
        var copied = scalars.startIndex
        var i = scalars.startIndex
        while i < scalars.endIndex {
            guard scalars[i] == ":", scalars[i...].starts(with: "://".unicodeScalars) else {
                i = scalars.index(after: i)
                continue
            }
            let userStart = scalars.index(i, offsetBy: 3)
            var at: String.UnicodeScalarView.Index?
            var j = userStart
            while j < scalars.endIndex, !endsToken(scalars[j]) {
                if scalars[j] == "@" { at = j }
                j = scalars.index(after: j)
            }
            if let at {
                out.append(contentsOf: scalars[copied..<userStart])
                out.append(contentsOf: "***".unicodeScalars)
                // The '@' and the host are copied later.
                copied = at
                i = at
            } else {
                i = userStart
            }
        }
        out.append(contentsOf: scalars[copied...])
        return String(out)
    }

    private static func endsToken(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || c == "\"" || c == "'"
    }
}

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
    public static func redact(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        while let schemeEnd = rest.range(of: "://") {
            out += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            let tokenEnd = rest.firstIndex(where: endsToken) ?? rest.endIndex
            if let at = rest[..<tokenEnd].lastIndex(of: "@") {
                out += "***"
                // The '@' and the host are copied by the next round (or the end).
                rest = rest[at...]
            }
        }
        out += rest
        return out
    }

    private static func endsToken(_ c: Character) -> Bool {
        c.isWhitespace || c == "\"" || c == "'"
    }
}

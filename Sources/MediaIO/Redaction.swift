/// Stream URLs carry credentials (`rtsp://user:secret@host/...`). Everything that
/// leaves the daemon as text (logs, API answers, tickets) goes through here first.
public enum Redaction {
    /// `rtsp://user:secret@host:554/x` becomes `rtsp://***@host:554/x`; text without
    /// credentials is returned unchanged. Works on URLs embedded in longer text.
    public static func redact(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        out.reserveCapacity(text.count)
        var rest = Substring(text)
        while let schemeEnd = rest.range(of: "://") {
            out += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            // The authority ends at the first '/', '?', '#' or whitespace.
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\"" || $0 == "'" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                out += "***@"
                out += authority[authority.index(after: at)...]
            } else {
                out += authority
            }
            rest = rest[authorityEnd...]
        }
        out += rest
        return out
    }
}

import ControlProtocol
import Foundation

/// One Server-Sent Event as `GET /v1/events` sends it.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String
    public var data: String
}

/// Turns a byte stream (after the HTTP head, chunked or not) into events.
struct EventStreamParser {
    private var chunked: Bool
    private var pending: [UInt8] = []
    /// Bytes of the current chunk still to come (chunked bodies).
    private var chunkLeft = 0
    private var lineBuffer: [UInt8] = []
    private var id: String?
    private var event = ""
    private var data: [String] = []

    init(chunked: Bool) { self.chunked = chunked }

    /// Feed received body bytes; returns the events they completed.
    mutating func feed(_ bytes: [UInt8]) -> [ServerSentEvent] {
        var body: [UInt8] = []
        if chunked {
            pending += bytes
            var i = 0
            while i < pending.count {
                if chunkLeft > 0 {
                    let take = min(chunkLeft, pending.count - i)
                    body += pending[i..<(i + take)]
                    i += take
                    chunkLeft -= take
                    if chunkLeft == 0 { chunkLeft = -2 } // the CRLF after the data
                    continue
                }
                if chunkLeft < 0 {
                    // Skip the CRLF after a chunk's data.
                    let skip = min(-chunkLeft, pending.count - i)
                    i += skip
                    chunkLeft += skip
                    continue
                }
                guard let end = ControlClient.find(pending, [13, 10], from: i) else { break }
                let sizeText = String(decoding: pending[i..<end], as: UTF8.self).split(separator: ";").first ?? ""
                chunkLeft = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                i = end + 2
                if chunkLeft == 0 { pending = []; return lines(body) } // last chunk
            }
            pending.removeFirst(i)
        } else {
            body = bytes
        }
        return lines(body)
    }

    private mutating func lines(_ body: [UInt8]) -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        for byte in body {
            if byte != 10 {
                lineBuffer.append(byte)
                continue
            }
            var line = String(decoding: lineBuffer, as: UTF8.self)
            lineBuffer = []
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty || !event.isEmpty {
                    out.append(ServerSentEvent(id: id, event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n")))
                }
                event = ""
                data = []
                continue
            }
            if line.hasPrefix(":") { continue }
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            let field = parts[0], value = parts.count > 1 ? (parts[1].hasPrefix(" ") ? String(parts[1].dropFirst()) : parts[1]) : ""
            switch field {
            case "id": id = value
            case "event": event = value
            case "data": data.append(value)
            default: break
            }
        }
        return out
    }
}

extension ControlClient {
    /// Follow `GET path` as an event stream, calling `onEvent` for each event until the stream
    /// ends (nil), `onEvent` returns false, or the connection fails (thrown). Sends
    /// `Last-Event-ID` when given. Blocks; the read timeout does not apply (the daemon sends a
    /// keep-alive comment every 15 s).
    public func follow(_ path: String, lastEventID: String? = nil, onEvent: (ServerSentEvent) -> Bool) throws(ClientError) {
        let fd = try connectForStream()
        defer { close(fd) }
        let head = requestHead("GET", path, connectionClose: false,
                        headers: [("Accept", "text/event-stream")] + (lastEventID.map { [("Last-Event-ID", $0)] } ?? []))
        try sendAll(fd, Array(head.utf8))
        var received: [UInt8] = []
        var parser: EventStreamParser?
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                if parser == nil { throw .badResponse("connection closed before an answer") }
                return
            }
            let bytes = Array(buffer[0..<n])
            if parser == nil {
                received += bytes
                guard let end = Self.find(received, [13, 10, 13, 10], from: 0) else { continue }
                let (status, headers) = try Self.parseHead(received, headEnd: end)
                let answer = HTTPAnswer(status: status, headers: headers, body: [])
                if !(200..<300).contains(answer.status) {
                    // An error answer: read the rest (it is short) and report it.
                    var rest = Array(received[(end + 4)...])
                    while true {
                        let m = recv(fd, &buffer, buffer.count, 0)
                        if m <= 0 { break }
                        rest += buffer[0..<m]
                    }
                    let body = answer.headers["transfer-encoding"]?.lowercased().contains("chunked") == true ? ((try? Self.dechunk(rest)) ?? rest) : rest
                    try Self.check(HTTPAnswer(status: answer.status, headers: answer.headers, body: body))
                }
                var p = EventStreamParser(chunked: answer.headers["transfer-encoding"]?.lowercased().contains("chunked") == true)
                for event in p.feed(Array(received[(end + 4)...])) where !onEvent(event) { return }
                parser = p
                continue
            }
            for event in parser!.feed(bytes) where !onEvent(event) { return }
        }
    }
}

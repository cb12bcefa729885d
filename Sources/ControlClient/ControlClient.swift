import Catalog
import ControlProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a call to the daemon failed.
public enum ClientError: Error, CustomStringConvertible {
    /// Nothing is listening on the socket (daemon not running, wrong path, no permission).
    /// `code`: the `errno` of the failed call (0 when none), for a message in the user's
    /// language; `reason` is the C library's English for it.
    case unreachable(path: String, reason: String, code: Int32)
    /// The daemon answered with an error status.
    case refused(status: Int, reason: String)
    /// The answer could not be read.
    case badResponse(String)
    /// The socket is there but this user may not open it (its mode and group).
    case permissionDenied(path: String)
    /// Something on this machine could not be written (the backup's destination); the
    /// daemon is not at fault.
    case localWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreachable(path, reason, _): "cannot reach gridwatchd at \(path): \(reason)"
        case let .refused(status, reason): "\(status): \(reason)"
        case let .badResponse(why): "unreadable answer from gridwatchd: \(why)"
        case let .permissionDenied(path): "permission denied on \(path): this user may not open the control socket"
        case let .localWrite(path, reason): "cannot write \(path): \(reason)"
        }
    }
}

/// One HTTP answer.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}

/// A small blocking HTTP/1.1 client for the daemon's Unix socket: one request per connection.
public struct ControlClient: Sendable {
    public let socketPath: String
    public var timeout: Double
    /// The language the daemon is asked to answer in (the reasons of its refusals), sent as
    /// `Accept-Language` with every request: `zh-CN` for Chinese, `en` for English. Nil (or
    /// bilingual) sends no header, and the daemon answers in both languages.
    public var language: Language?

    public init(socketPath: String, timeout: Double = 30, language: Language? = nil) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.language = language
    }

    /// The `Accept-Language` value for `language`; nil for none.
    var acceptLanguage: String? {
        switch language {
        case .zh: "zh-CN"
        case .en: "en"
        case .bilingual, nil: nil
        }
    }

    /// A request's head, ending in the empty line: the request line, the headers every
    /// request carries (`Accept-Language` among them, unless `headers` has its own) and
    /// then `headers`, in order.
    func requestHead(_ method: String, _ path: String, connectionClose: Bool = true, headers: [(String, String)] = []) -> String {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        if connectionClose { head += "Connection: close\r\n" }
        head += "User-Agent: gridwatchctl\r\n"
        if let acceptLanguage, !headers.contains(where: { $0.0.lowercased() == "accept-language" }) {
            head += "Accept-Language: \(acceptLanguage)\r\n"
        }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        return head + "\r\n"
    }

    /// Send a request and return the raw answer, whatever its status.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]) throws(ClientError) -> HTTPAnswer {
        let fd = try connectSocket()
        defer { close(fd) }
        let head = requestHead(method, path, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + (body.map { [("Content-Length", "\($0.count)")] } ?? []))
        try writeAll(fd, Array(head.utf8) + (body ?? []))
        let raw = try readAll(fd)
        return try Self.parse(raw)
    }

    /// GET a JSON document, throwing `refused` for error statuses.
    public func get<T: Decodable>(_ path: String, as type: T.Type) throws(ClientError) -> T {
        let answer = try request("GET", path, headers: ["Accept": "application/json"])
        try Self.check(answer)
        do {
            return try ControlAPI.decoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw .badResponse("\(error)")
        }
    }

    /// POST a JSON body and decode the JSON answer, throwing `refused` for error statuses.
    public func post<B: Encodable, T: Decodable>(_ path: String, body: B, as type: T.Type) throws(ClientError) -> T {
        let data: Data
        do {
            data = try ControlAPI.encoder().encode(body)
        } catch {
            throw .badResponse("cannot encode the request: \(error)")
        }
        let answer = try request("POST", path, body: Array(data), headers: ["Accept": "application/json", "Content-Type": "application/json"])
        try Self.check(answer)
        do {
            return try ControlAPI.decoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw .badResponse("\(error)")
        }
    }

    /// Send a request whose answer is the same JSON document on success and on some error
    /// statuses (a configuration check answers 422 with its report); other errors throw `refused`.
    public func exchange<T: Decodable>(_ method: String, _ path: String, as type: T.Type, alsoAccepting: Set<Int> = []) throws(ClientError) -> (status: Int, value: T) {
        let answer = try request(method, path, headers: ["Accept": "application/json"])
        if !alsoAccepting.contains(answer.status) { try Self.check(answer) }
        do {
            return (answer.status, try ControlAPI.decoder().decode(T.self, from: Data(answer.body)))
        } catch {
            throw .badResponse("\(error)")
        }
    }

    /// GET raw bytes (snapshots), throwing `refused` for error statuses.
    public func getBytes(_ path: String) throws(ClientError) -> [UInt8] {
        let answer = try request("GET", path)
        try Self.check(answer)
        return answer.body
    }

    /// GET a large body (a backup) straight into the file at `destination`, never holding it
    /// in memory: written to `destination.partial`, then renamed once every byte arrived.
    /// Returns the number of bytes written.
    public func download(_ path: String, to destination: String) throws(ClientError) -> Int {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeAll(fd, Array(requestHead("GET", path).utf8))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        func receive() throws(ClientError) -> Int {
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n >= 0 { return n }
                if errno == EINTR { continue }
                throw .badResponse(errno == EAGAIN ? "timed out after \(Int(timeout)) s" : String(cString: strerror(errno)))
            }
        }
        var headEnd: Int?
        while headEnd == nil {
            let n = try receive()
            if n == 0 { throw .badResponse("connection closed before the answer's head") }
            pending += buffer[0..<n]
            headEnd = Self.find(pending, [13, 10, 13, 10], from: 0)
        }
        let (status, headers) = try Self.parseHead(pending, headEnd: headEnd!)
        var body = Array(pending[(headEnd! + 4)...])
        guard status == 200 else {
            while true {
                let n = try receive()
                if n == 0 { break }
                body += buffer[0..<n]
            }
            try Self.check(HTTPAnswer(status: status, headers: headers, body: body))
            throw .badResponse("unexpected status \(status)")
        }
        guard let length = headers["content-length"].flatMap(Int.init) else { throw .badResponse("no Content-Length") }
        let partial = destination + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
            throw .localWrite(path: partial, reason: String(cString: strerror(errno)))
        }
        var written = 0
        do {
            defer { try? out.close() }
            while true {
                if !body.isEmpty {
                    let take = Array(body.prefix(length - written))
                    try out.write(contentsOf: take)
                    written += take.count
                }
                if written >= length { break }
                let n = try receive()
                if n == 0 { break }
                body = Array(buffer[0..<n])
            }
            try out.synchronize()
        } catch let error as ClientError {
            unlink(partial)
            throw error
        } catch {
            unlink(partial)
            throw .localWrite(path: partial, reason: error.localizedDescription)
        }
        guard written == length else {
            unlink(partial)
            throw .badResponse("the answer ended after \(written) of \(length) bytes")
        }
        guard rename(partial, destination) == 0 else {
            throw .localWrite(path: destination, reason: "cannot rename \(partial): \(String(cString: strerror(errno)))")
        }
        return written
    }

    static func check(_ answer: HTTPAnswer) throws(ClientError) {
        guard (200..<300).contains(answer.status) else {
            let reason = (try? ControlAPI.decoder().decode(ErrorResponse.self, from: Data(answer.body)).error.reason)
                ?? String(decoding: answer.body.prefix(200), as: UTF8.self)
            throw .refused(status: answer.status, reason: reason)
        }
    }

    /// A socket for an event stream: no read timeout (the stream may be quiet for a while).
    func connectForStream() throws(ClientError) -> Int32 {
        try connectSocket(receiveTimeout: false)
    }

    func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(ClientError) {
        try writeAll(fd, bytes)
    }

    private func connectSocket(receiveTimeout: Bool = true) throws(ClientError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .unreachable(path: socketPath, reason: String(cString: strerror(errno)), code: errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        if receiveTimeout { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw .unreachable(path: socketPath, reason: "path too long", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let code = errno
            let reason = String(cString: strerror(code))
            close(fd)
            if code == EACCES || code == EPERM { throw .permissionDenied(path: socketPath) }
            throw .unreachable(path: socketPath, reason: reason, code: code)
        }
        return fd
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ClientError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .badResponse("send failed: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    private func readAll(_ fd: Int32) throws(ClientError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .badResponse(errno == EAGAIN ? "timed out after \(Int(timeout)) s" : String(cString: strerror(errno)))
            }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Parse a complete HTTP/1.1 response (Content-Length, chunked, or until close).
    static func parse(_ raw: [UInt8]) throws(ClientError) -> HTTPAnswer {
        guard let headEnd = find(raw, [13, 10, 13, 10], from: 0) else { throw .badResponse("no HTTP header") }
        let (status, headers) = try parseHead(raw, headEnd: headEnd)
        var body = Array(raw[(headEnd + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap(Int.init), length <= body.count {
            body = Array(body.prefix(length))
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    /// Status and headers (names lowercased) of a response head ending at `headEnd`.
    static func parseHead(_ raw: [UInt8], headEnd: Int) throws(ClientError) -> (Int, [String: String]) {
        let head = String(decoding: raw[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw .badResponse("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }

    static func dechunk(_ data: [UInt8]) throws(ClientError) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = find(data, [13, 10], from: i) else { throw .badResponse("truncated chunk header") }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .badResponse("bad chunk size") }
            i = lineEnd + 2
            if size == 0 { break }
            guard i + size <= data.count else { throw .badResponse("truncated chunk") }
            out.append(contentsOf: data[i..<(i + size)])
            i += size + 2
        }
        return out
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One response as it came over the wire.
public struct RawResponse: Sendable {
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    public var status: Int
    /// In the order received, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct RawSocketError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A client connection to a Unix socket that sends whatever bytes a test gives it: for
/// requests a well-behaved client (`ControlClient`) would never send. Waits are `poll`
/// on the socket, bounded by a timeout; nothing sleeps.
public final class RawSocket {
    public let fd: Int32
    /// Received bytes not yet consumed by `readResponse`.
    public private(set) var pending: [UInt8] = []
    /// Set once the peer has closed its side (a read returned 0).
    public private(set) var peerClosed = false

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw RawSocketError("path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RawSocketError("connect \(path): \(reason)")
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RawSocketError("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Wait up to `until` for more bytes; false on timeout or when the peer closed.
    private func receive(until deadline: Date) throws -> Bool {
        if peerClosed { return false }
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, left * 1000)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw RawSocketError("poll: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET {
                    peerClosed = true
                    return false
                }
                throw RawSocketError("recv: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                peerClosed = true
                return false
            }
            pending += chunk[0..<n]
            return true
        }
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }

    /// Read exactly one response. `bodyless` for the answer to a HEAD request (its head may
    /// announce a length or chunking, but no body follows). Without a length or chunking the
    /// body runs to the end of the connection.
    public func readResponse(timeout: Double = 10, bodyless: Bool = false) throws -> RawResponse {
        let deadline = Date().addingTimeInterval(timeout)
        var headEnd = Self.find(pending, [13, 10, 13, 10])
        while headEnd == nil {
            guard try receive(until: deadline) else {
                throw RawSocketError(peerClosed ? "connection closed before a response head (\(pending.count) bytes)" : "no response head within \(timeout) s")
            }
            headEnd = Self.find(pending, [13, 10, 13, 10])
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        pending.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawSocketError("bad status line: \(head)") }
        var response = RawResponse(version: String(statusLine[0]), status: status, headers: [], body: [])
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if bodyless || status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd = Self.find(pending, [13, 10])
                while lineEnd == nil {
                    guard try receive(until: deadline) else { throw RawSocketError("truncated chunked body") }
                    lineEnd = Self.find(pending, [13, 10])
                }
                let sizeText = String(decoding: pending[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw RawSocketError("bad chunk size '\(sizeText)'") }
                while pending.count < lineEnd! + 2 + size + 2 {
                    guard try receive(until: deadline) else { throw RawSocketError("truncated chunk") }
                }
                response.body += pending[(lineEnd! + 2)..<(lineEnd! + 2 + size)]
                pending.removeFirst(lineEnd! + 2 + size + 2)
                if size == 0 { return response }
            }
        }
        if let length = response.header("content-length").flatMap({ Int($0) }) {
            while pending.count < length {
                guard try receive(until: deadline) else { throw RawSocketError("body ended after \(pending.count) of \(length) bytes") }
            }
            response.body = Array(pending.prefix(length))
            pending.removeFirst(length)
            return response
        }
        while try receive(until: deadline) {}
        guard peerClosed else { throw RawSocketError("body without length did not end within \(timeout) s") }
        response.body = pending
        pending = []
        return response
    }

    /// True once the bytes received (and not yet consumed) contain `text`, within `timeout` seconds.
    public func waitFor(_ text: String, timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        let needle = Array(text.utf8)
        while Self.find(pending, needle) == nil {
            guard try receive(until: deadline) else { return false }
        }
        return true
    }

    /// True when the server closes the connection within `timeout` seconds. Bytes that
    /// arrive first are kept in `pending` (a test may expect there are none).
    public func waitForClose(timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while try receive(until: deadline) {}
        return peerClosed
    }
}

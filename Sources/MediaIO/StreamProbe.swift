#if canImport(Glibc)
import Glibc
#endif

/// A cheap check whether a network camera answers at all: a TCP connection to its host and
/// port, closed at once. Costs one SYN and a few microseconds; the reconnect loop runs it
/// while a camera is down and opens the full stream only once it answers.
public enum StreamProbe {
    /// Host and port of a stream URL (`rtsp://user:pw@host:port/path`), or nil for a file or an
    /// address that cannot be read. Default ports by scheme: rtsp 554, rtsps 322, http 80,
    /// https 443, rtmp 1935.
    public static func endpoint(of url: String) -> (host: String, port: Int)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaults = ["rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "rtmp": 1935]
        guard let defaultPort = defaults[scheme] else { return nil }
        let rest = url[schemeEnd.upperBound...]
        var authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = Substring(authority)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { return nil }
                port = p
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]) else { return nil }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// Whether a TCP connection to `host`:`port` succeeds within `timeout` seconds. Waits in
    /// slices of 100 ms and gives up early when `interrupt` is stopped.
    public static func answers(host: String, port: Int, timeout: Double, interrupt: InterruptState? = nil) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        let deadline = MonotonicClock.nanos() &+ UInt64(max(0, timeout) * 1e9)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if fd < 0 { continue }
            defer { close(fd) }
            if connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return true }
            guard errno == EINPROGRESS else { continue }
            while true {
                if interrupt?.isStopped == true { return false }
                let now = MonotonicClock.nanos()
                if now >= deadline { return false }
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let slice = Int32(min(100, (deadline - now) / 1_000_000 + 1))
                let ready = poll(&pfd, 1, slice)
                if ready < 0 && errno != EINTR { break }
                if ready > 0 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 { return true }
                    break
                }
            }
        }
        return false
    }
}

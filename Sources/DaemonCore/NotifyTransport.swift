import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MediaIO
import Synchronization

/// What came back from a receiver.
struct HTTPAnswer: Sendable {
    var status: Int
    var retryAfter: String?
    /// The start of the body (a robot's `errcode`), at most 4 KiB.
    var body: [UInt8]
}

/// Why a request got no answer, in words fit for the log and the API (never the URL).
struct TransportFailure: Error, CustomStringConvertible {
    var description: String
}

/// HTTP POSTs to one destination: URLSession (libcurl underneath: HTTPS with the system's
/// CA certificates, `https_proxy` honoured), no cookies, no cache, no redirects (a 3xx is
/// an answer, and a failure: a signed body is never re-sent to another address).
final class HTTPPoster: NSObject, URLSessionTaskDelegate, Sendable {
    private let session = Mutex<URLSession?>(nil)
    let timeout: Double

    init(timeout: Double, connections: Int) {
        self.timeout = timeout
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.httpMaximumConnectionsPerHost = max(1, connections)
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session.withLock { $0 = URLSession(configuration: configuration, delegate: self, delegateQueue: nil) }
    }

    func close() {
        session.withLock { s in
            s?.invalidateAndCancel()
            s = nil
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func post(_ url: String, body: [UInt8], headers: [(String, String)]) async throws(TransportFailure) -> HTTPAnswer {
        guard let target = URL(string: url) else { throw TransportFailure(description: "not a URL") }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue("gridwatchd/\(Gridwatch.version)", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let session = session.withLock({ $0 }) else { throw TransportFailure(description: "stopping") }
        let timeout = self.timeout
        let holder = Mutex<URLSessionDataTask?>(nil)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPAnswer, any Error>) in
                    let task = session.dataTask(with: request) { data, response, error in
                        if let error {
                            c.resume(throwing: error)
                        } else if let http = response as? HTTPURLResponse {
                            let bytes = data.map { Array($0.prefix(4096)) } ?? []
                            c.resume(returning: HTTPAnswer(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"), body: bytes))
                        } else {
                            c.resume(throwing: TransportFailure(description: "no HTTP answer"))
                        }
                    }
                    holder.withLock { $0 = task }
                    task.resume()
                }
            } onCancel: {
                holder.withLock { $0 }?.cancel()
            }
        } catch let error as TransportFailure {
            throw error
        } catch {
            throw TransportFailure(description: Self.describe(error, timeout: timeout))
        }
    }

    /// A URL error in a few words, without the URL it carries.
    static func describe(_ error: any Error, timeout: Double) -> String {
        let ns = error as NSError
        if ns.domain == NSURLErrorDomain {
            switch ns.code {
            case NSURLErrorTimedOut: return "timed out after \(Int(timeout)) s"
            case NSURLErrorCannotConnectToHost: return "connection refused"
            case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "host not found"
            case NSURLErrorNetworkConnectionLost: return "connection lost"
            case NSURLErrorNotConnectedToInternet: return "no network"
            case NSURLErrorCancelled: return "cancelled"
            case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
                 NSURLErrorServerCertificateNotYetValid, NSURLErrorServerCertificateHasUnknownRoot:
                return "TLS failed (certificate not trusted?)"
            default: return "network error \(ns.code)"
            }
        }
        return Redaction.redact(ns.localizedDescription)
    }
}

/// Runs a destination's program: never through a shell, in a process group of its own (so a
/// timeout kills what it started too), the event on standard input, standard output thrown
/// away, the end of standard error kept for the error message.
enum HookProgram {
    struct Outcome: Sendable {
        var exitCode: Int32?
        var signal: Int32?
        var timedOut: Bool
        var stderrTail: String
    }

    /// Run `command` with `input` on standard input and `environment`, killed (SIGTERM, then
    /// SIGKILL 2 s later) once `timeout` seconds pass. Blocks: call it from a thread of its own.
    static func run(_ command: [String], input: [UInt8], environment: [String: String], timeout: Double) -> Outcome {
        var stdinPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        // Close-on-exec, so no other program started meanwhile holds our ends open.
        func cloexecPipe(_ fds: inout [Int32]) -> Int32 {
            guard pipe(&fds) == 0 else { return -1 }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return 0
        }
        guard cloexecPipe(&stdinPipe) == 0 else { return Outcome(exitCode: nil, signal: nil, timedOut: false, stderrTail: "pipe: errno \(errno)") }
        guard cloexecPipe(&stderrPipe) == 0 else {
            close(stdinPipe[0]); close(stdinPipe[1])
            return Outcome(exitCode: nil, signal: nil, timedOut: false, stderrTail: "pipe: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own; signals back to their defaults and none blocked (the
        // daemon ignores SIGPIPE and SIGHUP: the program should not inherit that).
        var defaults = sigset_t()
        sigfillset(&defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        close(stdinPipe[0])
        close(stderrPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1])
            close(stderrPipe[0])
            return Outcome(exitCode: nil, signal: nil, timedOut: false, stderrTail: "cannot start \(command[0]): \(String(cString: strerror(spawned)))")
        }
        // The deadline: the whole group gets SIGTERM, then SIGKILL.
        let timedOut = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        let group = pid
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + timeout, repeating: 2, leeway: .milliseconds(50))
        timer.setEventHandler {
            guard !finished.load(ordering: .acquiring) else { return }
            let first = !timedOut.exchange(true, ordering: .acquiringAndReleasing)
            kill(-group, first ? SIGTERM : SIGKILL)
        }
        timer.resume()
        // Standard input: a program that does not read it gets EPIPE (the daemon ignores SIGPIPE).
        input.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(stdinPipe[1], raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        close(stdinPipe[1])
        var tail: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(stderrPipe[0], &buffer, buffer.count)
            if n > 0 {
                tail.append(contentsOf: buffer[0..<n])
                if tail.count > 2048 { tail.removeFirst(tail.count - 1024) }
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(stderrPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        finished.store(true, ordering: .releasing)
        timer.cancel()
        // Anything the program left running in its group goes with it.
        kill(-group, SIGKILL)
        let text = Redaction.redact(String(decoding: tail.suffix(512), as: UTF8.self)).trimmingCharacters(in: .whitespacesAndNewlines)
        let exited = status & 0x7f == 0
        return Outcome(exitCode: exited ? (status >> 8) & 0xff : nil, signal: exited ? nil : status & 0x7f,
                       timedOut: timedOut.load(ordering: .acquiring), stderrTail: text)
    }
}

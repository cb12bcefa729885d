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
        let timeout = self.timeout
        let holder = Mutex<URLSessionDataTask?>(nil)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPAnswer, any Error>) in
                    // Made under the lock: `close()` cannot invalidate the session in between.
                    let made = self.session.withLock { session in session?.dataTask(with: request) { data, response, error in
                        if let error {
                            c.resume(throwing: error)
                        } else if let http = response as? HTTPURLResponse {
                            let bytes = data.map { Array($0.prefix(4096)) } ?? []
                            c.resume(returning: HTTPAnswer(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"), body: bytes))
                        } else {
                            c.resume(throwing: TransportFailure(description: "no HTTP answer"))
                        }
                    } }
                    guard let task = made else {
                        c.resume(throwing: TransportFailure(description: "stopping"))
                        return
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

    /// One program started at a time: between `pipe()` and its close-on-exec flag no other
    /// program may be spawned, or it would inherit this one's pipe ends.
    private static let spawning = Mutex(())

    /// Run `command` with `input` on standard input and `environment`, killed (SIGTERM, then
    /// SIGKILL 2 s later, its whole process group) once `timeout` seconds pass. The outcome
    /// is the program's own exit: what it leaves running in its group is killed then, and
    /// what left the group cannot hold the call up (standard error is read only until the
    /// program exits). Blocks: call it from a thread of its own.
    static func run(_ command: [String], input: [UInt8], environment: [String: String], timeout: Double) -> Outcome {
        var stdinPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1], exitPipe: [Int32] = [-1, -1]
        func failed(_ why: String) -> Outcome { Outcome(exitCode: nil, signal: nil, timedOut: false, stderrTail: why) }
        var pid: pid_t = 0
        let spawned: Int32 = spawning.withLock { _ in
            for i in 0..<3 {
                var fds: [Int32] = [-1, -1]
                guard pipe(&fds) == 0 else { return -1 }
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                if i == 0 { stdinPipe = fds } else if i == 1 { stderrPipe = fds } else { exitPipe = fds }
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
            return posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        }
        for fd in [stdinPipe[0], stderrPipe[1]] where fd >= 0 { close(fd) }
        guard spawned == 0 else {
            for fd in [stdinPipe[1], stderrPipe[0], exitPipe[0], exitPipe[1]] where fd >= 0 { close(fd) }
            return failed(spawned < 0 ? "pipe: errno \(errno)" : "cannot start \(command[0]): \(String(cString: strerror(spawned)))")
        }
        // The program's exit, waited for on a thread of its own, told through a pipe so the
        // reading below can stop at it.
        let status = Mutex<Int32?>(nil)
        let exitWrite = exitPipe[1]
        let child = pid
        let waiter = Thread {
            var st: Int32 = 0
            while waitpid(child, &st, 0) < 0 && errno == EINTR {}
            status.withLock { $0 = st }
            var one: UInt8 = 1
            _ = write(exitWrite, &one, 1)
        }
        waiter.name = "notify-exec-wait"
        waiter.start()
        // The deadline: the whole group gets SIGTERM, then SIGKILL, unless it has exited.
        let timedOut = Atomic<Bool>(false)
        let group = pid
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + timeout, repeating: 2, leeway: .milliseconds(50))
        timer.setEventHandler {
            guard status.withLock({ $0 }) == nil else { return }
            let first = !timedOut.exchange(true, ordering: .acquiringAndReleasing)
            kill(-group, first ? SIGTERM : SIGKILL)
        }
        timer.resume()
        // Standard input, without blocking on a program that never reads it.
        _ = fcntl(stdinPipe[1], F_SETFL, fcntl(stdinPipe[1], F_GETFL) | O_NONBLOCK)
        var offset = 0
        var tail: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var stderrOpen = true
        var exited = false
        while !exited {
            var fds = [pollfd(fd: exitPipe[0], events: Int16(POLLIN), revents: 0)]
            if stderrOpen { fds.append(pollfd(fd: stderrPipe[0], events: Int16(POLLIN), revents: 0)) }
            let writing = offset < input.count && stdinPipe[1] >= 0
            if writing { fds.append(pollfd(fd: stdinPipe[1], events: Int16(POLLOUT), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[0].revents != 0 { exited = true }
            if stderrOpen, fds[1].revents != 0 {
                let n = read(stderrPipe[0], &buffer, buffer.count)
                if n > 0 {
                    tail.append(contentsOf: buffer[0..<n])
                    if tail.count > 2048 { tail.removeFirst(tail.count - 1024) }
                } else if n == 0 || errno != EINTR {
                    stderrOpen = false
                }
            }
            if writing, let w = fds.last, w.revents != 0 {
                let n = input.withUnsafeBytes { raw in write(stdinPipe[1], raw.baseAddress! + offset, input.count - offset) }
                if n > 0 { offset += n } else if n < 0 && errno != EINTR && errno != EAGAIN { offset = input.count }
                if offset >= input.count {
                    close(stdinPipe[1])
                    stdinPipe[1] = -1
                }
            }
        }
        timer.cancel()
        // What the program wrote last, without waiting for a child that kept the pipe.
        _ = fcntl(stderrPipe[0], F_SETFL, fcntl(stderrPipe[0], F_GETFL) | O_NONBLOCK)
        while stderrOpen, case let n = read(stderrPipe[0], &buffer, buffer.count), n > 0 { tail.append(contentsOf: buffer[0..<n]) }
        // Anything the program left running in its group goes with it.
        kill(-group, SIGKILL)
        for fd in [stdinPipe[1], stderrPipe[0], exitPipe[0], exitPipe[1]] where fd >= 0 { close(fd) }
        let st = status.withLock { $0 } ?? 0
        let text = Redaction.redact(String(decoding: tail.suffix(512), as: UTF8.self)).trimmingCharacters(in: .whitespacesAndNewlines)
        let normal = st & 0x7f == 0
        return Outcome(exitCode: normal ? (st >> 8) & 0xff : nil, signal: normal ? nil : st & 0x7f,
                       timedOut: timedOut.load(ordering: .acquiring), stderrTail: text)
    }
}

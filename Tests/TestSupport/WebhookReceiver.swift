import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Tests/Tools/webhook_receiver.py` on 127.0.0.1: answers as its script says and logs
/// every request it got.
public final class WebhookReceiver: @unchecked Sendable {
    // @unchecked: immutable after init; used from the owning test.
    public let child: ChildProcess
    public let url: String
    public let logPath: String

    public struct Entry: Sendable {
        public var n: Int
        public var path: String
        public var query: String
        public var headers: [String: String]
        public var body: String
        /// What the script said to answer (a status, "hang", "429:2").
        public var answer: String
        /// The answer reached the client (a hung request's client had gone).
        public var delivered: Bool
    }

    public init(dir: TemporaryDirectory, script: [String] = [], hang: Double = 5, delay: Double = 0, defaultStatus: Int = 200) throws {
        logPath = dir.path("receiver-\(UUID().uuidString.prefix(6)).jsonl")
        let args = [Paths.packageRoot.appendingPathComponent("Tests/Tools/webhook_receiver.py").path, "--log", logPath,
                    "--script", script.joined(separator: ","), "--hang", "\(hang)", "--delay", "\(delay)", "--default", "\(defaultStatus)"]
        child = try ChildProcess("/usr/bin/python3", args, logPath: dir.path("receiver.log"))
        guard let line = child.readLine(timeout: 20), line.hasPrefix("READY ") else {
            let log = child.log
            child.stop()
            throw CommandFailed(command: "webhook_receiver.py", status: -1, output: "did not report READY: \(log)")
        }
        url = String(line.dropFirst("READY ".count))
    }

    /// Every request logged so far, in the order the answers were finished.
    public func entries() -> [Entry] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Entry(n: o["n"] as? Int ?? -1, path: o["path"] as? String ?? "", query: o["query"] as? String ?? "",
                         headers: o["headers"] as? [String: String] ?? [:], body: o["body"] as? String ?? "",
                         answer: o["answer"] as? String ?? "", delivered: o["delivered"] as? Bool ?? false)
        }
    }

    public func stop() { child.stop() }
}

/// A blocking HTTP POST over TCP (the daemon's callback listener), for tests.
public func httpPost(_ url: String, body: [UInt8], headers: [String: String], timeout: Double = 10) -> (status: Int, body: String)? {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.httpBody = Data(body)
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let done = DispatchSemaphore(value: 0)
    let result = LockedBox<(Int, String)?>(nil)
    URLSession.shared.dataTask(with: request) { data, response, _ in
        if let http = response as? HTTPURLResponse { result.set((http.statusCode, String(decoding: data ?? Data(), as: UTF8.self))) }
        done.signal()
    }.resume()
    done.wait()
    return result.get()
}

public final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    public init(_ value: T) { self.value = value }
    public func set(_ v: T) { lock.withLock { value = v } }
    public func get() -> T { lock.withLock { value } }
}

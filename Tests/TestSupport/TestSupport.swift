import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where things are: the package root, the built executables, the test tools.
public enum Paths {
    public static let packageRoot: URL = {
        // Tests/TestSupport/TestSupport.swift → package root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The folder holding the built products (next to the running test bundle).
    public static let products: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    public static func executable(_ name: String) -> URL {
        let beside = products.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/\(name)")
    }

    public static let rtspServerScript = packageRoot.appendingPathComponent("Tests/Tools/rtsp_server.py")
}

/// A fresh folder under /tmp, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public init(_ prefix: String = "gridwatch-test") throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

public struct CommandFailed: Error, CustomStringConvertible {
    public let command: String
    public let status: Int32
    public let output: String
    public var description: String { "\(command) exited \(status): \(output)" }
    public init(command: String, status: Int32, output: String) {
        self.command = command
        self.status = status
        self.output = output
    }
}

/// Run a command to completion: its exit status and its standard output and error together.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Run a command to completion; throws with its output when it fails.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let (status, output) = try runProcess(executable, arguments, environment: environment)
    guard status == 0 else {
        throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), status: status, output: output)
    }
    return output
}

/// Test clips, made with the ffmpeg CLI. Provenance: generated here, nothing is downloaded.
public enum Clips {
    public static let ffmpeg = "/usr/bin/ffmpeg"
    public static let ffprobe = "/usr/bin/ffprobe"

    /// What FFmpeg says while decoding every picture of `file` (empty: nothing wrong).
    /// The pictures keep the file's own time base (`-enc_time_base -1`): with the default,
    /// FFmpeg rounds them to the frame rate for its null output, and two pictures of a
    /// camera whose clock jitters (40 ms apart at 10 fps) land on one tick and make it
    /// complain about the null muxer's timestamps, which says nothing about the file.
    public static func decodeErrors(_ file: String) throws -> String {
        let run = try runProcess(ffmpeg, ["-v", "error", "-xerror", "-i", file, "-enc_time_base", "-1", "-f", "null", "-"])
        return run.status == 0 ? run.output : "exit status \(run.status): \(run.output)"
    }

    /// `seconds` of FFmpeg's test pattern in `codec` (libx264, libx265, mjpeg ...).
    public static func testPattern(_ path: String, seconds: Int = 3, size: String = "320x240", fps: Int = 10, codec: String = "libx264") throws {
        var args = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(fps):duration=\(seconds)"]
        switch codec {
        case "libx264": args += ["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "\(fps)", "-pix_fmt", "yuv420p"]
        case "libx265": args += ["-c:v", "libx265", "-preset", "veryfast", "-x265-params", "bframes=0:log-level=error", "-g", "\(fps)", "-pix_fmt", "yuv420p"]
        default: args += ["-c:v", codec, "-pix_fmt", codec == "mjpeg" ? "yuvj420p" : "yuv420p"]
        }
        try runCommand(ffmpeg, args + [path])
    }

    /// The background of the scenes below: a muted green-gray of luma 111. A camera's
    /// daytime picture has colour; a neutral gray one (0x707070, as these scenes were until
    /// 2026-12-02) sits at the integrity checks' day/night boundary (chroma 0.3–1.2 against
    /// 2.5, depending on the codec and its filters) and could switch to night mid-test,
    /// which starts the tracks afresh.
    public static let sceneColour = "0x647a5a"

    /// A still, slightly noisy scene: nothing moves. `format` is an ffmpeg muxer (`mp4`, `mpegts`, `h264` ...).
    public static func stillScene(_ path: String, seconds: Int = 6, size: String = "640x360", fps: Int = 10, format: String = "mp4") throws {
        try runCommand(ffmpeg, [
            "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=\(sceneColour):s=\(size):r=\(fps):d=\(seconds)",
            "-vf", "noise=alls=4:allf=t", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "\(fps)",
            "-pix_fmt", "yuv420p", "-f", format, path,
        ])
    }

    /// A camera reconfigured halfway: `first` then `second` resolution, in one H.264 stream.
    public static func resolutionChange(_ path: String, first: String = "640x360", second: String = "480x270", secondsEach: Int = 6) throws {
        try stillScene(path + ".a", seconds: secondsEach, size: first, format: "h264")
        try stillScene(path + ".b", seconds: secondsEach, size: second, format: "h264")
        var data = try Data(contentsOf: URL(fileURLWithPath: path + ".a"))
        data.append(try Data(contentsOf: URL(fileURLWithPath: path + ".b")))
        try data.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + ".a")
        try? FileManager.default.removeItem(atPath: path + ".b")
    }

    /// A copy of `source` with one byte in every `every` flipped past the first `skip` bytes,
    /// as a bad link or a failing card would corrupt it. Deterministic.
    public static func bitFlipped(_ source: String, to path: String, every: Int = 1500, skip: Int = 4096) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        var i = skip
        var bit: UInt8 = 1
        while i < bytes.count {
            bytes[i] ^= bit
            bit = bit == 0x80 ? 1 : bit << 1
            i += every
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A textured still scene with slight sensor noise, a keyframe every second; a textured
    /// box (40×80 at 640×360, foot at y = 300/360) walks from x = 40 to 600 between
    /// `walkFrom` and `walkFrom + 4` s: its centre crosses x = 0.5 at `walkFrom` + 1.86 s.
    /// (A flat box on a flat picture is coded as motion vectors alone and barely grows the
    /// packets; real scenes have texture, and what a moving thing uncovers must be coded.)
    public static func stillThenWalker(_ path: String, seconds: Int = 20, walkFrom: Int = 12) throws {
        let filter = "[0]noise=alls=40,noise=alls=2:allf=t[bg];[1]noise=alls=30[box];"
            + "[bg][box]overlay=x='if(between(t,\(walkFrom),\(walkFrom + 4)),40+(t-\(walkFrom))*140,-200)':y=220:eval=frame"
        try runCommand(ffmpeg, [
            "-v", "error", "-y",
            "-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=10:d=\(seconds)",
            "-f", "lavfi", "-i", "color=c=0xe0e0e0:s=40x80:r=10:d=\(seconds)",
            "-filter_complex", filter,
        ] + keyframeEverySecond + [path])
    }

    /// x264 at 10 fps with a keyframe exactly every second (no scene-cut keyframes).
    public static let keyframeEverySecond = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-sc_threshold", "0",
                                             "-keyint_min", "10", "-g", "10", "-pix_fmt", "yuv420p"]

    /// A slightly noisy scene (`sceneColour`) in which a light box (40×80 at 640×360) walks from
    /// left to right between `start` and `start + 10` seconds, then the scene stays empty.
    /// Its foot point is at y = 300/360 ≈ 0.83; its centre crosses x = 0.5 at start + 4.3 s.
    /// `fixedGOP`: a keyframe exactly every second (no scene-cut keyframes, which the noise
    /// otherwise makes of nearly every frame).
    public static func walkingBox(_ path: String, seconds: Int = 20, start: Int = 2, fps: Int = 10, codec: String = "libx264", fixedGOP: Bool = false) throws {
        let filter = "[0]noise=alls=6:allf=t[bg];[bg][1]overlay=x='if(between(t,\(start),\(start + 10)),40+(t-\(start))*60,-200)':y=220:eval=frame"
        try runCommand(ffmpeg, [
            "-v", "error", "-y",
            "-f", "lavfi", "-i", "color=c=\(sceneColour):s=640x360:r=\(fps):d=\(seconds)",
            "-f", "lavfi", "-i", "color=c=0xe0e0e0:s=40x80:r=\(fps):d=\(seconds)",
            "-filter_complex", filter,
        ] + (codec == "libx265"
            ? ["-c:v", "libx265", "-preset", "veryfast", "-x265-params", "bframes=0:log-level=error" + (fixedGOP ? ":scenecut=0:min-keyint=\(fps)" : "")]
            : ["-c:v", "libx264", "-preset", "veryfast", "-bf", "0"] + (fixedGOP ? ["-sc_threshold", "0", "-keyint_min", "\(fps)"] : []))
          + ["-g", "\(fps)", "-pix_fmt", "yuv420p", path])
    }
}

/// A child process whose standard output is read line by line; killed on `stop()`.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` and the line buffer are used from the owning test only.
    public let process: Process
    private let output: Pipe
    private var buffer: [UInt8] = []
    public let logPath: String?

    /// Starts `executable`; stderr goes to `logPath` when given (else it is discarded).
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, logPath: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        output = Pipe()
        process.standardOutput = output
        self.logPath = logPath
        if let logPath {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logPath)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// The next line on stdout, waiting at most `timeout` seconds; nil at end or on timeout.
    public func readLine(timeout: Double) -> String? {
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(left * 1000))
            if ready <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Wait for exit at most `timeout` seconds; the exit status, or nil if still running.
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it has not gone within `grace` seconds. False when it had
    /// to be killed.
    @discardableResult
    public func stop(grace: Double = 5) -> Bool {
        guard process.isRunning else { return true }
        signal(SIGTERM)
        if wait(timeout: grace) == nil {
            signal(SIGKILL)
            _ = wait(timeout: 5)
            return false
        }
        return true
    }

    public var log: String {
        logPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    }

    deinit { stop(grace: 1) }
}

/// GStreamer's rtsp-server serving a file on 127.0.0.1, through the system python3.
public final class RTSPServer: @unchecked Sendable {
    // @unchecked: immutable after init; the child is only stopped from the owning test.
    public let child: ChildProcess
    public let url: String

    public init(file: String, codec: String = "h264", loop: Bool = false, shared: Bool = false, port: Int = 0, path: String = "/cam", user: String? = nil, password: String? = nil, auth: String = "basic") throws {
        var args = [Paths.rtspServerScript.path, file, "--codec", codec, "--port", "\(port)", "--path", path, "--auth", auth]
        if loop { args.append("--loop") }
        if shared { args.append("--shared") }
        if let user { args += ["--user", user, "--password", password ?? ""] }
        child = try ChildProcess("/usr/bin/python3", args, logPath: NSTemporaryDirectory() + "rtsp-server-\(UUID().uuidString.prefix(8)).log")
        guard let line = child.readLine(timeout: 30), line.hasPrefix("READY ") else {
            let log = child.log
            child.stop()
            throw CommandFailed(command: "rtsp_server.py", status: -1, output: "did not report READY: \(log)")
        }
        url = String(line.dropFirst("READY ".count))
    }

    @discardableResult
    public func stop() -> Bool { child.stop() }
}

/// Poll `condition` every `interval` seconds until it holds or `timeout` passes.
/// For waiting on a daemon's observable state, where no signal is offered.
public func waitUntil(timeout: Double, interval: Double = 0.2, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(UInt32(interval * 1_000_000))
    }
    return try condition()
}

/// A small tmpfs mounted on a folder, to play a disk that fills up. Needs root (tests run as
/// root in CI); `permitted` says whether mounting works here.
public final class TmpfsMount: @unchecked Sendable {
    // @unchecked: used from the one test that owns it.
    public let path: String
    private var mounted = true

    /// Whether this process may mount a tmpfs (tried once on a scratch folder).
    public static let permitted: Bool = {
        guard getuid() == 0, let dir = try? TemporaryDirectory("gw-mount-probe") else { return false }
        defer { dir.remove() }
        guard (try? FileManager.default.createDirectory(atPath: dir.path("m"), withIntermediateDirectories: true)) != nil,
              (try? runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path("m")])) != nil
        else { return false }
        _ = try? runCommand("/bin/umount", [dir.path("m")])
        return true
    }()

    /// Mount a tmpfs of `size` (mount's syntax: `32m`) on `path`, created if missing.
    public init(at path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
        self.path = path
    }

    /// Fill the file system with `file` until a write fails for want of space; returns its size.
    @discardableResult
    public func fill(_ name: String = "filler") -> Int {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 * 1024)
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        return total
    }

    /// Free space left, in bytes.
    public var freeBytes: Int {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return -1 }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    public func unmount() {
        guard mounted else { return }
        mounted = false
        if (try? runCommand("/bin/umount", [path])) == nil { _ = try? runCommand("/bin/umount", ["-l", path]) }
    }

    deinit { unmount() }
}

import Foundation

/// One daemon per data folder: an exclusive `flock` on `data_dir/gridwatchd.lock`, taken
/// before the store opens and held (the file kept open) for the life of the process, with the
/// holder's PID written in the file. The kernel drops the lock when its holder dies, so a
/// lock file left by a crash does not block the next start.
final class DataDirLock: Sendable {
    static let fileName = "gridwatchd.lock"
    let path: String
    private let fd: Int32

    enum Failure: Error {
        /// Another process holds the lock; its PID when the file names one.
        case held(path: String, pid: Int32?)
        case cannotOpen(path: String, why: String)
    }

    init(directory: String) throws(Failure) {
        path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: directory, why: error.localizedDescription)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, why: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let why = errno
            let holder = Self.readPID(fd)
            close(fd)
            if why == EWOULDBLOCK { throw .held(path: path, pid: holder) }
            throw .cannotOpen(path: path, why: String(cString: strerror(why)))
        }
        self.fd = fd
        // Written in place, then cut to length: a file kept from an earlier run needs no new
        // block for it, so this works on a full disk too (and is not needed for the lock).
        let text = Array("\(getpid())\n".utf8)
        let n = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if n == text.count { _ = ftruncate(fd, off_t(text.count)) }
    }

    deinit { close(fd) }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Preparing the control socket's path before binding.
enum UnixSocketPath {
    enum Problem: Error, CustomStringConvertible {
        case directoryMissing(String)
        case inUse(String)
        case notASocket(String)
        case tooLong(String)
        case cannotRemove(String, String)

        var description: String {
            switch self {
            case let .directoryMissing(d): "socket directory \(d) does not exist"
            case let .inUse(p): "another daemon is listening on \(p)"
            case let .notASocket(p): "\(p) exists and is not a socket; refusing to replace it"
            case let .tooLong(p): "socket path \(p) is too long for a Unix socket"
            case let .cannotRemove(p, why): "cannot remove stale socket \(p): \(why)"
            }
        }
    }

    /// Make `path` ready to bind: its directory must exist; a stale socket left by a crash
    /// is removed; a live one (another daemon) is an error.
    static func prepare(_ path: String) throws(Problem) {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw .directoryMissing(directory)
        }
        if path.utf8.count >= 108 { throw .tooLong(path) }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(path) }
        if isLive(path) { throw .inUse(path) }
        if unlink(path) != 0 { throw .cannotRemove(path, String(cString: strerror(errno))) }
    }

    /// True when something accepts connections on `path`.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

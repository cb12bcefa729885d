@testable import DaemonCore
import Foundation
import Testing
import TestSupport

@Suite struct SocketPathTests {
    @Test func aMissingDirectoryIsNamed() {
        #expect {
            try UnixSocketPath.prepare("/nonexistent-dir/control.sock")
        } throws: { error in
            "\(error)" == "socket directory /nonexistent-dir does not exist"
        }
    }

    @Test func aStaleSocketIsRemovedAndALiveOneIsNot() throws {
        let dir = try TemporaryDirectory("gw-sock")
        defer { dir.remove() }
        let path = dir.path("c.sock")
        // A socket file whose listener has gone: what a crash leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        #expect(listen(fd, 1) == 0)
        // While it listens, it is live and must be left alone.
        #expect(throws: UnixSocketPath.Problem.self) { try UnixSocketPath.prepare(path) }
        #expect(FileManager.default.fileExists(atPath: path))
        close(fd)
        try UnixSocketPath.prepare(path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aRegularFileIsNeverReplaced() throws {
        let dir = try TemporaryDirectory("gw-sock")
        defer { dir.remove() }
        let path = dir.path("c.sock")
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: UnixSocketPath.Problem.self) { try UnixSocketPath.prepare(path) }
        #expect(FileManager.default.fileExists(atPath: path))
    }
}

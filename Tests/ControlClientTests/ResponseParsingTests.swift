@testable import ControlClient
import Testing

@Suite struct ResponseParsingTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func readsAContentLengthBody() throws {
        let answer = try ControlClient.parse(bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(answer.body == bytes("{}"))
    }

    @Test func readsAChunkedBody() throws {
        let answer = try ControlClient.parse(bytes("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        #expect(answer.status == 404)
        #expect(answer.body == bytes("hello world"))
    }

    @Test func refusesGarbage() {
        #expect(throws: ClientError.self) { try ControlClient.parse(bytes("garbage")) }
        #expect(throws: ClientError.self) { try ControlClient.parse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")) }
    }

    @Test func anAbsentSocketIsUnreachable() {
        #expect {
            _ = try ControlClient(socketPath: "/nonexistent/control.sock").request("GET", "/v1/health")
        } throws: { error in
            if case .unreachable = error as? ClientError { return true }
            return false
        }
    }
}

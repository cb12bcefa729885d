import Analysis
import Foundation
import Synchronization
import Tickets

/// Ticket commands the store could not take (a full disk), kept in a file whose blocks are
/// allocated when the daemon starts (`posix_fallocate`), so writing into it needs no new
/// space when the disk is full. Read back at the next start and written into the store.
///
/// The file: a 32-byte header (magic, generation, checksum), then records appended one after
/// the other, each with its own magic, generation, sequence number, lengths and a CRC-32 of
/// everything else. Reading stops at the first record that does not check out, so a crash
/// in the middle of a write loses that record only, never an earlier one. A record is either
/// a command (its JSON, and its JPEG when there was room) or an acknowledgement ("everything
/// up to this sequence number is in the store"). Emptying the spool writes a header with a
/// new generation: older records no longer count.
public final class AlertSpool: Sendable {
    /// 8 MiB: hundreds of alerts with their pictures, thousands without.
    public static let defaultCapacity = 8 << 20
    /// The least it is allocated with when the disk is small or nearly full.
    static let minimumCapacity = 256 << 10
    public static let fileName = "pending-alerts.spool"

    public struct Entry: Sendable {
        public var sequence: UInt64
        public var command: TicketCommand
    }

    /// Whether a command was kept, and whether its picture fitted.
    public enum Appended: Sendable, Equatable {
        case kept(sequence: UInt64, withPicture: Bool)
        /// No room left (or the file could not be written): the command lives in memory only.
        case notKept
    }

    public let path: String
    public let capacity: Int
    /// Commands found at open that no acknowledgement covers, oldest first.
    public let recovered: [Entry]
    private let fd: Int32
    private let state: Mutex<State>

    private struct State {
        var generation: UInt64
        var end: Int
        var nextSequence: UInt64
        /// Whether anything was written since the spool was last emptied.
        var dirty: Bool
    }

    static let headerSize = 32
    static let recordHeaderSize = 36
    static let headerMagic = Array("GWSPOOL1".utf8)
    static let recordMagic: UInt32 = 0x4757_5231 // "GWR1"
    static let commandKind: UInt8 = 1
    static let ackKind: UInt8 = 2
    /// Kept free for acknowledgements, which are small and must always fit.
    static let ackReserve = 64 * 1024

    public enum SpoolError: Error, CustomStringConvertible {
        case cannotOpen(String, Int32)
        case cannotAllocate(String, Int32)

        public var description: String {
            switch self {
            case let .cannotOpen(path, e): "cannot open spool \(path): \(String(cString: strerror(e)))"
            case let .cannotAllocate(path, e): "cannot allocate spool \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    /// Open (or create) the spool at `path`, allocate `capacity` bytes for it, and read what
    /// a previous run left in it (`recovered`).
    public init(path: String, capacity: Int = AlertSpool.defaultCapacity) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.cannotOpen(path, errno) }
        var st = stat()
        fstat(fd, &st)
        let existing = Int(st.st_size)
        // At most a sixteenth of a small file system; less if that much is not free.
        var fs = statvfs()
        let fsSize = fstatvfs(fd, &fs) == 0 ? Int(fs.f_blocks) * Int(fs.f_frsize) : Int.max
        var size = max(min(capacity, max(Self.minimumCapacity, fsSize / 16)), existing)
        var rc = posix_fallocate(fd, 0, off_t(size))
        while rc == ENOSPC && size / 2 >= max(Self.minimumCapacity, existing) && size / 2 < size {
            size /= 2
            rc = posix_fallocate(fd, 0, off_t(size))
        }
        guard rc == 0 else {
            close(fd)
            throw SpoolError.cannotAllocate(path, rc)
        }
        self.fd = fd
        self.capacity = size
        // Read through a mapping: only the pages holding records are touched, where a copy
        // would put the whole preallocated spool (megabytes of zeros) in the daemon's memory.
        let read: Parsed
        if let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED {
            read = Self.parse(UnsafeRawBufferPointer(start: map, count: size))
            munmap(map, size)
        } else {
            var bytes = [UInt8](repeating: 0, count: size)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
            read = Self.parse(got > 0 ? Array(bytes.prefix(got)) : [])
        }
        recovered = read.entries
        state = Mutex(State(generation: read.generation, end: read.end, nextSequence: read.nextSequence, dirty: !read.entries.isEmpty))
        if !read.headerValid {
            // A new file (or a header torn by a crash while emptying): start a generation no
            // earlier record can have.
            state.withLock { s in
                s.generation = UInt64.random(in: 1...(UInt64.max / 2))
                s.end = Self.headerSize
                _ = writeHeader(&s)
            }
        }
    }

    deinit { close(fd) }

    // MARK: Writing

    /// Keep `command` (its picture too if it fits while leaving a quarter of the spool for
    /// commands without one), durably, before returning.
    public func append(_ command: TicketCommand) -> Appended {
        guard let json = try? JSONEncoder().encode(command) else { return .notKept }
        let jpeg = command.picture ?? []
        return state.withLock { s -> Appended in
            let free = capacity - s.end - Self.ackReserve
            let withPicture = !jpeg.isEmpty && Self.recordHeaderSize + json.count + jpeg.count <= free - capacity / 4
            guard Self.recordHeaderSize + json.count <= free else { return .notKept }
            let sequence = s.nextSequence
            let record = Self.record(kind: Self.commandKind, generation: s.generation, sequence: sequence, json: [UInt8](json), jpeg: withPicture ? jpeg : [])
            guard write(record, at: s.end) else { return .notKept }
            s.end += record.count
            s.nextSequence += 1
            s.dirty = true
            return .kept(sequence: sequence, withPicture: withPicture)
        }
    }

    /// Record that every command up to `sequence` is in the store.
    public func acknowledge(through sequence: UInt64) {
        state.withLock { s in
            let record = Self.record(kind: Self.ackKind, generation: s.generation, sequence: sequence, json: [], jpeg: [])
            guard s.end + record.count <= capacity, write(record, at: s.end) else { return }
            s.end += record.count
        }
    }

    /// Forget everything: all of it is in the store.
    public func clear() {
        state.withLock { s in
            guard s.dirty else { return }
            // Only once the new header is on disk: if it is not, records appended next must
            // go on in the old generation after the old records, or a restart would drop them.
            var next = s
            next.generation &+= 1
            next.end = Self.headerSize
            guard writeHeader(&next) else { return }
            next.dirty = false
            s = next
        }
    }

    private func writeHeader(_ s: inout State) -> Bool {
        var header = Self.headerMagic
        header += Self.bytes(s.generation)
        header += Self.bytes(UInt64(0))
        header += Self.bytes(CRC32.checksum(header))
        header += Self.bytes(UInt32(0))
        return write(header, at: 0)
    }

    /// pwrite the whole of `bytes` at `offset`, then fdatasync.
    private func write(_ bytes: [UInt8], at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return fdatasync(fd) == 0
    }

    // MARK: Format

    static func record(kind: UInt8, generation: UInt64, sequence: UInt64, json: [UInt8], jpeg: [UInt8]) -> [UInt8] {
        var head: [UInt8] = bytes(recordMagic)
        head += [kind, 0, 0, 0]
        head += bytes(generation)
        head += bytes(sequence)
        head += bytes(UInt32(json.count))
        head += bytes(UInt32(jpeg.count))
        var crc = CRC32()
        crc.update(head)
        crc.update(json)
        crc.update(jpeg)
        head += bytes(crc.value)
        return head + json + jpeg
    }

    struct Parsed {
        var headerValid: Bool
        var generation: UInt64
        var end: Int
        var nextSequence: UInt64
        var entries: [Entry]
    }

    /// The valid records of a spool file's bytes, acknowledged commands left out.
    static func parse<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Parsed where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == headerMagic,
              CRC32.checksum(Array(bytes[0..<24])) == u32(bytes, 24)
        else { return Parsed(headerValid: false, generation: 0, end: headerSize, nextSequence: 1, entries: []) }
        let generation = u64(bytes, 8)
        var offset = headerSize
        var commands: [Entry] = []
        var acknowledged: UInt64 = 0
        var nextSequence: UInt64 = 1
        while offset + recordHeaderSize <= bytes.count {
            guard u32(bytes, offset) == recordMagic, u64(bytes, offset + 8) == generation else { break }
            let kind = bytes[offset + 4]
            let sequence = u64(bytes, offset + 16)
            let jsonCount = Int(u32(bytes, offset + 24)), jpegCount = Int(u32(bytes, offset + 28))
            let bodyStart = offset + recordHeaderSize
            guard bodyStart + jsonCount + jpegCount <= bytes.count else { break }
            var crc = CRC32()
            crc.update(bytes[offset..<(offset + 32)])
            crc.update(bytes[bodyStart..<(bodyStart + jsonCount + jpegCount)])
            guard crc.value == u32(bytes, offset + 32) else { break }
            if kind == commandKind {
                let json = Data(bytes[bodyStart..<(bodyStart + jsonCount)])
                let jpeg = Array(bytes[(bodyStart + jsonCount)..<(bodyStart + jsonCount + jpegCount)])
                if let command = try? JSONDecoder().decode(TicketCommand.self, from: json) {
                    commands.append(Entry(sequence: sequence, command: command.with(picture: jpeg.isEmpty ? nil : jpeg)))
                }
                nextSequence = max(nextSequence, sequence + 1)
            } else if kind == ackKind {
                acknowledged = max(acknowledged, sequence)
            } else {
                break
            }
            offset = bodyStart + jsonCount + jpegCount
        }
        return Parsed(headerValid: true, generation: generation, end: offset, nextSequence: nextSequence,
                      entries: commands.filter { $0.sequence > acknowledged })
    }

    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func u32<Bytes: RandomAccessCollection>(_ b: Bytes, _ at: Int) -> UInt32 where Bytes.Element == UInt8, Bytes.Index == Int {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }

    static func u64<Bytes: RandomAccessCollection>(_ b: Bytes, _ at: Int) -> UInt64 where Bytes.Element == UInt8, Bytes.Index == Int {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`).
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    private var crc: UInt32 = 0xFFFF_FFFF

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        for b in bytes { crc = Self.table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    }

    var value: UInt32 { crc ^ 0xFFFF_FFFF }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }
}

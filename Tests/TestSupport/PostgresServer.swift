import Foundation

/// A real PostgreSQL server of the tests' own, from Debian's packages: `initdb` into a
/// temporary folder, `pg_ctl start` on 127.0.0.1 and a free port, trust authentication
/// for the user `gridwatch`. Run as the `postgres` user when the tests run as root
/// (PostgreSQL refuses to run as root). `stop()` shuts it down and removes the folder.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let user = "gridwatch"
    public let host = "127.0.0.1"
    let dir: TemporaryDirectory
    let bin: String
    let runAs: String?

    /// Where Debian puts the server's programs (`postgresql-15` and later).
    public static func binDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    public init() throws {
        guard let bin = Self.binDirectory() else {
            throw CommandFailed(command: "initdb", status: 127, output: "PostgreSQL's server is not installed (apt-get install postgresql)")
        }
        self.bin = bin
        dir = try TemporaryDirectory("gridwatch-pg")
        runAs = getuid() == 0 ? "postgres" : nil
        if runAs != nil {
            // The server's user owns the folder (and the log of its programs).
            try runCommand("/usr/bin/chown", ["postgres:", dir.url.path])
        }
        port = freePort()
        try run("initdb", ["-D", dir.path("data"), "-U", user, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        try start()
    }

    /// Starts the server (again, after `halt`), on the same port and data.
    public func start() throws {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(dir.url.path) -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try run("pg_ctl", ["-D", dir.path("data"), "-l", dir.path("server.log"), "-o", options, "-w", "-t", "60", "start"])
    }

    /// Stops the server, keeping its data (an outage); `start` brings it back.
    public func halt() throws {
        try run("pg_ctl", ["-D", dir.path("data"), "-m", "fast", "-w", "stop"])
    }

    /// Stops the server and every process of it with SIGSTOP: connections stay open and
    /// nothing answers (a server hung, or the network to it gone); `resume` goes on.
    public func pause() throws { try signalAll(SIGSTOP) }

    public func resume() throws { try signalAll(SIGCONT) }

    private func signalAll(_ sig: Int32) throws {
        let pidFile = try String(contentsOfFile: dir.path("data/postmaster.pid"), encoding: .utf8)
        guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }) else {
            throw CommandFailed(command: "kill", status: 1, output: "no postmaster.pid")
        }
        // The postmaster first (stopped, it starts no new child), then its children, from
        // /proc (their parent is field 4 of stat).
        kill(postmaster, sig)
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> Int32? in
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == postmaster ? pid : nil
        }
        for pid in children { kill(pid, sig) }
    }

    /// The rows of `sql` with `psql`, one line each, columns separated by `|`.
    public func query(_ database: String, _ sql: String) throws -> [String] {
        try runCommand("/usr/bin/psql", ["-v", "ON_ERROR_STOP=1", "-h", host, "-p", "\(port)", "-U", user, "-d", database, "-Atc", sql])
            .split(separator: "\n").map(String.init)
    }

    /// A new, empty database; its name.
    @discardableResult
    public func createDatabase(_ name: String) throws -> String {
        try run("createdb", ["-h", host, "-p", "\(port)", "-U", user, name])
        return name
    }

    /// The server's log so far (for a failing test's message).
    public func log() -> String {
        (try? String(contentsOfFile: dir.path("server.log"), encoding: .utf8)) ?? ""
    }

    /// Stops the server at once and removes its folder.
    public func stop() {
        _ = try? run("pg_ctl", ["-D", dir.path("data"), "-m", "immediate", "-w", "stop"])
        dir.remove()
    }

    /// Runs one of the server's programs to completion, its output appended to
    /// `commands.log` in the folder. Spawned directly and waited for with `waitpid`:
    /// `pg_ctl start` leaves the server running behind it, and Foundation's `Process` was
    /// seen never to return from waiting for `runuser` then.
    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        let argv = (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + ["\(bin)/\(program)"] + arguments
        let logPath = dir.path("commands.log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process: `pg_ctl start` leaves the server running, and a pipe
        // another test's thread had open (a `runProcess` reading ffprobe) stayed open in it,
        // so that reader never saw the end of its output and make test hung (2026-12-02).
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard spawned == 0 else {
            throw CommandFailed(command: argv.joined(separator: " "), status: spawned, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exited == 0 else {
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw CommandFailed(command: argv.joined(separator: " "), status: exited, output: String(output.suffix(2000)))
        }
        return exited
    }
}

/// Runs `work` on a thread of its own and awaits it: for a blocking call (a server's
/// programs, `psql`, a synchronous store) from an async test, which would otherwise hold
/// one of the concurrency pool's threads (two on a two-core machine) and starve every task
/// that needs one meanwhile, such as a node's lease renewals.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { done in
        let thread = Thread { done.resume(with: Result { try work() }) }
        thread.start()
    }
}

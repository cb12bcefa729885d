/// The web console's settings (`console:` in the configuration).
public struct ConsoleSettings: Sendable, Equatable {
    /// Where it listens: loopback in plain HTTP, any address with `tls`.
    public var listen: HostPort
    public var tls: TLSFiles?
    /// A session unused this long ends (seconds; a shift by default).
    public var sessionIdle: Double = 8 * 3600
    /// Failed logins that lock a name out, and for how long (seconds).
    public var lockoutFailures = 5
    public var lockoutSeconds: Double = 15 * 60

    public init(listen: HostPort, tls: TLSFiles? = nil) {
        self.listen = listen
        self.tls = tls
    }
}

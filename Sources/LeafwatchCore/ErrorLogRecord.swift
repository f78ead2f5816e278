/// One line of an Apache httpd or nginx error log, split into its fields.
///
/// Text fields are decoded leniently: bytes that are not UTF-8 become
/// U+FFFD and never make a line fail to parse.
public struct ErrorLogRecord: Sendable, Equatable {
    /// The writer of the line. Apache 2.2 and 2.4 differ in their prefixes:
    /// 2.4 adds microseconds, `module:` before the level, `[pid …]`, a port
    /// after the client address and `AHnnnnn:` message codes.
    public enum Dialect: Sendable {
        case apache22, apache24, nginx
    }

    public var dialect: Dialect
    /// UTC seconds since the epoch, nil for a line without a timestamp.
    /// Error logs write local time without an offset, so the parser's time
    /// zone decides the instant.
    public var time: Int64?
    /// Apache 2.4 module name such as `auth_basic`. It is nil in 2.2, in
    /// nginx and for the empty module of `[:error]`.
    public var module: String?
    /// Severity as written: `error`, `notice`, `trace3`, nginx `warn`, and so
    /// on. Empty for a line that names no level, such as Apache's untimestamped
    /// `AH00558:` startup message.
    public var level: String
    public var pid: Int?
    /// Apache's `tid`, or nginx's number after `#`.
    public var threadID: Int?
    /// nginx connection number, the `*N` before the message.
    public var connectionID: Int?
    /// Client address as logged, without brackets and port. Set only from
    /// Apache's `[client …]` prefix or nginx's `, client: ` suffix, never from
    /// text inside the message.
    public var client: String?
    public var clientPort: Int?
    /// Address from Apache 2.4's `[remote …]` prefix, which httpd writes for a
    /// connection without a scoreboard slot, usually a proxy backend.
    /// NOTE: httpd 2.4.57 has been seen writing end users' AH01618 failures
    /// under `[remote …]`, so this can be a client that `client` leaves out.
    public var remote: String?
    public var remotePort: Int?
    /// Apache 2.4 message code such as `AH01617`.
    public var code: String?
    /// Apache's status number in the `(111)Connection refused: ` prefix. It
    /// is nil for the `(EAI n)` and `(OS n)` forms and for nginx.
    public var errno: Int?
    /// The text after the status number in that prefix, `Connection refused`.
    public var errnoDescription: String?
    /// Apache's `file.c(123)` prefix on debug and trace lines.
    public var sourceLocation: String?
    /// The text after the prefixes, without Apache's `, referer: …` or
    /// nginx's `, client: …` suffix.
    public var message: String
    /// Apache's `, referer: …` or nginx's `referrer: "…"` value.
    public var referer: String?
    /// nginx's `server: ` value, the matching `server_name`, which may be empty.
    public var server: String?
    /// nginx's `request: "…"` value, the request line.
    public var request: String?
    public var event: ErrorLogEvent?

    public init(
        dialect: Dialect, time: Int64? = nil, module: String? = nil, level: String = "", pid: Int? = nil,
        threadID: Int? = nil, connectionID: Int? = nil, client: String? = nil, clientPort: Int? = nil,
        remote: String? = nil, remotePort: Int? = nil, code: String? = nil, errno: Int? = nil,
        errnoDescription: String? = nil, sourceLocation: String? = nil, message: String = "",
        referer: String? = nil, server: String? = nil, request: String? = nil, event: ErrorLogEvent? = nil
    ) {
        self.dialect = dialect
        self.time = time
        self.module = module
        self.level = level
        self.pid = pid
        self.threadID = threadID
        self.connectionID = connectionID
        self.client = client
        self.clientPort = clientPort
        self.remote = remote
        self.remotePort = remotePort
        self.code = code
        self.errno = errno
        self.errnoDescription = errnoDescription
        self.sourceLocation = sourceLocation
        self.message = message
        self.referer = referer
        self.server = server
        self.request = request
        self.event = event
    }
}

/// A security-relevant event that an error-log line reports.
public enum ErrorLogEvent: Sendable, Equatable {
    /// The client sent missing or wrong credentials (HTTP 401). `user` is nil
    /// when the line names none, as in AH01614, and `""` for an empty name.
    case authenticationFailure(user: String?, reason: AuthenticationFailureReason)
    /// The server refused the request by its access rules (HTTP 403):
    /// AH01630, AH01797, Apache 2.2's `client denied by server configuration`
    /// and nginx's `access forbidden by rule`, with `user` nil. For an
    /// authenticated user who lacks permission (AH01631, AH01637) `user` is
    /// that user.
    case authorizationDenied(user: String?)
}

/// The cause of an authentication failure.
public enum AuthenticationFailureReason: String, Sendable {
    case passwordMismatch
    case userNotFound
    /// The request carried another scheme than the one the location requires,
    /// such as Digest credentials for a Basic location.
    case wrongScheme
    /// Any other failure: a Digest realm, algorithm, nonce or qop error, an
    /// account the provider refused, or a PAM failure.
    case other
}

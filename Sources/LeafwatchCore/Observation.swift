/// One log event in the form the detectors count: an access-log request or
/// an error-log authentication failure or denial, with the client already
/// resolved (trusted proxies applied) and the user name decoded.
public struct Observation: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// An access-log line.
        case request(status: Int)
        /// An error-log authentication failure (wrong password, unknown user).
        case authenticationFailure
        /// An error-log authorization denial (denied by configuration).
        case authorizationDenied
    }

    public var kind: Kind
    /// Seconds since the epoch, UTC, from the line's own timestamp.
    public var time: Int64
    /// The client; host names are indices into the builder's `HostNameTable`.
    public var client: ClientAddress
    /// The user name as logged and decoded; nil for `-` or when not logged.
    public var user: String?
    /// The virtual host (`%v`, else `%V`) when the format has one.
    public var virtualHost: String?
    /// The request path matches `IgnorePaths=`: counted in totals only.
    public var isIgnoredPath: Bool

    public init(kind: Kind, time: Int64, client: ClientAddress, user: String? = nil,
                virtualHost: String? = nil, isIgnoredPath: Bool = false) {
        self.kind = kind
        self.time = time
        self.client = client
        self.user = user
        self.virtualHost = virtualHost
        self.isIgnoredPath = isIgnoredPath
    }

    /// The status of a request; 0 for error-log events.
    public var status: Int {
        if case .request(let status) = kind { return status }
        return 0
    }

    /// A failed login or a denial: a 401 that carried credentials (a user
    /// name), any 403, or an error-log failure or denial. A 401 without a user
    /// is the browser's challenge before it sends credentials.
    public var isAuthFailure: Bool {
        switch kind {
        case .request(let status): (status == 401 && user != nil) || status == 403
        case .authenticationFailure, .authorizationDenied: true
        }
    }

    /// A 2xx or 3xx response to a request authenticated as `user`.
    public var isAuthenticatedSuccess: Bool {
        guard user != nil, case .request(let status) = kind else { return false }
        return status >= 200 && status <= 399
    }
}

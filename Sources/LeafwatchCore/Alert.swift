/// One alert: an episode opening, a running update, or its close.
public struct Alert: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case open, update, close
    }

    public var rule: Rule
    public var phase: Phase
    /// What the rule counts by: a client address, a user name, `*` for the
    /// whole server, or a virtual host name.
    public var key: String
    public var client: String?
    public var user: String?
    public var virtualHost: String?
    public var priority: Priority
    /// Events in the episode so far (the total at close).
    public var count: Int
    public var threshold: Int
    /// The window in seconds.
    public var window: Int64
    /// Event times, UTC seconds: the first event of the episode and the latest.
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Sequence number of the episode within this detector run, for joining open, update and close.
    public var episode: Int
    /// For the ratio rule of server errors: requests in the ratio window when it opened.
    public var requests: Int?

    public init(rule: Rule, phase: Phase, key: String, client: String? = nil, user: String? = nil, virtualHost: String? = nil,
                priority: Priority, count: Int, threshold: Int, window: Int64, firstSeen: Int64, lastSeen: Int64,
                episode: Int, requests: Int? = nil) {
        self.rule = rule
        self.phase = phase
        self.key = key
        self.client = client
        self.user = user
        self.virtualHost = virtualHost
        self.priority = priority
        self.count = count
        self.threshold = threshold
        self.window = window
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.episode = episode
        self.requests = requests
    }
}

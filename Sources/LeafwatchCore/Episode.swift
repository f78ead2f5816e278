/// The names an alert carries besides its counts, fixed when the episode opens.
public struct AlertSubject: Sendable, Equatable {
    public var key: String
    public var client: String?
    public var user: String?
    public var virtualHost: String?

    public init(key: String, client: String? = nil, user: String? = nil, virtualHost: String? = nil) {
        self.key = key
        self.client = client
        self.user = user
        self.virtualHost = virtualHost
    }
}

/// An alert episode for one rule and key.
///
/// Crossing the threshold opens it with one `open` alert. While it is open,
/// each counted event adds one; an `update` alert carries the running count
/// at most once per update interval (event time), and at once when the
/// priority rises. It closes with the total once no event came for the
/// quiet span (the window plus the lateness tolerance, so that no late
/// event can still belong to it).
struct Episode: Sendable, Codable, Equatable {
    var number: Int
    var subject: AlertSubject
    var firstSeen: Int64
    var lastSeen: Int64
    var count: Int
    var priority: Priority
    /// Event time of the last open or update alert.
    var lastReport: Int64
    var requests: Int?

    /// Counts one more event; returns the phase of the alert to send, if any.
    mutating func add(time: Int64, priority newPriority: Priority, updateInterval: Int64) -> Alert.Phase? {
        count += 1
        firstSeen = min(firstSeen, time)
        lastSeen = max(lastSeen, time)
        if newPriority > priority {
            priority = newPriority
            lastReport = max(lastReport, time)
            return .update
        }
        if time - lastReport >= updateInterval {
            lastReport = time
            return .update
        }
        return nil
    }

    /// Tells whether the episode has been quiet long enough to close.
    func isQuiet(at watermark: Int64, quietSpan: Int64) -> Bool {
        watermark - lastSeen >= quietSpan
    }

    func alert(_ phase: Alert.Phase, rule: Rule, threshold: Int, window: Int64) -> Alert {
        Alert(rule: rule, phase: phase, key: subject.key, client: subject.client, user: subject.user,
              virtualHost: subject.virtualHost, priority: priority, count: count, threshold: threshold,
              window: window, firstSeen: firstSeen, lastSeen: lastSeen, episode: number, requests: requests)
    }
}

extension AlertSubject: Codable {}
extension Priority: Codable {}

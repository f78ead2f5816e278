/// Settings of every detector, as the configuration file sets them.
public struct DetectionSettings: Sendable, Equatable {
    public var authFailuresPerIP = DetectorSettings(threshold: 5, window: 600, priority: .warning, escalatedPriority: .crit)
    public var authFailuresPerUser = DetectorSettings(threshold: 3, window: 3600, priority: .warning, escalatedPriority: .crit)
    public var newClientForUser = DetectorSettings(threshold: 1, window: 3600, priority: .notice)
    /// Seconds of history per user and address.
    public var history: Int64 = 90 * 86_400
    /// Seconds after a user's first success before new addresses alert.
    public var learningPeriod: Int64 = 14 * 86_400
    public var ipv6PrefixLength = 64
    public var serverErrorBurst = ServerErrorSettings(base: DetectorSettings(threshold: 20, window: 60, priority: .err))
    public var requestFlood = DetectorSettings(threshold: 600, window: 60, priority: .warning)
    public var episodes = EpisodeSettings()

    public init() {}

    /// Creates the settings of a loaded configuration.
    public init(configuration: Configuration) {
        let c = configuration
        authFailuresPerIP = DetectorSettings(enabled: c.authFailuresPerIP.enabled, threshold: c.authFailuresPerIP.threshold,
                                             window: c.authFailuresPerIP.window, priority: c.authFailuresPerIP.priority,
                                             escalatedPriority: c.authFailuresPerIP.escalatedPriority)
        authFailuresPerUser = DetectorSettings(enabled: c.authFailuresPerUser.enabled, threshold: c.authFailuresPerUser.threshold,
                                               window: c.authFailuresPerUser.window, priority: c.authFailuresPerUser.priority,
                                               escalatedPriority: c.authFailuresPerUser.escalatedPriority)
        newClientForUser = DetectorSettings(enabled: c.newClientForUser.enabled, threshold: c.newClientForUser.threshold,
                                            window: c.newClientForUser.window, priority: c.newClientForUser.priority)
        history = c.newClientForUser.history
        learningPeriod = c.newClientForUser.learningPeriod
        ipv6PrefixLength = c.newClientForUser.ipv6PrefixLength
        serverErrorBurst = ServerErrorSettings(
            base: DetectorSettings(enabled: c.serverErrorBurst.enabled, threshold: c.serverErrorBurst.threshold,
                                   window: c.serverErrorBurst.window, priority: c.serverErrorBurst.priority),
            ratio: c.serverErrorBurst.ratioPercent / 100, ratioWindow: c.serverErrorBurst.ratioWindow,
            ratioMinimumRequests: c.serverErrorBurst.ratioMinimumRequests, perVirtualHost: c.serverErrorBurst.perVirtualHost)
        requestFlood = DetectorSettings(enabled: c.requestFlood.enabled, threshold: c.requestFlood.threshold,
                                        window: c.requestFlood.window, priority: c.requestFlood.priority)
        episodes = EpisodeSettings(maxLateness: c.alerts.maxLateness, maxTrackedKeys: c.alerts.maxTrackedKeys,
                                   updateInterval: c.alerts.updateInterval)
    }
}

/// A user and one of the networks the user logs in from.
struct UserNetwork: SlotIndexKey {
    var user: String
    var network: ClientAddress
}

/// Matches a failed login that Apache writes to both logs: an access-log 401
/// with the user (or a 403) and the error log's failure (or denial) for the
/// same client, at most `tolerance` seconds apart, count once. The first of
/// the pair to arrive counts; the second is dropped.
public struct FailureDeduplicator: Sendable {
    struct Key: SlotIndexKey {
        var client: ClientAddress
        /// The user for authentication failures; nil for denials.
        var user: String?
        var isDenial: Bool
    }

    struct Pending: Sendable {
        var time: Int64
        var fromErrorLog: Bool
    }

    static let tolerance: Int64 = 2
    /// Unpaired failures kept per key.
    static let maxPendingPerKey = 64
    private var pending: BoundedKeyMap<Key, [Pending]>

    public init(maxKeys: Int) {
        pending = BoundedKeyMap(maxKeys: maxKeys)
    }

    /// Returns true when `observation`, a failure or denial, is the second
    /// half of a pair. `keepFrom` is the oldest event time still worth keeping.
    public mutating func isDuplicate(_ observation: Observation, keepFrom: Int64) -> Bool {
        let isDenial: Bool
        switch observation.kind {
        case .request(let status): isDenial = status == 403
        case .authenticationFailure: isDenial = false
        case .authorizationDenied: isDenial = true
        }
        let key = Key(client: observation.client, user: isDenial ? nil : observation.user, isDenial: isDenial)
        return isDuplicate(key, time: observation.time, fromErrorLog: observation.status == 0, keepFrom: keepFrom)
    }

    /// Returns true when the failure is the second half of a pair.
    mutating func isDuplicate(_ key: Key, time: Int64, fromErrorLog: Bool, keepFrom: Int64) -> Bool {
        let cutoff = keepFrom - Self.tolerance
        // Drop keys whose failures are all too old to pair, two per call, so
        // the map contains only recent failures rather than `maxKeys` old ones.
        pending.removeStale(limit: 2) { list in list.allSatisfy { $0.time < cutoff } }
        return pending.withValue(for: key, make: { [] }) { list in
            list.removeAll { $0.time < cutoff }
            if let index = list.firstIndex(where: { $0.fromErrorLog != fromErrorLog && abs($0.time - time) <= Self.tolerance }) {
                list.remove(at: index)
                return true
            }
            if list.count >= Self.maxPendingPerKey { list.removeFirst() }
            list.append(Pending(time: time, fromErrorLog: fromErrorLog))
            return false
        }
    }
}

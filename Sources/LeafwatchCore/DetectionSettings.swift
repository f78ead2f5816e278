/// Settings of every detector, as the configuration file sets them.
public struct DetectionSettings: Sendable, Equatable, Codable {
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

// MARK: - Saved state

extension FailureDeduplicator {
    /// The unpaired failures in flat columns, keys least recently used first.
    struct Snapshot: Codable {
        /// The time that `times` are relative to.
        var timeBase: Int64
        var keys: Key.Column
        /// The number of unpaired failures of each key.
        var pendingCounts: PackedIntegers
        /// Event time of every unpaired failure, and 1 for one from the error
        /// log, else 0. The failures of one key follow those of the previous one.
        var times: PackedIntegers
        var fromErrorLog: PackedIntegers
        var evictions: Int
    }

    /// Returns the state with times relative to `timeBase`, best a time
    /// close to the kept ones, such as the watermark.
    func snapshot(timeBase: Int64) -> Snapshot {
        var keyList: [Key] = []
        var pendingCounts: [Int64] = []
        var times: [Int64] = []
        var fromErrorLog: [Int64] = []
        pending.forEachOldestFirst { key, list in
            keyList.append(key)
            pendingCounts.append(Int64(list.count))
            for failure in list {
                times.append(failure.time &- timeBase)
                fromErrorLog.append(failure.fromErrorLog ? 1 : 0)
            }
        }
        return Snapshot(timeBase: timeBase, keys: Key.column(of: keyList), pendingCounts: PackedIntegers(pendingCounts), times: PackedIntegers(times),
                        fromErrorLog: PackedIntegers(fromErrorLog), evictions: pending.evictions)
    }

    /// Creates a deduplicator with the unpaired failures of `snapshot`, after
    /// checking that they are consistent and fit `maxKeys`.
    init(maxKeys: Int, snapshot: Snapshot) throws(InvalidDetectionState) {
        let keyList = try Key.keys(in: snapshot.keys)
        let pendingCounts = snapshot.pendingCounts.values
        let times = snapshot.times.values
        let fromErrorLog = snapshot.fromErrorLog.values
        guard pendingCounts.count == keyList.count else {
            throw InvalidDetectionState("\(pendingCounts.count) failure counts for \(keyList.count) keys")
        }
        guard times.count == fromErrorLog.count else {
            throw InvalidDetectionState("\(times.count) failure times for \(fromErrorLog.count) sources")
        }
        guard snapshot.evictions >= 0 else { throw InvalidDetectionState("eviction count \(snapshot.evictions) is negative") }
        pending = BoundedKeyMap(maxKeys: maxKeys, evictions: snapshot.evictions)
        guard keyList.count <= pending.maxKeys else {
            throw InvalidDetectionState("\(keyList.count) keys exceed the maximum of \(pending.maxKeys)")
        }
        pending.reserveCapacity(keyList.count)

        var offset = 0
        for (index, key) in keyList.enumerated() {
            let count = pendingCounts[index]
            guard count >= 0, count <= Int64(Self.maxPendingPerKey), count <= times.count - offset else {
                throw InvalidDetectionState("failure count \(count) of key \(index) is out of range")
            }
            var list: [Pending] = []
            list.reserveCapacity(Int(count))
            for position in offset..<(offset + Int(count)) {
                let time = times[position] &+ snapshot.timeBase
                guard DetectionEngine.savedTimes.contains(time), fromErrorLog[position] == 0 || fromErrorLog[position] == 1 else {
                    throw InvalidDetectionState("failure \(position - offset) of key \(index) has an invalid time or source")
                }
                list.append(Pending(time: time, fromErrorLog: fromErrorLog[position] == 1))
            }
            offset += Int(count)
            guard pending.appendAsNewest(key, list) else { throw InvalidDetectionState("key \(index) is repeated") }
        }
        guard offset == times.count else { throw InvalidDetectionState("the failure columns are longer than the counts") }
    }

    /// Returns a copy with room for `maxKeys` keys that keeps the most
    /// recently used ones, in the same order, and the eviction count.
    func resized(maxKeys: Int) -> FailureDeduplicator {
        var copy = FailureDeduplicator(maxKeys: maxKeys)
        copy.pending = BoundedKeyMap(maxKeys: maxKeys, evictions: pending.evictions)
        for (key, list) in pending.entries.suffix(copy.pending.maxKeys) {
            _ = copy.pending.appendAsNewest(key, list)
        }
        return copy
    }
}

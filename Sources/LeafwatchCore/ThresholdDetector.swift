/// Settings shared by every detector.
public struct DetectorSettings: Sendable, Equatable {
    public var enabled: Bool
    public var threshold: Int
    /// Seconds.
    public var window: Int64
    public var priority: Priority
    /// Priority when the events look like an attack rather than a mistake.
    public var escalatedPriority: Priority

    public init(enabled: Bool = true, threshold: Int, window: Int64, priority: Priority, escalatedPriority: Priority? = nil) {
        self.enabled = enabled
        self.threshold = threshold
        self.window = window
        self.priority = priority
        self.escalatedPriority = escalatedPriority ?? priority
    }
}

/// Settings of the alert episodes.
public struct EpisodeSettings: Sendable, Equatable {
    /// How far (seconds) a record may arrive behind the latest one and still count.
    public var maxLateness: Int64
    /// Keys each detector tracks before evicting the least recently used.
    public var maxTrackedKeys: Int
    /// At most one update per this many seconds; nil means the rule's window.
    public var updateInterval: Int64?

    public init(maxLateness: Int64 = 300, maxTrackedKeys: Int = 100_000, updateInterval: Int64? = nil) {
        self.maxLateness = maxLateness
        self.maxTrackedKeys = maxTrackedKeys
        self.updateInterval = updateInterval
    }
}

/// Counts events per key in an exact sliding window and runs an episode
/// per key: "at least `threshold` events within `window` seconds".
///
/// A window of length W ending at second t holds the events of seconds
/// t−W+1 … t, so 5 events within 600 s means the first and the fifth are
/// less than 600 s apart. An event that arrives late (but within the
/// lateness tolerance) is counted at its own time and can complete a window
/// that ends after it. Reads no clock: all times are event times.
struct ThresholdDetector<Key: Hashable & Sendable>: Sendable {
    struct State: Sendable {
        var window = SecondCounts()
        var episode: Episode? = nil
    }

    let rule: Rule
    var settings: DetectorSettings
    var episodeSettings: EpisodeSettings
    private(set) var keys: BoundedKeyMap<Key, State>
    private(set) var openKeys: Set<Key> = []

    init(rule: Rule, settings: DetectorSettings, episodes: EpisodeSettings) {
        self.rule = rule
        self.settings = settings
        self.episodeSettings = episodes
        self.keys = BoundedKeyMap(maxKeys: episodes.maxTrackedKeys)
    }

    var updateInterval: Int64 { episodeSettings.updateInterval ?? settings.window }
    var quietSpan: Int64 { settings.window + episodeSettings.maxLateness }
    var evictions: Int { keys.evictions }

    /// Counts one event for `key` at `time`. `watermark` is the latest event
    /// time seen so far; `subject` names the key in alerts.
    mutating func count(
        _ key: Key, time: Int64, watermark: Int64, priority: Priority, episodes: inout EpisodeNumbering,
        alerts: inout [Alert], subject: () -> AlertSubject
    ) {
        let rule = self.rule
        let settings = self.settings
        let updateInterval = self.updateInterval
        let keepFrom = watermark - episodeSettings.maxLateness - settings.window + 1
        var closedByEviction: Key? = nil
        var opened = false

        keys.withValue(for: key, make: { State() }, evicted: { evictedKey, state in
            if let episode = state.episode {
                alerts.append(episode.alert(.close, rule: rule, threshold: settings.threshold, window: settings.window))
                closedByEviction = evictedKey
            }
        }) { state in
            let isLate = state.window.latest.map { time < $0 } ?? false
            state.window.add(time)
            state.window.removeBefore(keepFrom)

            if var episode = state.episode {
                if let phase = episode.add(time: time, priority: priority, updateInterval: updateInterval) {
                    alerts.append(episode.alert(phase, rule: rule, threshold: settings.threshold, window: settings.window))
                }
                state.episode = episode
                return
            }

            // No window can reach the threshold while all kept events together do not.
            guard state.window.total >= settings.threshold else { return }
            let window = isLate
                ? state.window.maxCount(windowsContaining: time, length: settings.window)
                : { let c = state.window.count(windowEndingAt: time, length: settings.window); return (c.count, time, c.first) }()
            guard window.count >= settings.threshold else { return }
            let episode = Episode(number: episodes.next(), subject: subject(), firstSeen: window.first ?? time,
                                  lastSeen: max(window.end, time), count: window.count, priority: priority,
                                  lastReport: time, requests: nil)
            state.episode = episode
            alerts.append(episode.alert(.open, rule: rule, threshold: settings.threshold, window: settings.window))
            opened = true
        }
        if let closedByEviction { openKeys.remove(closedByEviction) }
        if opened { openKeys.insert(key) }
    }

    /// Closes the episodes that have been quiet long enough at `watermark`.
    mutating func closeQuiet(at watermark: Int64, alerts: inout [Alert]) {
        guard !openKeys.isEmpty else { return }
        var closed: [Key] = []
        for key in openKeys {
            guard let episode = keys.peek(key)?.episode, episode.isQuiet(at: watermark, quietSpan: quietSpan) else { continue }
            alerts.append(episode.alert(.close, rule: rule, threshold: settings.threshold, window: settings.window))
            closed.append(key)
        }
        for key in closed {
            openKeys.remove(key)
            keys.update(key) { $0.episode = nil }
        }
    }

    /// Closes every open episode, at the end of a scan.
    mutating func closeAll(alerts: inout [Alert]) {
        closeQuiet(at: Int64.max / 2, alerts: &alerts)
    }
}

/// Hands out episode numbers, unique within one detection engine.
struct EpisodeNumbering: Sendable, Codable {
    private(set) var last = 0

    mutating func next() -> Int {
        last += 1
        return last
    }
}

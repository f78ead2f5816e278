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
/// A window of length W ending at second t contains the events of seconds
/// t−W+1 … t, so 5 events within 600 s means the first and the fifth are
/// less than 600 s apart. An event that arrives late (but within the
/// lateness tolerance) is counted at its own time and can complete a window
/// that ends after it. Reads no clock: all times are event times.
struct ThresholdDetector<Key: SlotIndexKey>: Sendable {
    struct State: Sendable {
        var window = SecondCounts()
        /// Whether the key has an entry in `openEpisodes`.
        var isOpen = false
        /// The most severe priority among the kept events and the latest
        /// second it was counted at, so that an episode opens at the
        /// priority of the most severe event in its window.
        var severest: Priority = .debug
        var severestTime: Int64 = .min
    }

    let rule: Rule
    var settings: DetectorSettings
    var episodeSettings: EpisodeSettings
    private(set) var keys: BoundedKeyMap<Key, State>
    private(set) var openEpisodes: [Key: Episode] = [:]

    init(rule: Rule, settings: DetectorSettings, episodes: EpisodeSettings) {
        self.rule = rule
        self.settings = settings
        self.episodeSettings = episodes
        self.keys = BoundedKeyMap(maxKeys: episodes.maxTrackedKeys)
    }

    var updateInterval: Int64 { episodeSettings.updateInterval ?? settings.window }
    var quietSpan: Int64 { settings.window + episodeSettings.maxLateness }
    var evictions: Int { keys.evictions }

    /// The effect of one counted event on its key.
    private enum Outcome {
        case belowThreshold
        case addedToEpisode
        case opened(count: Int, first: Int64, last: Int64, priority: Priority)
    }

    /// Counts one event for `key` at `time`. `watermark` is the latest event
    /// time seen so far; `subject` names the key in alerts.
    mutating func count(
        _ key: Key, time: Int64, watermark: Int64, priority: Priority, episodes: inout EpisodeNumbering,
        alerts: inout [Alert], subject: () -> AlertSubject
    ) {
        let settings = self.settings
        let keepFrom = watermark - episodeSettings.maxLateness - settings.window + 1
        var evictedEntry: (key: Key, wasOpen: Bool)? = nil

        // A key without an open episode whose events all lie before the kept
        // span is no different from a new key. Dropping two such keys per
        // event outpaces the one key an event can add.
        keys.removeStale(limit: 2) { !$0.isOpen && ($0.window.latest ?? .min) < keepFrom }

        let outcome = keys.withValue(for: key, make: { State() }, evicted: { evictedEntry = ($0, $1.isOpen) }) { state -> Outcome in
            let isLate = state.window.latest.map { time < $0 } ?? false
            state.window.add(time)
            state.window.removeBefore(keepFrom)
            if priority > state.severest || state.severestTime < keepFrom {
                state.severest = priority
                state.severestTime = time
            } else if priority == state.severest {
                state.severestTime = max(state.severestTime, time)
            }

            if state.isOpen { return .addedToEpisode }

            // No window can reach the threshold while all kept events together do not.
            guard state.window.total >= settings.threshold else { return .belowThreshold }
            let window = isLate
                ? state.window.maxCount(windowsContaining: time, length: settings.window)
                : { let c = state.window.count(windowEndingAt: time, length: settings.window); return (c.count, time, c.first) }()
            guard window.count >= settings.threshold else { return .belowThreshold }
            state.isOpen = true
            // NOTE: after a late event, `severestTime` can lie after the window's end and then counts as inside it.
            let windowStart = window.end - settings.window + 1
            let openPriority = state.severest > priority && state.severestTime >= windowStart ? state.severest : priority
            return .opened(count: window.count, first: window.first ?? time, last: max(window.end, time), priority: openPriority)
        }

        if let evictedEntry, evictedEntry.wasOpen, let episode = openEpisodes.removeValue(forKey: evictedEntry.key) {
            alerts.append(episode.alert(.close, rule: rule, threshold: settings.threshold, window: settings.window))
        }
        switch outcome {
        case .belowThreshold:
            break
        case .addedToEpisode:
            guard var episode = openEpisodes[key] else { return }
            if let phase = episode.add(time: time, priority: priority, updateInterval: updateInterval) {
                alerts.append(episode.alert(phase, rule: rule, threshold: settings.threshold, window: settings.window))
            }
            openEpisodes[key] = episode
        case .opened(let count, let first, let last, let openPriority):
            let episode = Episode(number: episodes.next(), subject: subject(), firstSeen: first, lastSeen: last,
                                  count: count, priority: openPriority, lastReport: time, requests: nil)
            openEpisodes[key] = episode
            alerts.append(episode.alert(.open, rule: rule, threshold: settings.threshold, window: settings.window))
        }
    }

    /// Tells whether `key` has an open episode or an event within the
    /// window that ends at `time`.
    func isActive(_ key: Key, at time: Int64) -> Bool {
        guard !keys.isEmpty, let state = keys.peek(key) else { return false }
        return state.isOpen || (state.window.latest.map { $0 > time - settings.window } ?? false)
    }

    /// Closes the episodes that have been quiet long enough at `watermark`,
    /// in the order they were opened.
    mutating func closeQuiet(at watermark: Int64, alerts: inout [Alert]) {
        guard !openEpisodes.isEmpty else { return }
        var quiet: [(key: Key, episode: Episode)] = []
        for (key, episode) in openEpisodes where episode.isQuiet(at: watermark, quietSpan: quietSpan) {
            quiet.append((key, episode))
        }
        for (key, episode) in quiet.sorted(by: { $0.episode.number < $1.episode.number }) {
            alerts.append(episode.alert(.close, rule: rule, threshold: settings.threshold, window: settings.window))
            openEpisodes[key] = nil
            keys.update(key) { $0.isOpen = false }
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

/// Settings shared by every detector.
public struct DetectorSettings: Sendable, Equatable, Codable {
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
public struct EpisodeSettings: Sendable, Equatable, Codable {
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

    /// Closes every open episode, at the end of a scan or when new settings replace the detector.
    mutating func closeAll(alerts: inout [Alert]) {
        closeQuiet(at: Int64.max / 2, alerts: &alerts)
    }
}

// MARK: - Saved state

extension ThresholdDetector where Key: ColumnCodable {
    /// The detector's state in flat columns. Keys are in least recently used
    /// order, and the per-key columns follow that order.
    struct Snapshot: Codable {
        /// The time that `seconds` and `severestTimes` are relative to.
        var timeBase: Int64
        var keys: Key.Column
        /// The number of kept seconds of each key.
        var secondCounts: PackedIntegers
        /// Second, count pairs of every key, the pairs of one key after those of the previous one.
        var seconds: PackedIntegers
        /// Raw values of `State.severest`, and `State.severestTime`.
        var severest: PackedIntegers
        var severestTimes: PackedIntegers
        /// Indices into `keys` of the keys with an open episode, ordered like `openEpisodes`.
        var openKeys: PackedIntegers
        var openEpisodes: EpisodeColumns
        var evictions: Int
    }

    /// Returns the state with times relative to `timeBase`, best a time
    /// close to the kept ones, such as the watermark.
    func snapshot(timeBase: Int64) -> Snapshot {
        var keyList: [Key] = []
        var secondCounts: [Int64] = []
        var seconds: [Int64] = []
        var severest: [Int64] = []
        var severestTimes: [Int64] = []
        var open: [(index: Int64, episode: Episode)] = []
        keyList.reserveCapacity(keys.count)
        secondCounts.reserveCapacity(keys.count)
        seconds.reserveCapacity(keys.count * 4)
        severest.reserveCapacity(keys.count)
        severestTimes.reserveCapacity(keys.count)
        keys.forEachOldestFirst { key, state in
            if state.isOpen, let episode = openEpisodes[key] { open.append((Int64(keyList.count), episode)) }
            keyList.append(key)
            let before = seconds.count
            state.window.appendPairs(to: &seconds, relativeTo: timeBase)
            secondCounts.append(Int64((seconds.count - before) / 2))
            severest.append(Int64(state.severest.rawValue))
            severestTimes.append(state.severestTime &- timeBase)
        }
        open.sort { $0.episode.number < $1.episode.number }
        return Snapshot(timeBase: timeBase, keys: Key.column(of: keyList), secondCounts: PackedIntegers(secondCounts), seconds: PackedIntegers(seconds),
                        severest: PackedIntegers(severest), severestTimes: PackedIntegers(severestTimes),
                        openKeys: PackedIntegers(open.map(\.index)), openEpisodes: EpisodeColumns(open.map(\.episode)),
                        evictions: keys.evictions)
    }

    /// Creates a detector with the state of `snapshot`, after checking that
    /// the state is consistent and fits `episodes.maxTrackedKeys`.
    init(rule: Rule, settings: DetectorSettings, episodes: EpisodeSettings, snapshot: Snapshot) throws(InvalidDetectionState) {
        self.init(rule: rule, settings: settings, episodes: episodes)
        let keyList = try Key.keys(in: snapshot.keys)
        let count = keyList.count
        let secondCounts = snapshot.secondCounts.values
        let seconds = snapshot.seconds.values
        let severest = snapshot.severest.values
        let severestTimes = snapshot.severestTimes.values
        guard secondCounts.count == count, severest.count == count, severestTimes.count == count else {
            throw InvalidDetectionState("the per-key columns differ in length from the \(count) keys")
        }
        guard count <= keys.maxKeys else {
            throw InvalidDetectionState("\(count) keys exceed the maximum of \(keys.maxKeys)")
        }
        guard snapshot.evictions >= 0 else { throw InvalidDetectionState("eviction count \(snapshot.evictions) is negative") }
        keys = BoundedKeyMap(maxKeys: episodes.maxTrackedKeys, evictions: snapshot.evictions)
        keys.reserveCapacity(count)

        // Open episodes.
        let openKeys = snapshot.openKeys.values
        let openList = try snapshot.openEpisodes.episodes()
        guard openKeys.count == openList.count else {
            throw InvalidDetectionState("\(openKeys.count) open keys for \(openList.count) open episodes")
        }
        var isOpen = [Bool](repeating: false, count: count)
        for (index, episode) in zip(openKeys, openList) {
            guard index >= 0, index < count, !isOpen[Int(index)] else {
                throw InvalidDetectionState("open key index \(index) is out of range or repeated")
            }
            isOpen[Int(index)] = true
            openEpisodes[keyList[Int(index)]] = episode
        }

        // Keys, least recently used first.
        var offset = 0
        for index in 0..<count {
            let pairCount = secondCounts[index]
            guard pairCount >= 0, pairCount <= (seconds.count - offset) / 2 else {
                throw InvalidDetectionState("second count \(pairCount) of key \(index) does not match the seconds column")
            }
            let end = offset + 2 * Int(pairCount)
            let window = try SecondCounts(pairs: seconds[offset..<end], relativeTo: snapshot.timeBase, times: DetectionEngine.savedTimes)
            offset = end
            guard let priority = Int(exactly: severest[index]).flatMap(Priority.init(rawValue:)) else {
                throw InvalidDetectionState("priority \(severest[index]) of key \(index) is invalid")
            }
            let severestTime = severestTimes[index] &+ snapshot.timeBase
            guard severestTime == .min || DetectionEngine.savedTimes.contains(severestTime) else {
                throw InvalidDetectionState("time \(severestTime) of key \(index) is out of range")
            }
            let state = State(window: window, isOpen: isOpen[index], severest: priority, severestTime: severestTime)
            guard keys.appendAsNewest(keyList[index], state) else { throw InvalidDetectionState("key \(index) is repeated") }
        }
        guard offset == seconds.count else { throw InvalidDetectionState("the seconds column is longer than the second counts") }
    }
}

/// Hands out episode numbers, unique within one detection engine.
struct EpisodeNumbering: Sendable, Codable {
    private(set) var last = 0

    init(last: Int = 0) {
        self.last = last
    }

    mutating func next() -> Int {
        last += 1
        return last
    }
}

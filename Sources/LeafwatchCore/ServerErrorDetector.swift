/// Settings of the server-error rule beyond the shared ones.
public struct ServerErrorSettings: Sendable, Equatable {
    public var base: DetectorSettings
    /// Fraction 0...1 of 5xx responses among all requests in `ratioWindow`; 0 disables the ratio rule.
    public var ratio: Double
    public var ratioWindow: Int64
    public var ratioMinimumRequests: Int
    public var perVirtualHost: Bool

    public init(base: DetectorSettings, ratio: Double = 0.10, ratioWindow: Int64 = 300, ratioMinimumRequests: Int = 50,
                perVirtualHost: Bool = true) {
        self.base = base
        self.ratio = ratio
        self.ratioWindow = ratioWindow
        self.ratioMinimumRequests = ratioMinimumRequests
        self.perVirtualHost = perVirtualHost
    }
}

/// 500–599 responses across the server (key `*`) and per virtual host. An
/// episode opens when the count rule holds (at least `threshold` 5xx within
/// `window`) or the ratio rule is met (at least `ratio` of at least
/// `ratioMinimumRequests` requests within `ratioWindow` were 5xx). The
/// episode counts 5xx responses.
struct ServerErrorDetector: Sendable {
    struct State: Sendable {
        var errors = SecondCounts()
        var requests = SecondCounts()
        var episode: Episode? = nil
    }

    var settings: ServerErrorSettings
    var episodeSettings: EpisodeSettings
    /// The whole server's state; virtual hosts are in `keys`.
    private var server = State()
    private(set) var keys: BoundedKeyMap<String, State>
    private(set) var openKeys: Set<String> = []

    init(settings: ServerErrorSettings, episodes: EpisodeSettings) {
        self.settings = settings
        self.episodeSettings = episodes
        self.keys = BoundedKeyMap(maxKeys: episodes.maxTrackedKeys)
    }

    var evictions: Int { keys.evictions }
    private var longestWindow: Int64 { max(settings.base.window, settings.ratio > 0 ? settings.ratioWindow : 0) }
    private var quietSpan: Int64 { longestWindow + episodeSettings.maxLateness }

    /// Counts one request with its status for the server and its virtual host.
    mutating func count(status: Int, virtualHost: String?, time: Int64, watermark: Int64,
                        episodes: inout EpisodeNumbering, alerts: inout [Alert]) {
        countKey("*", virtualHost: nil, status: status, time: time, watermark: watermark, episodes: &episodes, alerts: &alerts)
        if settings.perVirtualHost, let virtualHost, virtualHost != "*" {
            countKey(virtualHost, virtualHost: virtualHost, status: status, time: time, watermark: watermark,
                     episodes: &episodes, alerts: &alerts)
        }
    }

    private mutating func countKey(_ key: String, virtualHost: String?, status: Int, time: Int64, watermark: Int64,
                                   episodes: inout EpisodeNumbering, alerts: inout [Alert]) {
        var opened = false
        var closedByEviction: String? = nil
        let settings = self.settings
        let longestWindow = self.longestWindow
        let maxLateness = episodeSettings.maxLateness
        let updateInterval = episodeSettings.updateInterval ?? settings.base.window

        if key == "*" {
            opened = Self.count(&server, key: key, virtualHost: nil, status: status, time: time, watermark: watermark,
                                settings: settings, longestWindow: longestWindow, maxLateness: maxLateness,
                                updateInterval: updateInterval, episodes: &episodes, alerts: &alerts)
        } else {
            let base = settings.base
            opened = keys.withValue(for: key, make: { State() }, evicted: { evictedKey, state in
                if let episode = state.episode {
                    alerts.append(episode.alert(.close, rule: .serverErrorBurst, threshold: base.threshold, window: base.window))
                    closedByEviction = evictedKey
                }
            }) { state in
                Self.count(&state, key: key, virtualHost: virtualHost, status: status, time: time, watermark: watermark,
                           settings: settings, longestWindow: longestWindow, maxLateness: maxLateness,
                           updateInterval: updateInterval, episodes: &episodes, alerts: &alerts)
            }
        }
        if let closedByEviction { openKeys.remove(closedByEviction) }
        if opened { openKeys.insert(key) }
    }

    /// Counts one request in `state`; returns true when an episode opened.
    private static func count(
        _ state: inout State, key: String, virtualHost: String?, status: Int, time: Int64, watermark: Int64,
        settings: ServerErrorSettings, longestWindow: Int64, maxLateness: Int64, updateInterval: Int64,
        episodes: inout EpisodeNumbering, alerts: inout [Alert]
    ) -> Bool {
        let base = settings.base
        let isError = status >= 500 && status <= 599
        let keepFrom = watermark - maxLateness - longestWindow + 1
        let isLate = state.requests.latest.map { time < $0 } ?? false
        state.requests.add(time)
        state.requests.removeBefore(keepFrom)
        state.errors.removeBefore(keepFrom)
        guard isError else { return false }
        state.errors.add(time)

        if var episode = state.episode {
            if let phase = episode.add(time: time, priority: base.priority, updateInterval: updateInterval) {
                alerts.append(episode.alert(phase, rule: .serverErrorBurst, threshold: base.threshold, window: base.window))
            }
            state.episode = episode
            return false
        }

        // The count rule.
        let byCount = state.errors.total < base.threshold ? (count: 0, end: time, first: nil) : isLate
            ? state.errors.maxCount(windowsContaining: time, length: base.window)
            : { let c = state.errors.count(windowEndingAt: time, length: base.window); return (c.count, time, c.first) }()
        var trigger: (count: Int, first: Int64?, end: Int64, requests: Int?)? = nil
        if byCount.count >= base.threshold {
            trigger = (byCount.count, byCount.first, byCount.end, nil)
        } else if settings.ratio > 0 {
            // The ratio rule, over the window that ends at this error.
            let errors = state.errors.count(windowEndingAt: time, length: settings.ratioWindow)
            let requests = state.requests.count(windowEndingAt: time, length: settings.ratioWindow)
            // Dividing compares exactly at the boundary: 7 of 100 is 7 %, while
            // 0.07 * 100 is 7.000000000000001 in floating point.
            if requests.count >= settings.ratioMinimumRequests,
               Double(errors.count) / Double(requests.count) >= settings.ratio {
                trigger = (errors.count, errors.first, time, requests.count)
            }
        }
        guard let trigger else { return false }
        let subject = AlertSubject(key: key, virtualHost: virtualHost)
        let episode = Episode(number: episodes.next(), subject: subject, firstSeen: trigger.first ?? time,
                              lastSeen: max(trigger.end, time), count: trigger.count, priority: base.priority,
                              lastReport: time, requests: trigger.requests)
        state.episode = episode
        alerts.append(episode.alert(.open, rule: .serverErrorBurst, threshold: base.threshold, window: base.window))
        return true
    }

    /// Closes the episodes that have been quiet long enough at `watermark`,
    /// in the order they were opened.
    mutating func closeQuiet(at watermark: Int64, alerts: inout [Alert]) {
        guard !openKeys.isEmpty else { return }
        let base = settings.base
        var closed: [(key: String, episode: Episode)] = []
        for key in openKeys {
            let episode = key == "*" ? server.episode : keys.peek(key)?.episode
            guard let episode, episode.isQuiet(at: watermark, quietSpan: quietSpan) else { continue }
            closed.append((key, episode))
        }
        closed.sort { $0.episode.number < $1.episode.number }
        for (key, episode) in closed {
            alerts.append(episode.alert(.close, rule: .serverErrorBurst, threshold: base.threshold, window: base.window))
            openKeys.remove(key)
            if key == "*" {
                server.episode = nil
            } else {
                keys.update(key) { $0.episode = nil }
            }
        }
    }
}

/// Settings of the server-error rule beyond the shared ones.
public struct ServerErrorSettings: Sendable, Equatable, Codable {
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

    /// The numbers of the open episodes, the whole server's included.
    var openEpisodeNumbers: [Int] {
        openKeys.compactMap { key in key == "*" ? server.episode?.number : keys.peek(key)?.episode?.number }
    }

    /// Closes every open episode, when new settings replace the detector.
    mutating func closeAll(alerts: inout [Alert]) {
        closeQuiet(at: Int64.max / 2, alerts: &alerts)
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

// MARK: - Saved state

extension ServerErrorDetector {
    /// The detector's state in flat columns. Virtual hosts are in least
    /// recently used order, and the per-host columns follow that order.
    struct Snapshot: Codable {
        /// The time that the seconds of the pairs are relative to.
        var timeBase: Int64
        /// The whole server's 5xx responses and requests as second, count pairs.
        var serverErrors: PackedIntegers
        var serverRequests: PackedIntegers
        var serverEpisode: Episode?
        var hosts: StringColumn
        /// The number of kept seconds of each host in `errors` and `requests`.
        var errorCounts: PackedIntegers
        var requestCounts: PackedIntegers
        /// Second, count pairs of every host, the pairs of one host after those of the previous one.
        var errors: PackedIntegers
        var requests: PackedIntegers
        /// Indices into `hosts` of the hosts with an open episode, ordered like `openEpisodes`.
        var openHosts: PackedIntegers
        var openEpisodes: EpisodeColumns
        var evictions: Int
    }

    /// Returns the state with times relative to `timeBase`, best a time
    /// close to the kept ones, such as the watermark.
    func snapshot(timeBase: Int64) -> Snapshot {
        var serverErrors: [Int64] = []
        var serverRequests: [Int64] = []
        server.errors.appendPairs(to: &serverErrors, relativeTo: timeBase)
        server.requests.appendPairs(to: &serverRequests, relativeTo: timeBase)
        var hosts: [String] = []
        var errorCounts: [Int64] = []
        var requestCounts: [Int64] = []
        var errors: [Int64] = []
        var requests: [Int64] = []
        var open: [(index: Int64, episode: Episode)] = []
        keys.forEachOldestFirst { host, state in
            if let episode = state.episode { open.append((Int64(hosts.count), episode)) }
            hosts.append(host)
            var before = errors.count
            state.errors.appendPairs(to: &errors, relativeTo: timeBase)
            errorCounts.append(Int64((errors.count - before) / 2))
            before = requests.count
            state.requests.appendPairs(to: &requests, relativeTo: timeBase)
            requestCounts.append(Int64((requests.count - before) / 2))
        }
        open.sort { $0.episode.number < $1.episode.number }
        return Snapshot(timeBase: timeBase, serverErrors: PackedIntegers(serverErrors), serverRequests: PackedIntegers(serverRequests),
                        serverEpisode: server.episode, hosts: StringColumn(hosts), errorCounts: PackedIntegers(errorCounts),
                        requestCounts: PackedIntegers(requestCounts), errors: PackedIntegers(errors),
                        requests: PackedIntegers(requests), openHosts: PackedIntegers(open.map(\.index)),
                        openEpisodes: EpisodeColumns(open.map(\.episode)), evictions: keys.evictions)
    }

    /// Creates a detector with the state of `snapshot`, after checking that
    /// the state is consistent and fits `episodes.maxTrackedKeys`.
    init(settings: ServerErrorSettings, episodes: EpisodeSettings, snapshot: Snapshot) throws(InvalidDetectionState) {
        self.init(settings: settings, episodes: episodes)
        let times = DetectionEngine.savedTimes
        let base = snapshot.timeBase
        server.errors = try SecondCounts(pairs: snapshot.serverErrors.values[...], relativeTo: base, times: times)
        server.requests = try SecondCounts(pairs: snapshot.serverRequests.values[...], relativeTo: base, times: times)
        if let episode = snapshot.serverEpisode {
            try episode.validate()
            server.episode = episode
            openKeys.insert("*")
        }

        let hosts = try snapshot.hosts.strings()
        let count = hosts.count
        let errorCounts = snapshot.errorCounts.values
        let requestCounts = snapshot.requestCounts.values
        let errors = snapshot.errors.values
        let requests = snapshot.requests.values
        guard errorCounts.count == count, requestCounts.count == count else {
            throw InvalidDetectionState("the per-host columns differ in length from the \(count) hosts")
        }
        guard count <= keys.maxKeys else {
            throw InvalidDetectionState("\(count) hosts exceed the maximum of \(keys.maxKeys)")
        }
        guard snapshot.evictions >= 0 else { throw InvalidDetectionState("eviction count \(snapshot.evictions) is negative") }
        keys = BoundedKeyMap(maxKeys: episodes.maxTrackedKeys, evictions: snapshot.evictions)
        keys.reserveCapacity(count)

        // Open episodes, by host index.
        let openHosts = snapshot.openHosts.values
        let openList = try snapshot.openEpisodes.episodes()
        guard openHosts.count == openList.count else {
            throw InvalidDetectionState("\(openHosts.count) open hosts for \(openList.count) open episodes")
        }
        var episodeOfHost = [Episode?](repeating: nil, count: count)
        for (index, episode) in zip(openHosts, openList) {
            guard index >= 0, index < count, episodeOfHost[Int(index)] == nil else {
                throw InvalidDetectionState("open host index \(index) is out of range or repeated")
            }
            episodeOfHost[Int(index)] = episode
        }

        // Hosts, least recently used first. The whole server's key `*` is never a host.
        var errorOffset = 0
        var requestOffset = 0
        for index in 0..<count {
            let host = hosts[index]
            guard host != "*" else { throw InvalidDetectionState("host key '*' is reserved for the whole server") }
            let errorPairs = errorCounts[index]
            let requestPairs = requestCounts[index]
            guard errorPairs >= 0, errorPairs <= (errors.count - errorOffset) / 2,
                  requestPairs >= 0, requestPairs <= (requests.count - requestOffset) / 2 else {
                throw InvalidDetectionState("second counts of host \(index) do not match the seconds columns")
            }
            let errorEnd = errorOffset + 2 * Int(errorPairs)
            let requestEnd = requestOffset + 2 * Int(requestPairs)
            var state = State()
            state.errors = try SecondCounts(pairs: errors[errorOffset..<errorEnd], relativeTo: base, times: times)
            state.requests = try SecondCounts(pairs: requests[requestOffset..<requestEnd], relativeTo: base, times: times)
            state.episode = episodeOfHost[index]
            errorOffset = errorEnd
            requestOffset = requestEnd
            guard keys.appendAsNewest(host, state) else { throw InvalidDetectionState("host \(index) is repeated") }
            if state.episode != nil { openKeys.insert(host) }
        }
        guard errorOffset == errors.count, requestOffset == requests.count else {
            throw InvalidDetectionState("the seconds columns are longer than the second counts")
        }
    }
}

/// The detectors together: takes observations in arrival order and returns
/// alerts. Pure and deterministic: it reads no clock and does no I/O, so the
/// same observations give the same alerts in `scan` and in the daemon.
///
/// Time is event time. The watermark is the latest observation time seen;
/// an observation more than `maxLateness` behind it is counted in
/// `tooLate` and not detected on. Episodes close when the watermark has
/// passed their last event by the window plus `maxLateness`, or at `finish`.
///
/// The whole state is `Codable`, so a daemon can save it and continue after
/// a restart with the same alerts and episode numbers as without the
/// restart. `reconfigure` swaps in new settings and keeps the state of the
/// detectors whose settings stay.
public struct DetectionEngine: Sendable {
    public internal(set) var settings: DetectionSettings
    public var history: UserHistory
    var perIP: ThresholdDetector<ClientAddress>
    var perUser: ThresholdDetector<String>
    var newClient: ThresholdDetector<UserNetwork>
    var serverErrors: ServerErrorDetector
    var flood: ThresholdDetector<ClientAddress>
    var duplicates: FailureDeduplicator
    var episodes = EpisodeNumbering()
    public internal(set) var watermark: Int64 = .min
    var lastCloseCheck: Int64 = .min

    /// Observations that arrived later than the lateness tolerance allows.
    public internal(set) var tooLate = 0
    /// Failures dropped because the other log had already counted them.
    public internal(set) var duplicateFailures = 0

    public init(settings: DetectionSettings, history: UserHistory? = nil) {
        self.settings = settings
        self.history = history ?? UserHistory(history: settings.history, ipv6PrefixLength: settings.ipv6PrefixLength)
        self.history.history = settings.history
        self.history.ipv6PrefixLength = settings.ipv6PrefixLength
        let episodes = settings.episodes
        perIP = ThresholdDetector(rule: .authFailuresPerIP, settings: settings.authFailuresPerIP, episodes: episodes)
        perUser = ThresholdDetector(rule: .authFailuresPerUser, settings: settings.authFailuresPerUser, episodes: episodes)
        newClient = ThresholdDetector(rule: .newClientForUser, settings: settings.newClientForUser, episodes: episodes)
        serverErrors = ServerErrorDetector(settings: settings.serverErrorBurst, episodes: episodes)
        flood = ThresholdDetector(rule: .requestFlood, settings: settings.requestFlood, episodes: episodes)
        duplicates = FailureDeduplicator(maxKeys: episodes.maxTrackedKeys)
    }

    /// Episodes opened and not yet closed, over every rule.
    public var openEpisodeCount: Int {
        perIP.openEpisodes.count + perUser.openEpisodes.count + newClient.openEpisodes.count
            + serverErrors.openKeys.count + flood.openEpisodes.count
    }

    /// Keys evicted per rule to stay within `maxTrackedKeys`.
    public var evictions: [Rule: Int] {
        [.authFailuresPerIP: perIP.evictions, .authFailuresPerUser: perUser.evictions,
         .newClientForUser: newClient.evictions, .serverErrorBurst: serverErrors.evictions, .requestFlood: flood.evictions]
    }

    /// Processes one observation; alerts are appended to `alerts`. `names`
    /// turns host-name clients into text.
    public mutating func process(_ observation: Observation, names: HostNameTable, alerts: inout [Alert]) {
        advance(to: observation.time, alerts: &alerts)
        guard observation.time >= watermark - settings.episodes.maxLateness else {
            tooLate += 1
            return
        }

        if case .request(let status) = observation.kind {
            if observation.isAuthenticatedSuccess, let user = observation.user {
                noteSuccess(observation, user: user, names: names, alerts: &alerts)
            }
            if settings.requestFlood.enabled, !observation.isIgnoredPath {
                flood.count(observation.client, time: observation.time, watermark: watermark, priority: settings.requestFlood.priority,
                            episodes: &episodes, alerts: &alerts) {
                    AlertSubject(key: names.text(for: observation.client), client: names.text(for: observation.client))
                }
            }
            if settings.serverErrorBurst.base.enabled {
                serverErrors.count(status: status, virtualHost: observation.virtualHost, time: observation.time,
                                   watermark: watermark, episodes: &episodes, alerts: &alerts)
            }
        }

        if observation.isAuthFailure, !observation.isIgnoredPath {
            noteFailure(observation, names: names, alerts: &alerts)
        }
    }

    /// Moves event time forward without an observation (the daemon does this
    /// from its clock when logs go quiet) and closes quiet episodes.
    public mutating func advance(to time: Int64, alerts: inout [Alert]) {
        guard time > watermark else { return }
        watermark = time
        guard watermark > lastCloseCheck else { return }
        lastCloseCheck = watermark
        perIP.closeQuiet(at: watermark, alerts: &alerts)
        perUser.closeQuiet(at: watermark, alerts: &alerts)
        newClient.closeQuiet(at: watermark, alerts: &alerts)
        serverErrors.closeQuiet(at: watermark, alerts: &alerts)
        flood.closeQuiet(at: watermark, alerts: &alerts)
    }

    /// Swaps in new settings, for a configuration reload. A detector whose
    /// settings are unchanged keeps its windows and open episodes. A detector
    /// whose settings changed closes its open episodes, with a `close` alert
    /// each appended to `alerts`, and starts empty. So does every detector
    /// when the shared episode settings changed, and a disabled detector.
    /// Episode numbers continue. The user history stays, with the new
    /// history span and IPv6 prefix length.
    public mutating func reconfigure(_ newSettings: DetectionSettings, alerts: inout [Alert]) {
        let old = settings
        let episodeSettings = newSettings.episodes
        let episodesChanged = episodeSettings != old.episodes

        if episodesChanged || newSettings.authFailuresPerIP != old.authFailuresPerIP || !newSettings.authFailuresPerIP.enabled {
            perIP.closeAll(alerts: &alerts)
            perIP = ThresholdDetector(rule: .authFailuresPerIP, settings: newSettings.authFailuresPerIP, episodes: episodeSettings)
        }
        if episodesChanged || newSettings.authFailuresPerUser != old.authFailuresPerUser || !newSettings.authFailuresPerUser.enabled {
            perUser.closeAll(alerts: &alerts)
            perUser = ThresholdDetector(rule: .authFailuresPerUser, settings: newSettings.authFailuresPerUser, episodes: episodeSettings)
        }
        // The new-client keys contain networks grouped by the IPv6 prefix length.
        if episodesChanged || newSettings.newClientForUser != old.newClientForUser || !newSettings.newClientForUser.enabled
            || newSettings.ipv6PrefixLength != old.ipv6PrefixLength {
            newClient.closeAll(alerts: &alerts)
            newClient = ThresholdDetector(rule: .newClientForUser, settings: newSettings.newClientForUser, episodes: episodeSettings)
        }
        if episodesChanged || newSettings.serverErrorBurst != old.serverErrorBurst || !newSettings.serverErrorBurst.base.enabled {
            serverErrors.closeAll(alerts: &alerts)
            serverErrors = ServerErrorDetector(settings: newSettings.serverErrorBurst, episodes: episodeSettings)
        }
        if episodesChanged || newSettings.requestFlood != old.requestFlood || !newSettings.requestFlood.enabled {
            flood.closeAll(alerts: &alerts)
            flood = ThresholdDetector(rule: .requestFlood, settings: newSettings.requestFlood, episodes: episodeSettings)
        }
        if episodeSettings.maxTrackedKeys != old.episodes.maxTrackedKeys {
            duplicates = duplicates.resized(maxKeys: episodeSettings.maxTrackedKeys)
        }

        settings = newSettings
        history.history = newSettings.history
        history.ipv6PrefixLength = newSettings.ipv6PrefixLength
    }

    /// Closes every open episode, at the end of the input of a scan.
    public mutating func finish(alerts: inout [Alert]) {
        let end = Int64.max / 4
        perIP.closeQuiet(at: end, alerts: &alerts)
        perUser.closeQuiet(at: end, alerts: &alerts)
        newClient.closeQuiet(at: end, alerts: &alerts)
        serverErrors.closeQuiet(at: end, alerts: &alerts)
        flood.closeQuiet(at: end, alerts: &alerts)
    }

    /// Records a successful request in the history and counts it for the
    /// new-client rule when its network is new for the user. The first
    /// success makes the network known, so later successes from it count
    /// while the network's episode is open or its window still contains an
    /// event. That way the alert carries the number of requests, and a
    /// `Threshold=` above 1 can be reached.
    private mutating func noteSuccess(_ observation: Observation, user: String, names: HostNameTable, alerts: inout [Alert]) {
        let settings = settings.newClientForUser
        if settings.enabled {
            let time = observation.time
            let key = UserNetwork(user: user, network: history.network(of: observation.client))
            let isNew = !history.isKnown(user: user, address: observation.client, at: time)
                && (history.firstSeen(user: user).map { time - $0 >= self.settings.learningPeriod } ?? false)
            if isNew || newClient.isActive(key, at: time) {
                newClient.count(key, time: time, watermark: watermark, priority: settings.priority,
                                episodes: &episodes, alerts: &alerts) {
                    AlertSubject(key: user, client: names.text(for: observation.client), user: user)
                }
            }
        }
        history.recordSuccess(user: user, address: observation.client, at: observation.time)
    }

    private mutating func noteFailure(_ observation: Observation, names: HostNameTable, alerts: inout [Alert]) {
        if duplicates.isDuplicate(observation, keepFrom: watermark - settings.episodes.maxLateness) {
            duplicateFailures += 1
            return
        }

        // A failure for a user who never succeeded from this address looks like an attack.
        let isFromUnknownAddress = observation.user.map {
            !history.isKnown(user: $0, address: observation.client, at: observation.time)
        } ?? false

        if settings.authFailuresPerIP.enabled {
            let perIPSettings = settings.authFailuresPerIP
            perIP.count(observation.client, time: observation.time, watermark: watermark,
                        priority: isFromUnknownAddress ? perIPSettings.escalatedPriority : perIPSettings.priority,
                        episodes: &episodes, alerts: &alerts) {
                AlertSubject(key: names.text(for: observation.client), client: names.text(for: observation.client))
            }
        }
        if settings.authFailuresPerUser.enabled, let user = observation.user {
            let perUserSettings = settings.authFailuresPerUser
            perUser.count(user, time: observation.time, watermark: watermark,
                          priority: isFromUnknownAddress ? perUserSettings.escalatedPriority : perUserSettings.priority,
                          episodes: &episodes, alerts: &alerts) {
                AlertSubject(key: user, user: user)
            }
        }
    }
}

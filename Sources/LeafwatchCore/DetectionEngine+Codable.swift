/// Saving and restoring the whole detection state.
///
/// The encoded state contains the settings, the user history and every
/// detector's kept keys, least recently used first, with their per-second
/// counts, flags and open episodes. It also contains the deduplicator's
/// unpaired failures, the last episode number, the watermark and the
/// counters. Keys and counts are flat columns per detector rather than one
/// object per key, because a state can hold 100,000 keys per detector and a
/// daemon writes it every few seconds.
///
/// The slot index of each key map is seeded per process, so it is not
/// saved. Decoding rebuilds it by inserting the keys in their saved order,
/// which also restores their recency. Decoding checks the state and throws
/// `DecodingError.dataCorrupted` for inconsistent data (unsorted seconds,
/// counts out of range, repeated keys, episode numbers above the last one,
/// arrays of different lengths) instead of trapping later.
///
/// Host-name clients are indices into a `HostNameTable`, so save the table
/// (also `Codable`) together with the engine to keep their meaning.
/// To continue with a configuration that may have changed since the save,
/// decode the engine and then call `reconfigure` with the current settings.
extension DetectionEngine: Codable {
    /// Event times accepted in saved state: about 35,000 years either side
    /// of 1970, so that window arithmetic on them cannot overflow.
    static let savedTimes: ClosedRange<Int64> = -(1 << 40)...(1 << 40)
    /// The layout version written in `format`. Decoding rejects any other.
    static let stateFormat = 1

    private enum CodingKeys: String, CodingKey {
        case format, settings, history, lastEpisode, watermark, lastCloseCheck, tooLate, duplicateFailures
        case authFailuresPerIP, authFailuresPerUser, newClientForUser, serverErrorBurst, requestFlood, duplicates
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.stateFormat, forKey: .format)
        try container.encode(settings, forKey: .settings)
        try container.encode(episodes.last, forKey: .lastEpisode)
        try container.encode(watermark, forKey: .watermark)
        try container.encode(lastCloseCheck, forKey: .lastCloseCheck)
        try container.encode(tooLate, forKey: .tooLate)
        try container.encode(duplicateFailures, forKey: .duplicateFailures)
        // Kept times lie shortly before the watermark, so relative to it they are short numbers.
        let timeBase = watermark == .min ? 0 : watermark
        try container.encode(history.snapshot(timeBase: timeBase), forKey: .history)
        try container.encode(perIP.snapshot(timeBase: timeBase), forKey: .authFailuresPerIP)
        try container.encode(perUser.snapshot(timeBase: timeBase), forKey: .authFailuresPerUser)
        try container.encode(newClient.snapshot(timeBase: timeBase), forKey: .newClientForUser)
        try container.encode(serverErrors.snapshot(timeBase: timeBase), forKey: .serverErrorBurst)
        try container.encode(flood.snapshot(timeBase: timeBase), forKey: .requestFlood)
        try container.encode(duplicates.snapshot(timeBase: timeBase), forKey: .duplicates)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(Int.self, forKey: .format)
        guard format == Self.stateFormat else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription: "state format \(format) is not supported because this version reads only format \(Self.stateFormat)")
        }

        // Settings and history first: the detectors are built from the settings.
        let settings = try container.decode(DetectionSettings.self, forKey: .settings)
        try Self.check(.settings, in: container) { () throws(InvalidDetectionState) in try settings.validate() }
        let historyState = try container.decode(UserHistory.Snapshot.self, forKey: .history)
        let history = try Self.check(.history, in: container) { () throws(InvalidDetectionState) in
            try UserHistory(history: settings.history, ipv6PrefixLength: settings.ipv6PrefixLength, snapshot: historyState)
        }
        self.init(settings: settings, history: history)

        // Numbering, event time and counters.
        let lastEpisode = try container.decode(Int.self, forKey: .lastEpisode)
        let watermark = try container.decode(Int64.self, forKey: .watermark)
        let lastCloseCheck = try container.decode(Int64.self, forKey: .lastCloseCheck)
        let tooLate = try container.decode(Int.self, forKey: .tooLate)
        let duplicateFailures = try container.decode(Int.self, forKey: .duplicateFailures)
        try Self.check(.watermark, in: container) { () throws(InvalidDetectionState) in
            guard watermark == .min || Self.savedTimes.contains(watermark) else {
                throw InvalidDetectionState("watermark \(watermark) is out of range")
            }
            guard lastCloseCheck == .min || (Self.savedTimes.contains(lastCloseCheck) && lastCloseCheck <= watermark) else {
                throw InvalidDetectionState("last close check \(lastCloseCheck) is out of range or after the watermark")
            }
            guard lastEpisode >= 0, tooLate >= 0, duplicateFailures >= 0 else {
                throw InvalidDetectionState("a counter is negative")
            }
        }
        episodes = EpisodeNumbering(last: lastEpisode)
        self.watermark = watermark
        self.lastCloseCheck = lastCloseCheck
        self.tooLate = tooLate
        self.duplicateFailures = duplicateFailures

        // The detectors.
        let episodeSettings = settings.episodes
        let perIPState = try container.decode(ThresholdDetector<ClientAddress>.Snapshot.self, forKey: .authFailuresPerIP)
        perIP = try Self.check(.authFailuresPerIP, in: container) { () throws(InvalidDetectionState) in
            try ThresholdDetector(rule: .authFailuresPerIP, settings: settings.authFailuresPerIP, episodes: episodeSettings,
                                  snapshot: perIPState)
        }
        let perUserState = try container.decode(ThresholdDetector<String>.Snapshot.self, forKey: .authFailuresPerUser)
        perUser = try Self.check(.authFailuresPerUser, in: container) { () throws(InvalidDetectionState) in
            try ThresholdDetector(rule: .authFailuresPerUser, settings: settings.authFailuresPerUser, episodes: episodeSettings,
                                  snapshot: perUserState)
        }
        let newClientState = try container.decode(ThresholdDetector<UserNetwork>.Snapshot.self, forKey: .newClientForUser)
        newClient = try Self.check(.newClientForUser, in: container) { () throws(InvalidDetectionState) in
            try ThresholdDetector(rule: .newClientForUser, settings: settings.newClientForUser, episodes: episodeSettings,
                                  snapshot: newClientState)
        }
        let serverErrorState = try container.decode(ServerErrorDetector.Snapshot.self, forKey: .serverErrorBurst)
        serverErrors = try Self.check(.serverErrorBurst, in: container) { () throws(InvalidDetectionState) in
            try ServerErrorDetector(settings: settings.serverErrorBurst, episodes: episodeSettings, snapshot: serverErrorState)
        }
        let floodState = try container.decode(ThresholdDetector<ClientAddress>.Snapshot.self, forKey: .requestFlood)
        flood = try Self.check(.requestFlood, in: container) { () throws(InvalidDetectionState) in
            try ThresholdDetector(rule: .requestFlood, settings: settings.requestFlood, episodes: episodeSettings, snapshot: floodState)
        }
        let duplicateState = try container.decode(FailureDeduplicator.Snapshot.self, forKey: .duplicates)
        duplicates = try Self.check(.duplicates, in: container) { () throws(InvalidDetectionState) in
            try FailureDeduplicator(maxKeys: episodeSettings.maxTrackedKeys, snapshot: duplicateState)
        }

        // Every open episode needs its own number, at most the last one handed out.
        let numbers = perIP.openEpisodes.values.map(\.number) + perUser.openEpisodes.values.map(\.number)
            + newClient.openEpisodes.values.map(\.number) + flood.openEpisodes.values.map(\.number)
            + serverErrors.openEpisodeNumbers
        try Self.check(.lastEpisode, in: container) { () throws(InvalidDetectionState) in
            guard numbers.allSatisfy({ $0 <= lastEpisode }) else {
                throw InvalidDetectionState("an open episode's number is above the last episode number \(lastEpisode)")
            }
            guard Set(numbers).count == numbers.count else { throw InvalidDetectionState("two open episodes share a number") }
        }
    }

    /// Runs `body` and turns its `InvalidDetectionState` into a
    /// `DecodingError` at `key`.
    private static func check<Result>(
        _ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>,
        _ body: () throws(InvalidDetectionState) -> Result
    ) throws -> Result {
        do {
            return try body()
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: error.reason)
        }
    }
}

/// An inconsistency in saved detection state, found while restoring it.
struct InvalidDetectionState: Error {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

// MARK: - Settings and episodes

extension DetectionSettings {
    /// Checks the ranges that the configuration parser enforces, where a
    /// value outside them could make detection trap on overflow.
    func validate() throws(InvalidDetectionState) {
        let maxSpan = ConfigurationSchema.maxSpan
        let detectors = [("AuthFailuresPerIP", authFailuresPerIP), ("AuthFailuresPerUser", authFailuresPerUser),
                         ("NewClientForUser", newClientForUser), ("ServerErrorBurst", serverErrorBurst.base),
                         ("RequestFlood", requestFlood)]
        for (name, detector) in detectors {
            guard detector.threshold >= 1, (1...maxSpan).contains(detector.window) else {
                throw InvalidDetectionState("threshold or window of \(name) is out of range")
            }
        }
        guard (1...maxSpan).contains(serverErrorBurst.ratioWindow), (0...1).contains(serverErrorBurst.ratio),
              serverErrorBurst.ratioMinimumRequests >= 0 else {
            throw InvalidDetectionState("a ratio setting of ServerErrorBurst is out of range")
        }
        guard (0...maxSpan).contains(history), (0...maxSpan).contains(learningPeriod), (0...128).contains(ipv6PrefixLength) else {
            throw InvalidDetectionState("a history setting of NewClientForUser is out of range")
        }
        guard (0...maxSpan).contains(episodes.maxLateness), episodes.maxTrackedKeys >= 1,
              episodes.updateInterval.map({ (1...maxSpan).contains($0) }) ?? true else {
            throw InvalidDetectionState("an episode setting is out of range")
        }
    }
}

extension Episode {
    func validate() throws(InvalidDetectionState) {
        let times = DetectionEngine.savedTimes
        guard number >= 1, count >= 1, requests.map({ $0 >= 0 }) ?? true else {
            throw InvalidDetectionState("episode \(number) has a number or count out of range")
        }
        guard times.contains(firstSeen), times.contains(lastSeen), times.contains(lastReport), firstSeen <= lastSeen else {
            throw InvalidDetectionState("episode \(number) has times out of range or out of order")
        }
    }
}

/// Accumulates observations, journal alerts and line counts into a `Report`.
///
/// Observations inside `period` make the report's counts. Those inside
/// `previousPeriod` count into the previous totals per status class, and
/// their successful logins also count as "before the period" for new
/// addresses. Other observations are ignored.
///
/// Feed the observations of all files merged in time order, as `scan` does:
/// an error-log failure is dropped as the copy of an access-log failure only
/// when the two arrive within the lateness tolerance of each other.
public struct ReportBuilder: Sendable {
    /// Clients listed per top list.
    public static let maxClients = 10
    /// Users listed per user list; the report keeps the total.
    public static let maxUsers = 100
    /// Addresses listed per user.
    public static let maxAddressesPerUser = 10
    /// The longest span without a log line that is not reported as a gap, in seconds.
    public static let minGap: Int64 = 3600

    public let period: Range<Int64>
    public let previousPeriod: Range<Int64>
    public let timeZone: LocalTimeZone
    public let checkInDay: Configuration.Weekday
    public let host: String

    /// What a user did in the period.
    struct UserActivity {
        var failures = 0
        var successes = 0
        var failureAddresses: [ClientAddress: Int] = [:]
        /// Successful requests per network (see `UserHistory.network(of:)`), with the first address seen in it.
        var successNetworks: [ClientAddress: (address: ClientAddress, count: Int)] = [:]
    }

    /// Status counts and clients of the period.
    private var current = ScanSummary()
    /// Only the status counts of the previous period are kept.
    private var previous = ScanSummary()
    private var days: [Report.Day]
    private var usersPerDay: [Set<String>]
    private var lastDayIndex = 0
    private var users: [String: UserActivity] = [:]
    /// Networks each user succeeded from in the previous period.
    private var earlierNetworks: [String: Set<ClientAddress>] = [:]
    /// Successes before the previous period, and the IPv6 grouping of addresses.
    private let history: UserHistory
    private let hasHistory: Bool
    private var deduplicator: FailureDeduplicator
    private let maxLateness: Int64
    private var latestTime = Int64.min
    /// Host names of clients, copied from the callers' tables so that their indices stay valid here.
    private var hostNames = HostNameTable()
    /// One bit per second of the period, set when a line has that time.
    private var lineSeconds: [UInt64]
    private var knownGaps: [Report.Gap] = []
    private var sourceProblems: [String] = []
    private var alertsRead = true
    private var malformedLines = 0
    private var cutLines = 0
    private var episodes: [EpisodeKey: Report.Episode] = [:]

    /// Episode numbers start again at 1 when a state directory is reset, so
    /// the rule and key take part in telling episodes apart.
    private struct EpisodeKey: Hashable {
        var host: String?
        var episodeID: Int
        var rule: Rule
        var key: String
    }

    /// Creates a builder for `period` compared with `previousPeriod`, both
    /// UTC seconds. `history` holds the users' successful logins before the
    /// previous period, for instance the daemon's saved state, or nil.
    /// `settings` provides the lateness tolerance and key limit of the
    /// deduplication of failures written to both logs.
    public init(period: Range<Int64>, previousPeriod: Range<Int64>, timeZone: LocalTimeZone,
                checkInDay: Configuration.Weekday, host: String, history: UserHistory? = nil,
                settings: DetectionSettings = DetectionSettings()) {
        self.period = period
        self.previousPeriod = previousPeriod
        self.timeZone = timeZone
        self.checkInDay = checkInDay
        self.host = host
        self.history = history ?? UserHistory(ipv6PrefixLength: settings.ipv6PrefixLength)
        self.hasHistory = history != nil
        self.deduplicator = FailureDeduplicator(maxKeys: settings.episodes.maxTrackedKeys)
        self.maxLateness = settings.episodes.maxLateness
        self.days = Self.makeDays(period: period, timeZone: timeZone, checkInDay: checkInDay)
        self.usersPerDay = Array(repeating: [], count: days.count)
        let length = max(0, period.upperBound - period.lowerBound)
        self.lineSeconds = Array(repeating: 0, count: Int((length + 63) / 64))
    }

    /// Adds one parsed access-log request or error-log failure. `names` is
    /// the table the observation's host-name client refers to.
    public mutating func add(_ observation: Observation, names: HostNameTable) {
        let time = observation.time
        if previousPeriod.contains(time) && !period.contains(time) {
            addPrevious(observation)
            return
        }
        guard period.contains(time) else { return }

        var observation = observation
        if observation.client.kind == .hostName {
            var text = names.text(for: observation.client)
            observation.client = text.withUTF8 { hostNames.address(for: $0) }
        }
        recordLine(at: time)
        latestTime = max(latestTime, time)

        let dayIndex = self.dayIndex(of: time)
        if case .request(let status) = observation.kind {
            current.addRequest(observation)
            if let dayIndex {
                days[dayIndex].requests += 1
                if status == 401 || status == 403 { days[dayIndex].denied += 1 }
                if status >= 500 && status <= 599 { days[dayIndex].serverErrors += 1 }
            }
        } else {
            current.clients[observation.client, default: ScanSummary.ClientCounts()].errorLogFailures += 1
        }

        guard let user = observation.user else { return }
        if observation.isAuthFailure {
            guard !deduplicator.isDuplicate(observation, keepFrom: latestTime - maxLateness) else { return }
            var activity = users[user, default: UserActivity()]
            activity.failures += 1
            activity.failureAddresses[observation.client, default: 0] += 1
            users[user] = activity
        } else if observation.isAuthenticatedSuccess {
            let network = history.network(of: observation.client)
            var activity = users[user, default: UserActivity()]
            activity.successes += 1
            let entry = activity.successNetworks[network] ?? (observation.client, 0)
            activity.successNetworks[network] = (entry.address, entry.count + 1)
            users[user] = activity
            if let dayIndex { usersPerDay[dayIndex].insert(user) }
        }
    }

    private mutating func addPrevious(_ observation: Observation) {
        if case .request(let status) = observation.kind {
            previous.statusCounts[min(max(status, 0), 999)] += 1
        }
        if observation.isAuthenticatedSuccess, let user = observation.user {
            // Host-name clients are not compared, because their indices belong to the caller's table.
            guard observation.client.kind != .hostName else { return }
            earlierNetworks[user, default: []].insert(history.network(of: observation.client))
        }
    }

    /// Notes a log line that is no observation (an error-log line of
    /// another kind) so that its time does not count as a gap.
    public mutating func recordLine(at time: Int64) {
        guard period.contains(time) else { return }
        let offset = Int(time - period.lowerBound)
        lineSeconds[offset >> 6] |= 1 << UInt64(offset & 63)
    }

    /// Adds lines that did not match their format; `cut` of them were longer than the maximum line length.
    public mutating func addMalformedLines(_ count: Int, cut: Int = 0) {
        malformedLines += count
        cutLines += cut
    }

    /// Adds a gap the caller knows of, such as the time covered by a rotated
    /// file that could not be read. It is reported besides the gaps found
    /// from line times.
    public mutating func addGap(_ span: Range<Int64>, reason: String) {
        knownGaps.append(Report.Gap(span: span, reason: reason))
    }

    /// Adds a sentence about a source that could not be read, such as
    /// "cannot read /var/log/apache2/access.log.2.gz: Permission denied".
    public mutating func addSourceProblem(_ sentence: String) {
        sourceProblems.append(sentence)
    }

    /// Notes that the journal's alerts were not read, with the sentence why.
    public mutating func markAlertsUnread(_ reason: String) {
        alertsRead = false
        sourceProblems.append(reason)
    }

    /// Adds one alert read from the journal. Alerts of one episode (same
    /// `host`, `alert.episode`, rule and key) merge: the count of the latest alert, the
    /// highest priority, the earliest first event and the latest last event.
    public mutating func addEpisode(_ alert: Alert, host: String?) {
        let key = EpisodeKey(host: host, episodeID: alert.episode, rule: alert.rule, key: alert.key)
        guard var episode = episodes[key] else {
            episodes[key] = Report.Episode(
                rule: alert.rule, key: alert.key, client: alert.client, user: alert.user, virtualHost: alert.virtualHost,
                priority: alert.priority, count: alert.count, threshold: alert.threshold, window: alert.window,
                firstSeen: alert.firstSeen, lastSeen: alert.lastSeen, episodeID: alert.episode, host: host,
                isClosed: alert.phase == .close)
            return
        }
        episode.priority = max(episode.priority, alert.priority)
        episode.firstSeen = min(episode.firstSeen, alert.firstSeen)
        if alert.lastSeen >= episode.lastSeen || alert.phase == .close {
            episode.count = max(episode.count, alert.count)
        }
        episode.lastSeen = max(episode.lastSeen, alert.lastSeen)
        episode.isClosed = episode.isClosed || alert.phase == .close
        episodes[key] = episode
    }

    /// Returns the index of the day containing `time`, which lies in the period.
    private mutating func dayIndex(of time: Int64) -> Int? {
        // Lines come mostly in time order, so the last day usually matches.
        if lastDayIndex < days.count, days[lastDayIndex].span.contains(time) { return lastDayIndex }
        var low = 0
        var high = days.count
        while low < high {
            let middle = (low + high) / 2
            if days[middle].span.upperBound <= time { low = middle + 1 } else { high = middle }
        }
        guard low < days.count, days[low].span.contains(time) else { return nil }
        lastDayIndex = low
        return low
    }

    /// Returns the calendar days of `timeZone` that overlap `period`, each cut to the period.
    static func makeDays(period: Range<Int64>, timeZone: LocalTimeZone, checkInDay: Configuration.Weekday) -> [Report.Day] {
        guard !period.isEmpty else { return [] }
        let start = period.lowerBound
        let local = start + timeZone.offset(atUTC: start)
        var dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        var days: [Report.Day] = []
        while true {
            let midnight = timeZone.utc(fromLocal: dayNumber * 86_400)
            guard midnight < period.upperBound else { break }
            let nextMidnight = timeZone.utc(fromLocal: (dayNumber + 1) * 86_400)
            let date = CivilTime.civilDate(daysSinceEpoch: Int(dayNumber))
            // 1970-01-01 was a Thursday, ISO weekday 4.
            let weekdayNumber = Int(((dayNumber + 3) % 7 + 7) % 7) + 1
            let weekday = Configuration.Weekday(rawValue: weekdayNumber)!
            let span = max(midnight, start)..<min(nextMidnight, period.upperBound)
            days.append(Report.Day(date: Self.dateText(date), weekday: weekday, span: span, isCheckInDay: weekday == checkInDay))
            dayNumber += 1
        }
        return days
    }

    static func dateText(_ date: (year: Int, month: Int, day: Int)) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }
}

// MARK: - Building

extension ReportBuilder {
    /// Returns the report of everything added so far.
    public func build() -> Report {
        let classes = current.statusClasses()
        let previousClasses = previous.statusClasses()
        let statusClasses = zip(classes, previousClasses).map { now, before in
            Report.StatusClassTotal(name: now.0, count: now.1, previousCount: before.1)
        }

        var days = self.days
        for index in days.indices { days[index].usersLoggedIn = usersPerDay[index].count }

        return Report(
            period: period, previousPeriod: previousPeriod, host: host, timeZone: timeZone.identifier, checkInDay: checkInDay,
            statusClasses: statusClasses, days: days,
            topDeniedClients: topClients(where: { $0.denied > 0 || $0.errorLogFailures > 0 }) {
                ($0.denied, $0.errorLogFailures, $0.serverErrors, $0.requests)
            },
            topServerErrorClients: topClients(where: { $0.serverErrors > 0 }) {
                ($0.serverErrors, $0.denied, $0.errorLogFailures, $0.requests)
            },
            usersWithFailures: failingUsers { _ in true },
            lockedOutUsers: failingUsers { $0.successes == 0 },
            newAddresses: newAddressListing(),
            episodes: episodeList(),
            dataQuality: Report.DataQuality(gaps: gaps(), malformedLines: malformedLines, cutLines: cutLines,
                                            sourceProblems: sourceProblems),
            alertsRead: alertsRead)
    }

    /// Returns the text of a client address.
    private func text(of address: ClientAddress) -> String {
        hostNames.text(for: address)
    }

    /// Returns up to `maxClients` clients that pass `filter`, ordered by
    /// `rank` descending, ties in address order (IPv4, IPv6, host names).
    private func topClients(where filter: (ScanSummary.ClientCounts) -> Bool,
                            rank: (ScanSummary.ClientCounts) -> (Int32, Int32, Int32, Int32)) -> [Report.Client] {
        let selected = current.clients.filter { filter($0.value) }.sorted { a, b in
            let left = rank(a.value)
            let right = rank(b.value)
            if left != right { return left > right }
            return (a.key.kind.rawValue, a.key.high, a.key.low) < (b.key.kind.rawValue, b.key.high, b.key.low)
        }
        return selected.prefix(Self.maxClients).map { address, counts in
            Report.Client(address: text(of: address), requests: Int(counts.requests), denied: Int(counts.denied),
                          serverErrors: Int(counts.serverErrors), errorLogFailures: Int(counts.errorLogFailures))
        }
    }

    /// Returns the users with failures that pass `filter`, most failures first, ties by name.
    private func failingUsers(where filter: (UserActivity) -> Bool) -> Report.Listing<Report.User> {
        let selected = users.filter { $0.value.failures > 0 && filter($0.value) }.sorted { a, b in
            a.value.failures != b.value.failures ? a.value.failures > b.value.failures : a.key < b.key
        }
        let entries = selected.prefix(Self.maxUsers).map { name, activity in
            Report.User(name: name, failures: activity.failures, successes: activity.successes,
                        failureAddresses: addressCounts(activity.failureAddresses.map { ($0.key, $0.value) }),
                        failureAddressCount: activity.failureAddresses.count)
        }
        return Report.Listing(entries: entries, total: selected.count)
    }

    /// Returns up to `maxAddressesPerUser` addresses, most counted first, ties by text.
    private func addressCounts(_ counts: [(ClientAddress, Int)]) -> [Report.AddressCount] {
        let named = counts.map { Report.AddressCount(address: text(of: $0.0), count: $0.1) }
        let sorted = named.sorted { $0.count != $1.count ? $0.count > $1.count : $0.address < $1.address }
        return Array(sorted.prefix(Self.maxAddressesPerUser))
    }

    /// Tells whether `user` succeeded from `network` before the period: in the
    /// previous period, or in the history within its length before the period's start.
    private func isKnownBefore(user: String, network: ClientAddress) -> Bool {
        if earlierNetworks[user]?.contains(network) == true { return true }
        // A history saved after the period's start stores only the latest
        // success per network, so a network last seen inside the period
        // cannot tell whether it was used before; it counts as new.
        guard let lastSeen = history.users[user]?.networks[network], lastSeen < period.lowerBound else { return false }
        return period.lowerBound - lastSeen <= history.history
    }

    private func newAddressListing() -> Report.Listing<Report.NewAddresses> {
        var all: [Report.NewAddresses] = []
        for (user, activity) in users where !activity.successNetworks.isEmpty {
            let fresh = activity.successNetworks.filter { network, _ in
                // Host-name clients of earlier periods are not tracked, so they are never reported as new.
                network.kind != .hostName && !isKnownBefore(user: user, network: network)
            }
            guard !fresh.isEmpty else { continue }
            let firstSuccess = history.firstSeen(user: user)
            let isNewUser = earlierNetworks[user] == nil && (firstSuccess.map { $0 >= period.lowerBound } ?? true)
            all.append(Report.NewAddresses(user: user, addresses: addressCounts(fresh.values.map { ($0.address, $0.count) }),
                                           addressCount: fresh.count, isNewUser: isNewUser))
        }
        all.sort { $0.user < $1.user }
        return Report.Listing(entries: Array(all.prefix(Self.maxUsers)), total: all.count)
    }

    /// Returns the episodes that overlap the period, by first event, then rule, host and number.
    private func episodeList() -> [Report.Episode] {
        episodes.values.filter { $0.lastSeen >= period.lowerBound && $0.firstSeen < period.upperBound }.sorted { a, b in
            (a.firstSeen, a.rule, a.host ?? "", a.episodeID) < (b.firstSeen, b.rule, b.host ?? "", b.episodeID)
        }
    }

    /// Returns the spans of more than `minGap` seconds without a line, and
    /// the gaps added by the caller, by start. The period's start and end
    /// count as lines, so a quiet first or last hour is a gap too.
    private func gaps() -> [Report.Gap] {
        var found: [Report.Gap] = []
        var previousLine = period.lowerBound
        for (wordIndex, word) in lineSeconds.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                bits &= bits - 1
                let time = period.lowerBound + Int64(wordIndex * 64 + bit)
                if time - previousLine > Self.minGap {
                    found.append(Report.Gap(span: previousLine..<time, reason: nil))
                }
                previousLine = time
            }
        }
        if period.upperBound - previousLine > Self.minGap {
            found.append(Report.Gap(span: previousLine..<period.upperBound, reason: nil))
        }
        return (found + knownGaps).sorted { $0.span.lowerBound < $1.span.lowerBound }
    }
}

/// The episodes of a finished run, one entry each, taken from the alerts:
/// an episode's last alert carries its final count and priority.
public struct EpisodeList: Sendable {
    public private(set) var episodes: [Alert]

    /// Builds the list from every alert of a run, in any order. Entries are
    /// ordered by first event, then rule, then key.
    public init(alerts: [Alert]) {
        var latest: [Int: Alert] = [:]
        for alert in alerts {
            if let existing = latest[alert.episode], existing.phase == .close { continue }
            latest[alert.episode] = alert
        }
        episodes = latest.values.sorted { a, b in
            (a.firstSeen, a.rule, a.key, a.episode) < (b.firstSeen, b.rule, b.key, b.episode)
        }
    }
}

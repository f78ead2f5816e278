#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import LeafwatchCore

/// One alert entry that leafwatch wrote to the journal, read back from its
/// fields (`LEAFWATCH_*`, `PRIORITY`, `_HOSTNAME`) and its timestamp. The
/// alert's own fields read through it, as in `entry.count`.
@dynamicMemberLookup
public struct JournalAlert: Sendable, Equatable {
    /// The alert as the daemon wrote it. Its `episode`, `LEAFWATCH_EPISODE_ID`,
    /// is unique per episode for one state directory, so only the host, the
    /// rule and the key together with it identify an episode.
    public var alert: Alert
    /// `LEAFWATCH_LOG_PATH`, the log the alert's last line came from.
    public var logPath: String?
    /// `_HOSTNAME`, which journald sets; empty when the entry has none.
    public var hostname: String
    /// The entry's realtime timestamp: microseconds since the epoch when
    /// journald received it.
    public var realtime: UInt64

    public init(alert: Alert, logPath: String? = nil, hostname: String, realtime: UInt64) {
        self.alert = alert
        self.logPath = logPath
        self.hostname = hostname
        self.realtime = realtime
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Alert, Value>) -> Value {
        alert[keyPath: keyPath]
    }

    /// Returns the key a rule counts by, as the detectors set it: the client
    /// address, the user name, or the virtual host (`*` for the whole server).
    static func key(rule: Rule, client: String?, user: String?, virtualHost: String?) -> String {
        switch rule {
        case .authFailuresPerIP, .requestFlood: client ?? "-"
        case .authFailuresPerUser, .newClientForUser: user ?? "-"
        case .serverErrorBurst: virtualHost ?? "*"
        }
    }
}

/// Reads leafwatch's alert entries from a journal through sd-journal, with
/// one match per rule's `MESSAGE_ID`.
///
/// `.local` opens the journal files of this machine's system journal
/// (`SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM`), where journald puts the
/// entries of system services and of dynamic users such as the daemon's. Entries that
/// unprivileged users send go to their own user journals when journald
/// splits by user, so they are not read. `.directory` opens every journal
/// file in one directory, such as the `remote-*.journal` files that
/// systemd-journal-remote collects from several hosts.
public final class JournalReader {
    public enum Source: Sendable, Equatable {
        case local
        case directory(String)
    }

    public let source: Source
    /// Entries that matched a leafwatch `MESSAGE_ID` but lacked a required
    /// field or had an invalid value, since this reader was opened.
    public private(set) var skippedEntries = 0
    private let journal: OpaquePointer

    /// Opens the journal. Throws `SystemError` with the errno of
    /// `sd_journal_open` or `sd_journal_open_directory`, and EACCES (local)
    /// or ENOENT (directory) when no journal file can be read there.
    public init(source: Source = .local) throws(SystemError) {
        self.source = source
        let path = Self.displayPath(of: source)
        var handle: OpaquePointer?
        let result: Int32
        switch source {
        case .local:
            result = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY) | Int32(SD_JOURNAL_SYSTEM))
        case .directory(let directory):
            result = sd_journal_open_directory(&handle, directory, 0)
        }
        guard result >= 0, let handle else {
            throw SystemError("open journal files in", path: path, errno: -result)
        }

        // sd-journal skips files it cannot open, so a reader without
        // permission reads an empty journal instead of getting an error.
        var usage: UInt64 = 0
        if sd_journal_get_usage(handle, &usage) < 0 || usage == 0 {
            sd_journal_close(handle)
            switch source {
            case .local:
                throw SystemError("open journal files in", path: path, errno: EACCES,
                                  detail: "no journal file is readable; run as root or as a member of the group "
                                      + "systemd-journal or adm")
            case .directory:
                throw SystemError("open journal files in", path: path, errno: ENOENT,
                                  detail: "the directory contains no journal file that can be read")
            }
        }
        journal = handle
    }

    deinit {
        sd_journal_close(journal)
    }

    /// Reads the alert entries that journald received within
    /// `since..<until` (UTC seconds since the epoch), in the journal's order.
    ///
    /// NOTE: reading stops at the first entry at or after `until`, and
    /// `sd_journal_seek_realtime_usec` finds the start by bisection. Both
    /// assume that realtime timestamps grow within a journal file, so entries
    /// written while the clock was set back may be missed.
    ///
    /// - Throws: `SystemError` with the errno of the sd-journal call that failed.
    public func alerts(since: Int64, until: Int64) throws(SystemError) -> [JournalAlert] {
        let path = Self.displayPath(of: source)
        let start = UInt64(max(0, since)) * 1_000_000
        let end = UInt64(max(0, until)) * 1_000_000
        guard start < end else { return [] }

        // Matches on the same field are OR-ed by sd-journal.
        sd_journal_flush_matches(journal)
        for rule in Rule.allCases {
            let match = "MESSAGE_ID=" + rule.messageID
            let result = sd_journal_add_match(journal, match, match.utf8.count)
            if result < 0 { throw SystemError("add a journal match to", path: path, errno: -result) }
        }
        let seek = sd_journal_seek_realtime_usec(journal, start)
        if seek < 0 { throw SystemError("seek in the journal", path: path, errno: -seek) }

        var alerts: [JournalAlert] = []
        while true {
            let step = sd_journal_next(journal)
            if step < 0 { throw SystemError("read the journal", path: path, errno: -step) }
            if step == 0 { break }

            var realtime: UInt64 = 0
            let time = sd_journal_get_realtime_usec(journal, &realtime)
            if time < 0 { throw SystemError("read the journal", path: path, errno: -time) }
            if realtime >= end { break }
            if realtime < start { continue }

            if let alert = try currentAlert(realtime: realtime, path: path) {
                alerts.append(alert)
            } else {
                skippedEntries += 1
            }
        }
        return alerts
    }

    /// Returns one entry per episode, keyed by host, episode number, rule and key:
    /// the close when there is one, else the last alert in `alerts`' order.
    /// The result is ordered by first event, rule, key, host and episode.
    public static func episodes(from alerts: [JournalAlert]) -> [JournalAlert] {
        struct EpisodeKey: Hashable {
            var hostname: String
            var episode: Int
            var rule: Rule
            var key: String
        }
        var latest: [EpisodeKey: JournalAlert] = [:]
        for alert in alerts {
            let key = EpisodeKey(hostname: alert.hostname, episode: alert.episode, rule: alert.rule, key: alert.key)
            if let existing = latest[key], existing.phase == .close { continue }
            latest[key] = alert
        }
        return latest.values.sorted { a, b in
            (a.firstSeen, a.rule, a.key, a.hostname, a.episode) < (b.firstSeen, b.rule, b.key, b.hostname, b.episode)
        }
    }

    /// Builds the alert from the current entry; nil when a required field is
    /// missing or invalid.
    private func currentAlert(realtime: UInt64, path: String) throws(SystemError) -> JournalAlert? {
        guard let rule = try field("LEAFWATCH_RULE", path: path).flatMap(Rule.init(rawValue:)),
              let phase = try field("LEAFWATCH_EPISODE", path: path).flatMap(Alert.Phase.init(rawValue:)),
              let episode = try field("LEAFWATCH_EPISODE_ID", path: path).flatMap({ Int($0) }),
              let priority = try field("PRIORITY", path: path).flatMap({ Int($0) }).flatMap(Priority.init(rawValue:)),
              let count = try field("LEAFWATCH_COUNT", path: path).flatMap({ Int($0) }),
              let threshold = try field("LEAFWATCH_THRESHOLD", path: path).flatMap({ Int($0) }),
              let window = try field("LEAFWATCH_WINDOW_SEC", path: path).flatMap({ Int64($0) }),
              let firstSeen = try field("LEAFWATCH_FIRST_SEEN", path: path).flatMap(CivilTime.parseISO8601),
              let lastSeen = try field("LEAFWATCH_LAST_SEEN", path: path).flatMap(CivilTime.parseISO8601)
        else { return nil }

        let requests: Int?
        if let text = try field("LEAFWATCH_REQUESTS", path: path) {
            guard let value = Int(text) else { return nil }
            requests = value
        } else {
            requests = nil
        }
        let client = try field("LEAFWATCH_CLIENT_IP", path: path)
        let user = try field("LEAFWATCH_USER", path: path)
        let virtualHost = try field("LEAFWATCH_VHOST", path: path)
        let alert = Alert(
            rule: rule, phase: phase, key: JournalAlert.key(rule: rule, client: client, user: user, virtualHost: virtualHost),
            client: client, user: user, virtualHost: virtualHost, priority: priority, count: count, threshold: threshold,
            window: window, firstSeen: firstSeen, lastSeen: lastSeen, episode: episode, requests: requests)
        return JournalAlert(alert: alert, logPath: try field("LEAFWATCH_LOG_PATH", path: path),
                            hostname: try field("_HOSTNAME", path: path) ?? "", realtime: realtime)
    }

    /// Returns the value of `name` in the current entry as text (invalid
    /// UTF-8 replaced), or nil when the entry lacks the field.
    private func field(_ name: String, path: String) throws(SystemError) -> String? {
        var data: UnsafeRawPointer?
        var length = 0
        let result = sd_journal_get_data(journal, name, &data, &length)
        if result == -ENOENT { return nil }
        guard result >= 0, let data else {
            throw SystemError("read field \(name) from the journal", path: path, errno: -result)
        }
        // The data is `NAME=value`.
        let prefix = name.utf8.count + 1
        guard length >= prefix else { return nil }
        let value = UnsafeRawBufferPointer(start: data + prefix, count: length - prefix)
        return String(decoding: value, as: UTF8.self)
    }

    private static func displayPath(of source: Source) -> String {
        switch source {
        case .local: "/var/log/journal and /run/log/journal"
        case .directory(let directory): directory
        }
    }
}

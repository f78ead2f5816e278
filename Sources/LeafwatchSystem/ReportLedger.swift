import Foundation

/// The periods whose report was mailed, kept in `reports.json` in the state
/// directory, so that a catch-up run of the timer after a downtime does not
/// mail the same period twice.
///
/// A period matches an entry only when its start and end are both equal.
/// `record` writes the file atomically through `StateFile` before it changes
/// the value, so a failed write leaves both as they were. The file keeps
/// the newest `maxEntries` entries, ten years of weekly reports.
public struct ReportLedger: Sendable, Equatable {
    /// The file name in the state directory.
    public static let fileName = "reports.json"
    /// The maximum number of entries kept; older ones are dropped when a new one is recorded.
    public static let maxEntries = 520

    /// A report period in seconds since 1970-01-01 UTC, the end excluded.
    public struct Period: Codable, Sendable, Hashable {
        public var start: Int64
        public var end: Int64

        public init(start: Int64, end: Int64) {
            self.start = start
            self.end = end
        }
    }

    /// One mailed report.
    public struct Entry: Codable, Sendable, Equatable {
        public var period: Period
        /// The time the sendmail program accepted the message, in seconds since 1970-01-01 UTC.
        public var sentAt: Int64
        /// The message's `Message-ID:` without angle brackets.
        public var messageID: String
        /// The period was the default one, as the timer's runs mail it,
        /// rather than one given with `--since` or `--until`.
        public var isDefaultPeriod: Bool

        public init(period: Period, sentAt: Int64, messageID: String, isDefaultPeriod: Bool = false) {
            self.period = period
            self.sentAt = sentAt
            self.messageID = messageID
            self.isDefaultPeriod = isDefaultPeriod
        }

        private enum CodingKeys: String, CodingKey {
            case period, sentAt, messageID, isDefaultPeriod
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            period = try container.decode(Period.self, forKey: .period)
            sentAt = try container.decode(Int64.self, forKey: .sentAt)
            messageID = try container.decode(String.self, forKey: .messageID)
            isDefaultPeriod = try container.decodeIfPresent(Bool.self, forKey: .isDefaultPeriod) ?? false
        }
    }

    /// The state directory the ledger is read from and written to.
    public let directory: String
    /// The mailed reports, oldest first.
    public private(set) var entries: [Entry]

    /// Reads the ledger from `directory`; a missing file is an empty ledger.
    public static func load(directory: String) throws(SystemError) -> ReportLedger {
        let file = try StateFile.read(StoredLedger.self, directory: directory, name: fileName)
        return ReportLedger(directory: directory, entries: file?.reports ?? [])
    }

    init(directory: String, entries: [Entry]) {
        self.directory = directory
        self.entries = entries
    }

    /// Returns true when a report for exactly `period` was mailed.
    public func contains(_ period: Period) -> Bool {
        entry(for: period) != nil
    }

    /// Returns the latest entry for exactly `period`, or nil.
    public func entry(for period: Period) -> Entry? {
        entries.last { $0.period == period }
    }

    /// The latest end of the default periods mailed, or nil when none was.
    public var lastDefaultPeriodEnd: Int64? {
        entries.filter(\.isDefaultPeriod).map(\.period.end).max()
    }

    /// Adds an entry for `period` and writes the ledger to its file.
    public mutating func record(_ period: Period, sentAt: Int64, messageID: String,
                                isDefaultPeriod: Bool = false) throws(SystemError) {
        var updated = entries
        updated.append(Entry(period: period, sentAt: sentAt, messageID: messageID, isDefaultPeriod: isDefaultPeriod))
        if updated.count > Self.maxEntries {
            updated.removeFirst(updated.count - Self.maxEntries)
        }
        try StateFile.write(StoredLedger(version: 1, reports: updated), directory: directory, name: Self.fileName)
        entries = updated
    }
}

/// The JSON form of the ledger file.
private struct StoredLedger: Codable {
    var version: Int
    var reports: [ReportLedger.Entry]
}

/// The weekly report: what happened on one host (or, for a central host, on
/// several hosts' alerts) during one period, compared with the period before.
///
/// Times are UTC seconds since the epoch. Days are calendar days in the
/// report's time zone, so a day may last 23 or 25 hours when the zone's
/// offset changes. Names taken from logs (users, host names, virtual hosts)
/// are stored as logged; each renderer escapes and bounds them for its medium.
/// A `Report` is made by `ReportBuilder`.
public struct Report: Sendable, Equatable {
    /// The span covered, `start..<end`.
    public var period: Range<Int64>
    /// The span the totals are compared with, usually the same length just before `period`.
    public var previousPeriod: Range<Int64>
    /// The host the logs come from.
    public var host: String
    /// The IANA identifier of the zone the days are counted in.
    public var timeZone: String
    public var checkInDay: Configuration.Weekday

    /// Requests in the period and in the previous period, per status class:
    /// `1xx` to `5xx`, then `other` for codes outside 100–599.
    public var statusClasses: [StatusClassTotal]
    public var days: [Day]
    /// Clients with at least one 401 or 403 or error-log failure, by 401/403 count and then error-log failures; at most `ReportBuilder.maxClients`.
    public var topDeniedClients: [Client]
    /// Clients with at least one 5xx response, most first; at most `ReportBuilder.maxClients`.
    public var topServerErrorClients: [Client]
    /// Users with at least one failed login, most failures first.
    public var usersWithFailures: Listing<User>
    /// Users who failed in the period and never succeeded in it: likely locked out.
    public var lockedOutUsers: Listing<User>
    /// Users who succeeded from an address not seen for them before the period.
    public var newAddresses: Listing<NewAddresses>
    /// Every alert episode that overlaps the period, by first event.
    public var episodes: [Episode]
    /// Spans inside the period without any log line, and the lines that could not be used.
    public var dataQuality: DataQuality
    /// False when the journal's alerts were not read (left out on purpose, or
    /// unreadable); `episodes` is then empty without meaning that none occurred.
    public var alertsRead = true

    /// Totals of one status class.
    public struct StatusClassTotal: Sendable, Equatable {
        /// `1xx` … `5xx` or `other`.
        public var name: String
        public var count: Int
        public var previousCount: Int

        /// The count minus the previous period's count.
        public var change: Int { count - previousCount }

        /// The change in percent of the previous count, rounded toward zero;
        /// nil when the previous period has no request of this class.
        public var changePercent: Int? {
            previousCount == 0 ? nil : change * 100 / previousCount
        }
    }

    /// One calendar day in the report's time zone.
    public struct Day: Sendable, Equatable {
        /// The date as `2026-10-22`.
        public var date: String
        public var weekday: Configuration.Weekday
        /// From the day's local midnight to the next one, in UTC, cut to the report's period.
        public var span: Range<Int64>
        public var requests = 0
        /// 401 and 403 responses in the access log.
        public var denied = 0
        /// 500–599 responses.
        public var serverErrors = 0
        /// Distinct users with at least one successful (2xx or 3xx) authenticated request.
        public var usersLoggedIn = 0
        public var isCheckInDay: Bool

        /// Seconds of the day inside the period: 86,400 for a whole day
        /// except on days when the zone's offset changes.
        public var length: Int64 { span.upperBound - span.lowerBound }
    }

    /// A client address with its counts in the period.
    public struct Client: Sendable, Equatable {
        /// The IP address or the host name as logged.
        public var address: String
        public var requests: Int
        /// 401 and 403 responses.
        public var denied: Int
        /// 500–599 responses.
        public var serverErrors: Int
        /// Authentication failures and denials in the error log.
        public var errorLogFailures: Int
    }

    /// An address and how many times it occurred.
    public struct AddressCount: Sendable, Equatable {
        public var address: String
        public var count: Int
    }

    /// A user with failed logins.
    public struct User: Sendable, Equatable {
        public var name: String
        /// Failed logins, with an error-log copy of an access-log failure counted once.
        public var failures: Int
        /// Successful authenticated requests.
        public var successes: Int
        /// The addresses the failures came from, most failures first; at most
        /// `ReportBuilder.maxAddressesPerUser`.
        public var failureAddresses: [AddressCount]
        /// The number of distinct failure addresses, including those not listed.
        public var failureAddressCount: Int
    }

    /// The addresses a user succeeded from in the period but not before it.
    public struct NewAddresses: Sendable, Equatable {
        public var user: String
        /// Each new address (IPv6 grouped by network) with the user's successful requests from it.
        public var addresses: [AddressCount]
        /// The number of new addresses, including those not listed.
        public var addressCount: Int
        /// The user had no success at all before the period.
        public var isNewUser: Bool
    }

    /// A list cut to its first entries, with the length it had.
    public struct Listing<Element: Sendable & Equatable>: Sendable, Equatable {
        public var entries: [Element]
        /// The number of entries before the list was cut.
        public var total: Int
    }

    /// An alert episode as read from the journal: its last state in the period.
    public struct Episode: Sendable, Equatable {
        public var rule: Rule
        public var key: String
        public var client: String?
        public var user: String?
        public var virtualHost: String?
        /// The highest priority the episode reached.
        public var priority: Priority
        /// Events counted, as of the latest alert seen.
        public var count: Int
        public var threshold: Int
        /// The rule's window in seconds.
        public var window: Int64
        public var firstSeen: Int64
        public var lastSeen: Int64
        /// The number from `LEAFWATCH_EPISODE_ID`, unique per host's state directory.
        public var episodeID: Int
        /// The host that wrote the alert (`_HOSTNAME`), when known.
        public var host: String?
        /// A `close` alert was seen; otherwise the episode was still open at its last alert.
        public var isClosed: Bool
    }

    /// A span without any log line.
    public struct Gap: Sendable, Equatable {
        /// The time of the last line before the gap (or the period's start) and
        /// of the first line after it (or the period's end).
        public var span: Range<Int64>
        /// Why the gap is there, when the caller knows it (a file that could not be read); nil when detected from the lines.
        public var reason: String?
    }

    /// What may be missing from the counts.
    public struct DataQuality: Sendable, Equatable {
        /// Spans of more than `ReportBuilder.minGap` seconds without a line, by start.
        public var gaps: [Gap]
        /// Lines that did not match their format, cut lines included.
        public var malformedLines: Int
        /// Lines longer than the maximum line length.
        public var cutLines: Int
        /// Sources that could not be read, such as an unreadable rotated log
        /// or journal, each as one sentence; the counts lack their data.
        public var sourceProblems: [String] = []
    }

    /// All requests in the period.
    public var requests: Int { statusClasses.reduce(0) { $0 + $1.count } }

    /// All requests in the previous period.
    public var previousRequests: Int { statusClasses.reduce(0) { $0 + $1.previousCount } }
}

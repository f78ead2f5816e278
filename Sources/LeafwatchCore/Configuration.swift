/// The settings of `/etc/leafwatch/leafwatch.conf` and its drop-ins, one
/// nested struct per `[Section]`. Each property starts at the default that
/// config/leafwatch.conf documents. Time spans are whole seconds.
public struct Configuration: Sendable, Equatable {
    public var input = Input()
    public var authFailuresPerIP = AuthFailuresPerIP()
    public var authFailuresPerUser = AuthFailuresPerUser()
    public var newClientForUser = NewClientForUser()
    public var serverErrorBurst = ServerErrorBurst()
    public var requestFlood = RequestFlood()
    public var alerts = Alerts()
    public var report = Report()
    public var state = State()

    public init() {}

    /// The configuration when no file sets anything.
    public static let defaults = Configuration()

    /// `[Input]`: the logs to read and their format.
    public struct Input: Sendable, Equatable {
        /// `AccessLog=`: paths or shell globs of access logs.
        public var accessLogs = ["/var/log/apache2/*access.log"]
        /// `ErrorLog=`: paths or shell globs of error logs.
        public var errorLogs = ["/var/log/apache2/*error.log"]
        /// `LogFormat=`: the access-log format, compiled. Its `source` is the text as configured.
        public var logFormat = Configuration.combinedFormat
        /// `IgnorePaths=`: shell globs matched against the request path without the query.
        public var ignorePaths = ["*.gif", "*.jpg", "*.png", "*.swf", "*.ico"]
        /// `TrustedProxies=`: reverse proxies whose requests count for the client address they forward.
        public var trustedProxies: [IPNetwork] = []
        /// `TimeZone=`: IANA name for timestamps without a UTC offset, or nil for the system's zone.
        public var timeZone: String? = nil
        /// `MaxLineLength=`: bytes after which a line is cut and counted as malformed.
        public var maxLineLength = 64 * 1024
        /// `StartAt=`: the position where reading starts in a log seen for the first time.
        public var startAt = StartPosition.end

        public init() {}
    }

    /// `[AuthFailuresPerIP]`: failed logins and denials from one client address.
    public struct AuthFailuresPerIP: Sendable, Equatable {
        public var enabled = true
        public var threshold = 5
        public var window: Int64 = 10 * 60
        public var priority = Priority.warning
        /// Priority when the address never logged in successfully as the user it failed for.
        public var escalatedPriority = Priority.crit

        public init() {}
    }

    /// `[AuthFailuresPerUser]`: failed logins for one user name from any address.
    public struct AuthFailuresPerUser: Sendable, Equatable {
        public var enabled = true
        public var threshold = 3
        public var window: Int64 = 60 * 60
        public var priority = Priority.warning
        /// Priority when the failures come from an address the user never logged in from.
        public var escalatedPriority = Priority.crit

        public init() {}
    }

    /// `[NewClientForUser]`: a successful login from an address the user has not used before.
    public struct NewClientForUser: Sendable, Equatable {
        public var enabled = true
        /// Successful requests from the new address before the alert.
        public var threshold = 1
        /// Span in which a new address's repeated successes make one alert.
        public var window: Int64 = 60 * 60
        public var priority = Priority.notice
        /// How long an address stays known for a user after its last success.
        public var history: Int64 = 90 * 86_400
        /// Span after a user is first seen in which new addresses are learned without alerts.
        public var learningPeriod: Int64 = 14 * 86_400
        /// IPv6 clients within one network of this prefix length count as one address.
        public var ipv6PrefixLength = 64

        public init() {}
    }

    /// `[ServerErrorBurst]`: many 5xx responses in a short time.
    public struct ServerErrorBurst: Sendable, Equatable {
        public var enabled = true
        public var threshold = 20
        public var window: Int64 = 60
        public var priority = Priority.err
        /// Share of 5xx responses, in percent, that also opens an episode. 0 turns the ratio rule off.
        public var ratioPercent = 10.0
        public var ratioWindow: Int64 = 5 * 60
        /// Requests needed in `ratioWindow` before the ratio rule applies.
        public var ratioMinimumRequests = 50
        /// Count each virtual host on its own when the log format has one.
        public var perVirtualHost = true

        public init() {}
    }

    /// `[RequestFlood]`: many requests from one client address.
    public struct RequestFlood: Sendable, Equatable {
        public var enabled = true
        public var threshold = 600
        public var window: Int64 = 60
        public var priority = Priority.warning

        public init() {}
    }

    /// `[Alerts]`: limits that apply to every detector.
    public struct Alerts: Sendable, Equatable {
        /// How far a line's timestamp may lag behind the newest one seen and still be counted.
        public var maxLateness: Int64 = 5 * 60
        /// Maximum number of addresses, users or hosts each detector tracks at once.
        public var maxTrackedKeys = 100_000
        /// Minimum span between two updates of an open episode, or nil for the detector's window.
        public var updateInterval: Int64? = nil
        /// Maximum length in bytes of an alert's journal `MESSAGE=`.
        public var maxMessageLength = 512

        public init() {}
    }

    /// `[Report]`: the weekly mail report.
    public struct Report: Sendable, Equatable {
        /// `To=`: mail addresses the report is sent to. An empty list sends no report.
        public var recipients: [String] = []
        /// `From=`: the sender address, or nil for `leafwatch@` and the host name.
        public var sender: String? = nil
        /// `Sendmail=`: the command line that reads the message on standard input.
        public var sendmailCommand = "/usr/sbin/sendmail -t -oi"
        /// `TimeZone=`: IANA name for the report's dates, or nil for the system's zone.
        public var timeZone: String? = nil
        /// `CheckInDay=`: the weekday members check in, highlighted in the report.
        public var checkInDay = Weekday.thursday
        /// `Period=`: the span the report covers by default, ending at the start of the day it runs.
        public var period: Int64 = 7 * 86_400

        public init() {}
    }

    /// `[State]`: the directory for what leafwatch learns across runs.
    public struct State: Sendable, Equatable {
        /// `Directory=`: an absolute path.
        public var directory = "/var/lib/leafwatch"
        /// `CheckpointInterval=`: seconds between the daemon's saves of its read positions and detector state.
        public var checkpointInterval: Int64 = 5

        public init() {}
    }

    // The nickname is one of LogFormat.nicknames, and a test checks that the
    // defaults compile, so this never traps.
    static let combinedFormat = try! LogFormat("combined")
}

extension Configuration {
    /// `StartAt=`: the position where reading starts in a log file seen for the first time.
    public enum StartPosition: String, Sendable, Equatable, CaseIterable {
        case end
        case beginning
    }

    /// A day of the week, numbered as in ISO 8601 (Monday is 1).
    public enum Weekday: Int, Sendable, Equatable, CaseIterable {
        case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

        /// The English name, capitalized: `Thursday`.
        public var name: String {
            switch self {
            case .monday: "Monday"
            case .tuesday: "Tuesday"
            case .wednesday: "Wednesday"
            case .thursday: "Thursday"
            case .friday: "Friday"
            case .saturday: "Saturday"
            case .sunday: "Sunday"
            }
        }

        /// Parses an English weekday name or its three-letter abbreviation, in any case.
        public init?(name: String) {
            let lowered = name.lowercased()
            guard let day = Weekday.allCases.first(where: {
                let full = $0.name.lowercased()
                return lowered == full || lowered == String(full.prefix(3))
            }) else { return nil }
            self = day
        }
    }

    /// An IPv4 or IPv6 network in CIDR notation. A single address is a
    /// network of prefix length 32 or 128.
    public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
        /// The network address: the host bits are zero.
        public let address: ClientAddress
        /// Prefix length in the address family's own bits: up to 32 for IPv4, 128 for IPv6.
        public let prefixLength: Int

        /// Parses `192.0.2.10`, `192.0.2.0/24`, `2001:db8::/32` and the like,
        /// or returns nil for anything else. Host bits below the prefix are cleared,
        /// so `10.1.2.3/8` is `10.0.0.0/8`. An IPv4-mapped IPv6 network such as
        /// `::ffff:192.0.2.0/120` is the IPv4 network `192.0.2.0/24`.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let parsed = ClientAddress.parse(String(parts[0])), parsed.kind != .hostName else { return nil }
            let familyBits = parsed.kind == .ipv4 ? 32 : 128
            var length = familyBits
            if parts.count == 2 {
                let digits = parts[1]
                guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                      var number = Int(digits)
                else { return nil }
                // An IPv4 address written in IPv6 form counts its prefix over 128 bits.
                if parsed.kind == .ipv4, parts[0].contains(":") {
                    guard number >= 96 else { return nil }
                    number -= 96
                }
                guard number <= familyBits else { return nil }
                length = number
            }
            self.prefixLength = length
            self.address = IPNetwork.masked(parsed, prefixLength: length)
        }

        /// True when `candidate` is inside this network. Host names never are.
        public func contains(_ candidate: ClientAddress) -> Bool {
            guard candidate.kind == address.kind else { return false }
            return IPNetwork.masked(candidate, prefixLength: prefixLength) == address
        }

        /// The network as configured: the address alone when the prefix covers every bit.
        public var description: String {
            let familyBits = address.kind == .ipv4 ? 32 : 128
            return prefixLength == familyBits ? address.ipText : "\(address.ipText)/\(prefixLength)"
        }

        private static func masked(_ value: ClientAddress, prefixLength: Int) -> ClientAddress {
            // Returns a 64-bit mask with its top `bits` bits set.
            func topBits(_ bits: Int) -> UInt64 {
                if bits <= 0 { return 0 }
                if bits >= 64 { return .max }
                return .max << UInt64(64 - bits)
            }
            switch value.kind {
            case .ipv4:
                let mask = UInt32(truncatingIfNeeded: topBits(prefixLength) >> 32)
                return ClientAddress(ipv4: UInt32(truncatingIfNeeded: value.low) & mask)
            case .ipv6:
                let high = value.high & topBits(prefixLength)
                let low = value.low & topBits(prefixLength - 64)
                return ClientAddress(high: high, low: low, kind: .ipv6)
            case .hostName:
                return value
            }
        }
    }
}

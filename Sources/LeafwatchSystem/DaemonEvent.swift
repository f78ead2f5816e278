import LeafwatchCore

/// One of the daemon's own events: a start, a reload, a change of a followed
/// file, a failure. Each kind has a fixed `MESSAGE_ID`, so that
/// `journalctl -x` shows its catalog entry and queries find every instance.
public struct DaemonEvent: Sendable, Equatable {
    /// The kind of event; the raw value is the `LEAFWATCH_EVENT` field.
    public enum Kind: String, Sendable, CaseIterable {
        case started
        case reloaded
        case reloadFailed = "reload-failed"
        case stopping
        case fileOpened = "file-opened"
        case fileMissing = "file-missing"
        case fileUnreadable = "file-unreadable"
        case fileRotated = "file-rotated"
        case fileTruncated = "file-truncated"
        case fileDeleted = "file-deleted"
        case lineCut = "line-cut"
        case lineMalformed = "line-malformed"
        case lineLate = "line-late"
        case checkpointFailed = "checkpoint-failed"
        case stateReset = "state-reset"

        /// The fixed 128-bit journal `MESSAGE_ID` of this kind, as 32
        /// lower-case hex digits. These are random values chosen once; they
        /// never change, because operators' queries and the catalog use them.
        public var messageID: String {
            switch self {
            case .started: "049ec632e55a45889e15ad88e970462a"
            case .reloaded: "4426bfe86c6642d28758e6918651ac70"
            case .reloadFailed: "7ac047c76a574127bb98e9ea5ba1004c"
            case .stopping: "4e0bf047d26f4491a5fe279cbb687d63"
            case .fileOpened: "6107c6f2c79743e2b95e4080c26c7671"
            case .fileMissing: "c5a3ab363c4b43fdae7c1a625f3ea5c1"
            case .fileUnreadable: "83a97df668564b8dba1d4aacc0723dbc"
            case .fileRotated: "f75ab911324444edb50de2798db0a93c"
            case .fileTruncated: "c5dac77212534877b69ada0c34fde756"
            case .fileDeleted: "f8483c1b7fee45dba41b5bdbdbe94916"
            case .lineCut: "82795ec47a49423ab5c4030226601b23"
            case .lineMalformed: "004ed847edc8418c835d71ed652732af"
            case .lineLate: "beda8adfb4ac4dc5bb4c66f5e2085c6b"
            case .checkpointFailed: "a9cf8228acd947cfacf9be70d263e620"
            case .stateReset: "5e577d263d554b79be52fd69fe0bce01"
            }
        }

        /// The priority of an event of this kind unless the caller sets one.
        /// Failures that lose data or keep a change from taking effect are
        /// `err`, and conditions an operator should look at are `warning`.
        /// Changes of the service's state are `notice`, routine file changes `info`.
        public var defaultPriority: Priority {
            switch self {
            case .reloadFailed, .fileUnreadable, .checkpointFailed: .err
            case .fileMissing, .fileTruncated, .lineCut, .lineMalformed, .lineLate, .stateReset: .warning
            case .started, .reloaded, .stopping: .notice
            case .fileOpened, .fileRotated, .fileDeleted: .info
            }
        }
    }

    public var kind: Kind
    public var priority: Priority
    /// A sentence that the caller composes, with the path and the error's text where involved.
    public var message: String
    /// The followed file involved, for `LEAFWATCH_LOG_PATH`.
    public var path: String?
    /// The error number of a failed call, for `ERRNO`.
    public var errno: Int32?
    /// The configuration file and line of an invalid setting, for
    /// `LEAFWATCH_CONFIG_FILE` and `LEAFWATCH_CONFIG_LINE`.
    public var configFile: String?
    public var configLine: Int?

    public init(_ kind: Kind, message: String, priority: Priority? = nil, path: String? = nil, errno: Int32? = nil,
                configFile: String? = nil, configLine: Int? = nil) {
        self.kind = kind
        self.priority = priority ?? kind.defaultPriority
        self.message = message
        self.path = path
        self.errno = errno
        self.configFile = configFile
        self.configLine = configLine
    }

    /// Returns the journal fields of this event: `MESSAGE` (bounded by
    /// `maxMessageLength` bytes), `PRIORITY`, `SYSLOG_IDENTIFIER`,
    /// `MESSAGE_ID`, `LEAFWATCH_EVENT`, and the path, errno and configuration
    /// location where they are set.
    public func journalFields(maxMessageLength: Int) -> [JournalField] {
        var fields = [
            JournalField("MESSAGE", JournalText.message(message, maxBytes: maxMessageLength)),
            JournalField("PRIORITY", priority.rawValue),
            JournalField("SYSLOG_IDENTIFIER", Alert.syslogIdentifier),
            JournalField("MESSAGE_ID", kind.messageID),
            JournalField("LEAFWATCH_EVENT", kind.rawValue),
        ]
        if let path { fields.append(JournalField("LEAFWATCH_LOG_PATH", JournalText.fieldValue(path, maxBytes: 4096))) }
        if let errno { fields.append(JournalField("ERRNO", errno)) }
        if let configFile { fields.append(JournalField("LEAFWATCH_CONFIG_FILE", JournalText.fieldValue(configFile, maxBytes: 4096))) }
        if let configLine { fields.append(JournalField("LEAFWATCH_CONFIG_LINE", configLine)) }
        return fields
    }
}

/// An access-log format compiled from an Apache `LogFormat` string, an nginx
/// `log_format` string or a nickname, ready for `AccessLogParser`.
///
/// `%t` compiles to the literal `[`, a timestamp field and the literal `]`, so
/// that nginx's `[$time_local]` and Apache's `%t` parse the same way.
public struct LogFormat: Sendable, Equatable {
    /// How a field's bytes are read.
    public enum ValueKind: Sendable, Equatable {
        /// Any text; Apache escapes in it are decoded on request.
        case text
        /// A status code: three digits.
        case status
        /// A decimal count, or `-` for none.
        case integer
        /// A duration in the given number of units per second (1 for `%T`,
        /// 1_000_000 for `%D`); a decimal fraction is allowed.
        case duration(unitsPerSecond: Int64)
        /// `dd/Mon/yyyy:HH:MM:SS +hhmm`, without brackets.
        case commonLogTime
        /// Seconds, milliseconds or microseconds since the epoch.
        case epochTime(unitsPerSecond: Int64)
        /// A strftime pattern as given in `%{...}t`.
        case strftime(String)
    }

    public struct Field: Sendable, Equatable {
        /// Index into the parser's ranges: an `AccessField` raw value, or a
        /// slot after them for fields listed in `extraFieldNames`.
        public var slot: Int
        public var kind: ValueKind
        /// The directive as written in the format, for messages.
        public var directive: String
        /// Byte offset of the directive in the format string.
        public var offset: Int
    }

    public enum Item: Sendable, Equatable {
        case literal([UInt8])
        case field(Field)
    }

    public let items: [Item]
    /// Names of fields without an `AccessField` meaning, such as `%{Cookie}i`.
    public let extraFieldNames: [String]
    /// The format as the user wrote it, or the nickname.
    public let source: String

    /// The number of slots a parser needs for this format.
    public var slotCount: Int { AccessField.allCases.count + extraFieldNames.count }

    /// Returns the parser slot of a field listed in `extraFieldNames`, such as
    /// `header:Cookie` for `%{Cookie}i`, or nil when the format has no such field.
    public func slot(ofExtraField name: String) -> Int? {
        extraFieldNames.firstIndex(of: name).map { AccessField.allCases.count + $0 }
    }

    /// Tells whether the format contains the field.
    public func contains(_ field: AccessField) -> Bool {
        items.contains { item in
            if case .field(let f) = item { return f.slot == field.rawValue }
            return false
        }
    }

    /// Apache's and Debian's format nicknames, and nginx's default `combined`.
    public static let nicknames: [String: String] = [
        "common": #"%h %l %u %t "%r" %>s %b"#,
        "combined": #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
        "vhost_combined": #"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#,
        "combinedio": #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %I %O"#,
        "nginx": #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
    ]

    /// Compiles a nickname, an Apache `LogFormat` string or an nginx
    /// `log_format` string. A string with `$` variables and no `%` directive
    /// is read as nginx's syntax.
    public init(_ specification: String) throws(LogFormatError) {
        let text = LogFormat.nicknames[specification] ?? specification
        var builder = Builder()
        if LogFormat.looksLikeNginx(text) {
            try builder.compileNginx(Array(text.utf8), source: text)
        } else {
            try builder.compileApache(Array(text.utf8), source: text)
        }
        guard builder.hasField else {
            throw LogFormatError(format: specification, offset: 0, reason: "contains no field directive")
        }
        try LogFormat.validateAdjacentFields(builder.items, source: text)
        self.items = builder.items
        self.extraFieldNames = builder.extraFieldNames
        self.source = specification
    }

    static func looksLikeNginx(_ text: String) -> Bool {
        text.contains("$") && !text.contains("%")
    }

    /// Rejects two fields with no literal text between them, because the
    /// parser could not tell where the first one ends. Allowed exceptions
    /// are a status (three digits), a timestamp (its pattern ends it) and a
    /// path followed by a query string (which starts at the first `?`).
    static func validateAdjacentFields(_ items: [Item], source: String) throws(LogFormatError) {
        for index in items.indices.dropFirst() {
            guard case .field(let current) = items[index], case .field(let previous) = items[index - 1] else { continue }
            switch previous.kind {
            case .status, .commonLogTime, .strftime:
                continue
            default:
                if previous.slot == AccessField.path.rawValue, current.slot == AccessField.query.rawValue { continue }
            }
            throw LogFormatError(
                format: source, offset: current.offset,
                reason: "'\(current.directive)' directly follows '\(previous.directive)', so the end of '\(previous.directive)' is unknown. Put literal text such as a space between them")
        }
    }
}

/// A format string that cannot be compiled.
public struct LogFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var format: String
    /// Byte offset of the problem in the format string.
    public var offset: Int
    public var reason: String

    public var description: String {
        "invalid log format '\(format)' at offset \(offset): \(reason)"
    }
}

extension LogFormat {
    struct Builder {
        var items: [Item] = []
        var extraFieldNames: [String] = []
        var hasField = false
        /// Byte offset of the directive being compiled, stored in its `Field`.
        var directiveOffset = 0

        mutating func appendLiteral(_ bytes: [UInt8]) {
            guard !bytes.isEmpty else { return }
            if case .literal(let previous)? = items.last {
                items[items.count - 1] = .literal(previous + bytes)
            } else {
                items.append(.literal(bytes))
            }
        }

        mutating func appendField(_ slot: AccessField, _ kind: ValueKind, _ directive: String) {
            items.append(.field(Field(slot: slot.rawValue, kind: kind, directive: directive, offset: directiveOffset)))
            hasField = true
        }

        mutating func appendExtra(_ name: String, _ kind: ValueKind, _ directive: String) {
            let slot: Int
            if let existing = extraFieldNames.firstIndex(of: name) {
                slot = AccessField.allCases.count + existing
            } else {
                extraFieldNames.append(name)
                slot = AccessField.allCases.count + extraFieldNames.count - 1
            }
            items.append(.field(Field(slot: slot, kind: kind, directive: directive, offset: directiveOffset)))
            hasField = true
        }

        /// Maps a header name to its field; other headers become extra fields.
        mutating func appendHeader(_ name: String, directive: String) {
            switch name.lowercased() {
            case "referer": appendField(.referer, .text, directive)
            case "user-agent": appendField(.userAgent, .text, directive)
            case "x-forwarded-for": appendField(.forwardedFor, .text, directive)
            case "host": appendField(.hostHeader, .text, directive)
            default: appendExtra("header:" + name, .text, directive)
            }
        }
    }
}

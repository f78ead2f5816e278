/// A problem in a configuration file, located by path and line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// The 1-based line, or nil for a problem with the whole file such as a failed read.
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `path:line: message`, or `path: message` without a line.
    public var description: String {
        guard let line else { return "\(path): \(message)" }
        return "\(path):\(line): \(message)"
    }
}

/// Every problem found in a set of configuration files, in file and line order.
public struct ConfigurationErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public init(_ errors: [ConfigurationError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

/// Reads configuration text in systemd's INI syntax (systemd.syntax(7)):
/// `[Section]` headers, `Key=value` assignments, comment lines starting with
/// `#` or `;`, and a trailing backslash that joins a line to the next.
///
/// Files apply in the order given, so a later file overrides an earlier
/// one's value. Within one file a key may be set once, except the list keys
/// `AccessLog=`, `ErrorLog=` and `To=`: their first assignment replaces the
/// default, later ones append, and an empty assignment clears the list.
/// Sections and keys whose names start with `X-` are ignored, as systemd
/// ignores them in unit files.
public enum ConfigurationParser {
    /// Parses `files` in order and returns the resulting configuration, or
    /// throws every error found in all of them.
    public static func parse(_ files: [(path: String, text: String)]) throws(ConfigurationErrors) -> Configuration {
        var run = ParserRun()
        for file in files {
            run.parseFile(path: file.path, text: file.text)
        }
        guard run.errors.isEmpty else { throw ConfigurationErrors(run.errors) }
        return run.configuration
    }

    /// Splits `text` into logical lines, each with the number of its first
    /// physical line. A UTF-8 byte order mark at the start is dropped, and
    /// CRLF ends a line like LF. A line ending in a backslash is joined to the
    /// next with a space in place of the backslash. Comment lines are
    /// skipped, also between continued lines, as systemd skips them.
    static func logicalLines(_ text: String) -> [(number: Int, text: String)] {
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

        var lines: [(number: Int, text: String)] = []
        var pending: (number: Int, text: String)? = nil
        let physicalLines = scalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, physical) in physicalLines.enumerated() {
            var line = String(String.UnicodeScalarView(physical))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            let content = trimmed(line)
            if content.hasPrefix("#") || content.hasPrefix(";") { continue }

            if line.hasSuffix("\\") {
                line.removeLast()
                let joined = (pending?.text ?? "") + line + " "
                pending = (pending?.number ?? index + 1, joined)
                continue
            }
            if let start = pending {
                lines.append((start.number, start.text + line))
                pending = nil
            } else {
                lines.append((index + 1, line))
            }
        }
        if let start = pending { lines.append(start) }
        return lines
    }

    /// Removes one pair of double quotes around a value that is a single
    /// quoted string, and turns `\"` inside it into `"`, as Apache reads
    /// quoted directive arguments. A value such as `"%r" %>s "%{Referer}i"`,
    /// which has unescaped quotes inside, is returned unchanged.
    static func unquoted(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        let inner = value.dropFirst().dropLast()
        var result = ""
        var index = inner.startIndex
        while index < inner.endIndex {
            let character = inner[index]
            let next = inner.index(after: index)
            if character == "\\", next < inner.endIndex, inner[next] == "\"" {
                result.append("\"")
                index = inner.index(after: next)
                continue
            }
            if character == "\"" { return value }
            result.append(character)
            index = next
        }
        return result
    }

    /// Returns `text` without leading and trailing spaces, tabs, CR and LF.
    static func trimmed<S: StringProtocol>(_ text: S) -> String {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// Returns the candidate closest to `name` for a "did you mean" hint, or
    /// nil when none is close. The first choice differs only in letter case.
    /// Next comes one that starts with `name`, when `name` has at least three
    /// letters. Last comes the nearest within three edits (Levenshtein
    /// distance, ignoring case, first in order on a tie), which must also be
    /// fewer edits than the candidate's length so that `8` does not suggest `err`.
    static func nearestName(to name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        if let sameLetters = candidates.first(where: { $0.lowercased() == lowered }) { return sameLetters }
        if lowered.count >= 3, let completion = candidates.first(where: { $0.lowercased().hasPrefix(lowered) }) {
            return completion
        }
        var best: (name: String, distance: Int)? = nil
        for candidate in candidates {
            let distance = editDistance(Array(lowered), Array(candidate.lowercased()))
            if distance <= 3, distance < candidate.count, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// Returns `value` fit for an error message: control characters become
    /// `\xhh`, and text past 200 characters is cut with `...`.
    static func shown(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if value.unicodeScalars.count > 200 { result += "..." }
        return result
    }
}

/// The state of one parse over a sequence of files.
private struct ParserRun {
    var configuration = Configuration.defaults
    var errors: [ConfigurationError] = []
    let sections = ConfigurationSchema.sections
    /// List keys assigned in an earlier line or file, as `Section.Key`: their
    /// next assignment appends instead of replacing the default.
    var assignedLists: Set<String> = []

    /// The section the lines being read belong to.
    private enum CurrentSection {
        case none
        case known(ConfigurationSchema.Section)
        /// An unknown section, already reported, or an `X-` section: its keys are skipped.
        case skipped
    }

    mutating func parseFile(path: String, text: String) {
        var current = CurrentSection.none
        // The line of each single-value key's first assignment in this file, by `Section.Key`.
        var firstLines: [String: Int] = [:]

        func report(_ line: Int, _ message: String) {
            errors.append(ConfigurationError(path: path, line: line, message: message))
        }

        for (number, line) in ConfigurationParser.logicalLines(text) {
            let content = ConfigurationParser.trimmed(line)
            if content.isEmpty { continue }

            if content.hasPrefix("[") {
                current = sectionHeader(content, line: number, report: report)
                continue
            }

            guard let equals = content.firstIndex(of: "=") else {
                report(number, "invalid line '\(ConfigurationParser.shown(content))'; expected Key=value or a [Section] header")
                continue
            }
            let key = ConfigurationParser.trimmed(content[..<equals])
            let value = ConfigurationParser.unquoted(ConfigurationParser.trimmed(content[content.index(after: equals)...]))
            guard !key.isEmpty else {
                report(number, "missing key name before '=' in '\(ConfigurationParser.shown(content))'")
                continue
            }

            let section: ConfigurationSchema.Section
            switch current {
            case .none:
                report(number, misplacedKeyMessage(key))
                continue
            case .skipped:
                continue
            case .known(let known):
                section = known
            }
            if key.hasPrefix("X-") { continue }
            guard let rule = section.keys.first(where: { $0.name == key }) else {
                report(number, unknownKeyMessage(key, in: section))
                continue
            }

            let id = section.name + "." + key
            if case .single = rule.storage {
                if let first = firstLines[id] {
                    report(number, "duplicate key \(key)= in [\(section.name)] with value '\(ConfigurationParser.shown(value))'; it is already set on line \(first); remove one of them")
                    continue
                }
                firstLines[id] = number
            }
            if let message = assign(value, to: rule, id: id, section: section.name) {
                report(number, message)
            }
        }
    }

    private func sectionHeader(_ content: String, line: Int, report: (Int, String) -> Void) -> CurrentSection {
        guard content.count >= 3, content.hasSuffix("]") else {
            report(line, "invalid section header '\(ConfigurationParser.shown(content))'; expected a name in brackets such as [Input]")
            return .skipped
        }
        let name = String(content.dropFirst().dropLast())
        if let section = sections.first(where: { $0.name == name }) { return .known(section) }
        if name.hasPrefix("X-") { return .skipped }

        let names = sections.map(\.name)
        var message = "unknown section [\(ConfigurationParser.shown(name))]"
        if let hint = ConfigurationParser.nearestName(to: name, in: names) {
            message += "; did you mean [\(hint)]?"
        } else {
            message += "; valid sections are " + names.map { "[\($0)]" }.joined(separator: ", ")
        }
        report(line, message)
        return .skipped
    }

    private func misplacedKeyMessage(_ key: String) -> String {
        let owners = sections.filter { $0.keys.contains { $0.name == key } }.map { "[\($0.name)]" }
        var message = "key '\(ConfigurationParser.shown(key))' appears before any [Section] header"
        if owners.count == 1 {
            message += "; put it under \(owners[0])"
        } else if !owners.isEmpty {
            message += "; put it under one of " + owners.joined(separator: ", ")
        }
        return message
    }

    private func unknownKeyMessage(_ key: String, in section: ConfigurationSchema.Section) -> String {
        let names = section.keys.map(\.name)
        let message = "unknown key '\(ConfigurationParser.shown(key))' in [\(section.name)]"
        if let sameLetters = names.first(where: { $0.lowercased() == key.lowercased() }) {
            return message + "; did you mean '\(sameLetters)'?"
        }
        let owners = sections.filter { $0.keys.contains { $0.name == key } }.map { "[\($0.name)]" }
        if !owners.isEmpty {
            return message + "; \(key)= is a key of " + owners.joined(separator: ", ")
        }
        if let hint = ConfigurationParser.nearestName(to: key, in: names) {
            return message + "; did you mean '\(hint)'?"
        }
        return message + "; valid keys are " + names.joined(separator: ", ")
    }

    /// Stores `value` for `rule`, or returns the error message when the value is invalid.
    private mutating func assign(_ value: String, to rule: ConfigurationSchema.Key, id: String, section: String) -> String? {
        do throws(InvalidValue) {
            switch rule.storage {
            case .single(let store):
                try store(&configuration, value)
            case .list(let path, let read):
                if value.isEmpty {
                    configuration[keyPath: path] = []
                } else {
                    let items = try read(value)
                    if !assignedLists.contains(id) { configuration[keyPath: path] = [] }
                    configuration[keyPath: path] += items
                }
                assignedLists.insert(id)
            }
            return nil
        } catch {
            let head = value.isEmpty
                ? "missing value for \(rule.name)= in [\(section)]"
                : "invalid value '\(ConfigurationParser.shown(value))' for \(rule.name)= in [\(section)]"
            let reason = value.isEmpty ? "" : error.reason.map { ": " + $0 } ?? ""
            let hint = error.hint.map { "; did you mean '\($0)'?" } ?? ""
            return head + reason + "; expected " + rule.expected + hint
        }
    }
}

/// A value that a key does not accept. The optional reason names the part
/// that is wrong and comes before what the key expects. The optional hint is
/// a valid value close to the one written.
struct InvalidValue: Error {
    var reason: String? = nil
    var hint: String? = nil
}

/// Every section and key that leafwatch reads, with what each value must be
/// and where it is stored.
enum ConfigurationSchema {
    struct Section {
        var name: String
        var keys: [Key]
    }

    struct Key {
        enum Storage {
            /// A key set at most once per file. A later file overrides it.
            case single((inout Configuration, String) throws(InvalidValue) -> Void)
            /// A key that may repeat, with the items one assignment adds.
            case list(WritableKeyPath<Configuration, [String]>, (String) throws(InvalidValue) -> [String])
        }

        var name: String
        /// The expected value as error messages name it, such as "a whole number from 1".
        var expected: String
        var storage: Storage
    }

    static let spanExpectation = "a time span such as 30s, 10min, 1h or 14d, from 1s to 400d"
    static let priorityExpectation = "a priority name (emerg, alert, crit, err, warning, notice, info, debug) or a number from 0 to 7"
    static let booleanExpectation = "yes or no (also true/false, on/off, 1/0)"
    static let thresholdExpectation = "a whole number from 1"
    /// The maximum window or span: 400 days, in seconds.
    static let maxSpan: Int64 = 400 * 86_400

    static func single<Value>(
        _ name: String, _ path: WritableKeyPath<Configuration, Value>, expected: String,
        _ read: @escaping (String) throws(InvalidValue) -> Value
    ) -> Key {
        Key(name: name, expected: expected, storage: .single { (configuration: inout Configuration, text: String) throws(InvalidValue) in
            configuration[keyPath: path] = try read(text)
        })
    }

    static func list(
        _ name: String, _ path: WritableKeyPath<Configuration, [String]>, expected: String,
        _ read: @escaping (String) throws(InvalidValue) -> [String]
    ) -> Key {
        Key(name: name, expected: expected, storage: .list(path, read))
    }

    /// The sections and their keys in the order config/leafwatch.conf lists them.
    static var sections: [Section] {
        [
            Section(name: "Input", keys: [
                list("AccessLog", \.input.accessLogs, expected: "an absolute path or shell glob such as /var/log/apache2/*access.log") { text throws(InvalidValue) in
                    [try absolutePath(text)]
                },
                list("ErrorLog", \.input.errorLogs, expected: "an absolute path or shell glob such as /var/log/apache2/*error.log") { text throws(InvalidValue) in
                    [try absolutePath(text)]
                },
                single("LogFormat", \.input.logFormat, expected: "a nickname (common, combined, vhost_combined, combinedio, nginx), an Apache LogFormat string or an nginx log_format string", logFormat),
                single("IgnorePaths", \.input.ignorePaths, expected: "shell globs separated by spaces, such as *.gif *.png, or nothing") { text in
                    words(text)
                },
                single("TrustedProxies", \.input.trustedProxies, expected: "IP addresses or CIDR networks separated by spaces, such as 192.0.2.10 10.0.0.0/8 2001:db8::/32, or nothing", networks),
                single("TimeZone", \.input.timeZone, expected: "an IANA time zone name such as Europe/Berlin, or nothing for the system's zone", timeZone),
                single("MaxLineLength", \.input.maxLineLength, expected: "a size in bytes from 1K to 16M, such as 64K (K is 1024 bytes, M is 1024K)") { text throws(InvalidValue) in
                    try size(text, in: 1024...(16 << 20))
                },
                single("StartAt", \.input.startAt, expected: "end or beginning") { text throws(InvalidValue) in
                    guard let position = Configuration.StartPosition(rawValue: text.lowercased()) else {
                        throw InvalidValue(hint: ConfigurationParser.nearestName(to: text, in: Configuration.StartPosition.allCases.map(\.rawValue)))
                    }
                    return position
                },
            ]),
            Section(name: "AuthFailuresPerIP", keys: [
                single("Enabled", \.authFailuresPerIP.enabled, expected: booleanExpectation, boolean),
                single("Threshold", \.authFailuresPerIP.threshold, expected: thresholdExpectation, threshold),
                single("Window", \.authFailuresPerIP.window, expected: spanExpectation, span),
                single("Priority", \.authFailuresPerIP.priority, expected: priorityExpectation, priority),
                single("EscalatedPriority", \.authFailuresPerIP.escalatedPriority, expected: priorityExpectation, priority),
            ]),
            Section(name: "AuthFailuresPerUser", keys: [
                single("Enabled", \.authFailuresPerUser.enabled, expected: booleanExpectation, boolean),
                single("Threshold", \.authFailuresPerUser.threshold, expected: thresholdExpectation, threshold),
                single("Window", \.authFailuresPerUser.window, expected: spanExpectation, span),
                single("Priority", \.authFailuresPerUser.priority, expected: priorityExpectation, priority),
                single("EscalatedPriority", \.authFailuresPerUser.escalatedPriority, expected: priorityExpectation, priority),
            ]),
            Section(name: "NewClientForUser", keys: [
                single("Enabled", \.newClientForUser.enabled, expected: booleanExpectation, boolean),
                single("Threshold", \.newClientForUser.threshold, expected: thresholdExpectation, threshold),
                single("Window", \.newClientForUser.window, expected: spanExpectation, span),
                single("Priority", \.newClientForUser.priority, expected: priorityExpectation, priority),
                single("History", \.newClientForUser.history, expected: spanExpectation, span),
                single("LearningPeriod", \.newClientForUser.learningPeriod, expected: spanExpectation, span),
                single("IPv6PrefixLength", \.newClientForUser.ipv6PrefixLength, expected: "a whole number from 1 to 128") { text throws(InvalidValue) in
                    try wholeNumber(text, in: 1...128)
                },
            ]),
            Section(name: "ServerErrorBurst", keys: [
                single("Enabled", \.serverErrorBurst.enabled, expected: booleanExpectation, boolean),
                single("Threshold", \.serverErrorBurst.threshold, expected: thresholdExpectation, threshold),
                single("Window", \.serverErrorBurst.window, expected: spanExpectation, span),
                single("Priority", \.serverErrorBurst.priority, expected: priorityExpectation, priority),
                single("Ratio", \.serverErrorBurst.ratioPercent, expected: "a percentage from 0% to 100% such as 10%, where 0 turns the ratio rule off", percentage),
                single("RatioWindow", \.serverErrorBurst.ratioWindow, expected: spanExpectation, span),
                single("RatioMinimumRequests", \.serverErrorBurst.ratioMinimumRequests, expected: thresholdExpectation, threshold),
                single("PerVirtualHost", \.serverErrorBurst.perVirtualHost, expected: booleanExpectation, boolean),
            ]),
            Section(name: "RequestFlood", keys: [
                single("Enabled", \.requestFlood.enabled, expected: booleanExpectation, boolean),
                single("Threshold", \.requestFlood.threshold, expected: thresholdExpectation, threshold),
                single("Window", \.requestFlood.window, expected: spanExpectation, span),
                single("Priority", \.requestFlood.priority, expected: priorityExpectation, priority),
            ]),
            Section(name: "Alerts", keys: [
                single("MaxLateness", \.alerts.maxLateness, expected: spanExpectation, span),
                single("MaxTrackedKeys", \.alerts.maxTrackedKeys, expected: "a whole number from 1 to 10000000") { text throws(InvalidValue) in
                    try wholeNumber(text, in: 1...10_000_000)
                },
                single("UpdateInterval", \.alerts.updateInterval, expected: spanExpectation + ", or nothing for the detector's window") { text throws(InvalidValue) in
                    text.isEmpty ? nil : try span(text)
                },
                single("MaxMessageLength", \.alerts.maxMessageLength, expected: "a size in bytes from 64 to 4096") { text throws(InvalidValue) in
                    try size(text, in: 64...4096)
                },
            ]),
            Section(name: "Report", keys: [
                list("To", \.report.recipients, expected: "mail addresses separated by spaces, such as ops@example.com") { text throws(InvalidValue) in
                    try mailAddresses(text)
                },
                single("From", \.report.sender, expected: "one mail address such as leafwatch@example.com, or nothing for leafwatch@ and the host name") { text throws(InvalidValue) in
                    if text.isEmpty { return nil }
                    let addresses = try mailAddresses(text)
                    guard addresses.count == 1 else { throw InvalidValue(reason: "it contains \(addresses.count) addresses") }
                    return addresses[0]
                },
                single("Sendmail", \.report.sendmailCommand, expected: "a command line that starts with an absolute path, such as /usr/sbin/sendmail -t -oi") { text throws(InvalidValue) in
                    guard let program = words(text).first, program.hasPrefix("/") else { throw InvalidValue() }
                    return text
                },
                single("TimeZone", \.report.timeZone, expected: "an IANA time zone name such as Europe/Berlin, or nothing for the system's zone", timeZone),
                single("CheckInDay", \.report.checkInDay, expected: "an English weekday name such as Thursday") { text throws(InvalidValue) in
                    guard let day = Configuration.Weekday(name: text) else {
                        throw InvalidValue(hint: ConfigurationParser.nearestName(to: text, in: Configuration.Weekday.allCases.map(\.name)))
                    }
                    return day
                },
                single("Period", \.report.period, expected: "a time span from 1h to 400d such as 7d") { text throws(InvalidValue) in
                    let seconds = try span(text)
                    guard seconds >= 3600 else { throw InvalidValue(reason: "a report period shorter than 1h is too short") }
                    return seconds
                },
            ]),
            Section(name: "State", keys: [
                single("Directory", \.state.directory, expected: "an absolute path such as /var/lib/leafwatch", absolutePath),
                single("CheckpointInterval", \.state.checkpointInterval, expected: "a time span from 1s to 1h such as 5s") { text throws(InvalidValue) in
                    let seconds = try span(text)
                    guard (1...3600).contains(seconds) else { throw InvalidValue() }
                    return seconds
                },
            ]),
        ]
    }
}

// MARK: - Values

extension ConfigurationSchema {
    /// Splits a list value at runs of spaces and tabs.
    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// Parses decimal digits only, so that `+5`, `-1` and `5.0` are rejected.
    static func wholeNumber(_ text: String, in range: ClosedRange<Int>) throws(InvalidValue) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw InvalidValue() }
        guard let number = Int(text), range.contains(number) else { throw InvalidValue(reason: "it is out of range") }
        return number
    }

    static func threshold(_ text: String) throws(InvalidValue) -> Int {
        try wholeNumber(text, in: 1...Int.max)
    }

    /// Parses systemd's boolean words, in any case.
    static func boolean(_ text: String) throws(InvalidValue) -> Bool {
        switch text.lowercased() {
        case "yes", "y", "true", "t", "on", "1": return true
        case "no", "n", "false", "f", "off", "0": return false
        default: throw InvalidValue()
        }
    }

    /// Parses a window or span: whole seconds, more than 0 and at most 400 days.
    static func span(_ text: String) throws(InvalidValue) -> Int64 {
        let seconds: Int64
        do {
            seconds = try TimeSpan.parseSeconds(text)
        } catch {
            throw InvalidValue(reason: error.reason)
        }
        guard seconds > 0 else { throw InvalidValue(reason: "a span of 0 is too short") }
        guard seconds <= maxSpan else { throw InvalidValue(reason: "it is longer than 400d") }
        return seconds
    }

    /// Parses a journal priority name in any case, or one digit 0–7.
    static func priority(_ text: String) throws(InvalidValue) -> Priority {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), let value = Priority(name: text) else {
            throw InvalidValue(hint: ConfigurationParser.nearestName(to: text, in: Priority.allCases.map(\.name)))
        }
        return value
    }

    /// Parses a byte count with an optional suffix K (1024) or M (1024 × 1024), in either case.
    static func size(_ text: String, in range: ClosedRange<Int>) throws(InvalidValue) -> Int {
        var digits = Substring(text)
        var multiplier = 1
        switch digits.last {
        case "K", "k":
            multiplier = 1 << 10
            digits.removeLast()
        case "M", "m":
            multiplier = 1 << 20
            digits.removeLast()
        default:
            break
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw InvalidValue() }
        guard let number = Int(digits), number <= Int.max / multiplier, range.contains(number * multiplier) else {
            throw InvalidValue(reason: "it is out of range")
        }
        return number * multiplier
    }

    /// Parses `10%`, `2.5%` or a bare number, from 0 to 100.
    static func percentage(_ text: String) throws(InvalidValue) -> Double {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard !number.isEmpty, number.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }),
              number.filter({ $0 == "." }).count <= 1, let value = Double(number)
        else { throw InvalidValue() }
        guard value >= 0, value <= 100 else { throw InvalidValue(reason: "it is out of range") }
        return value
    }

    static func absolutePath(_ text: String) throws(InvalidValue) -> String {
        guard text.hasPrefix("/") else { throw InvalidValue(reason: "the path is not absolute") }
        return text
    }

    /// Checks that an IANA zone name is known. An empty value returns nil, which means the system's zone.
    static func timeZone(_ text: String) throws(InvalidValue) -> String? {
        if text.isEmpty { return nil }
        guard LocalTimeZone(identifier: text) != nil else { throw InvalidValue(reason: "the time zone is unknown") }
        return text
    }

    /// Compiles a log format. The error names the problem and its byte offset.
    static func logFormat(_ text: String) throws(InvalidValue) -> LogFormat {
        do {
            return try LogFormat(text)
        } catch {
            // A single word is meant as a nickname, so a misspelled one gets a hint.
            if !text.contains("%"), !text.contains("$"), !text.contains(" ") {
                let nicknames = ["common", "combined", "vhost_combined", "combinedio", "nginx"]
                throw InvalidValue(reason: "it is not a known nickname", hint: ConfigurationParser.nearestName(to: text, in: nicknames))
            }
            throw InvalidValue(reason: "\(error.reason) at byte offset \(error.offset)")
        }
    }

    static func networks(_ text: String) throws(InvalidValue) -> [Configuration.IPNetwork] {
        var result: [Configuration.IPNetwork] = []
        for word in words(text) {
            if let network = Configuration.IPNetwork(word) {
                result.append(network)
                continue
            }
            let address = String(word.prefix(while: { $0 != "/" }))
            guard ClientAddress.parse(address) != nil else {
                throw InvalidValue(reason: "'\(ConfigurationParser.shown(word))' is not an IP address")
            }
            throw InvalidValue(reason: "'\(ConfigurationParser.shown(word))' has an invalid prefix length; IPv4 allows 0 to 32 and IPv6 0 to 128")
        }
        return result
    }

    /// Checks mail addresses in the plain `local@domain` form, without a display name or angle brackets.
    static func mailAddresses(_ text: String) throws(InvalidValue) -> [String] {
        let addresses = words(text)
        for address in addresses {
            guard MailAddress.isValid(address) else {
                throw InvalidValue(reason: "'\(ConfigurationParser.shown(address))' is not a mail address")
            }
        }
        return addresses
    }
}

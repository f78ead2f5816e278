/// A byte-level parser for one access-log format.
///
/// `parse(_:)` reads one line (without its newline) in place and records
/// where each field lies; no String is made until a caller asks for a
/// field's text. Reading rules:
/// - A field between quotes ends at the first `"` preceded by an even number
///   of backslashes and followed by the format's next literal text, so
///   Apache's `\"` escapes and log-forging attempts inside `%r` stay inside
///   the field. nginx writes `"` as `\x22`, which needs no special case.
/// - Any other field ends where the format's next literal text starts; `%u`
///   may contain spaces because it ends only at ` [` before `%t`. Three
///   exceptions: a status is three digits, a timestamp ends where its
///   pattern ends (`%{%Y-%m-%d %T}t` contains a space), and a field before
///   a one-byte separator and a number (`%v:%p`) ends at the last separator
///   before the next space, so that an IPv6 address keeps its colons.
/// - `%U%q` splits at the first `?`.
/// - A space in the format matches one or more spaces.
/// - A line may end before trailing header and timing fields (a common
///   line under the combined format), and may carry extra fields after the
///   format's end, separated by a space; both parse. A number that ends the
///   format ends at the next space.
/// - An unquoted field logged as `""` (Apache's `%u` for an empty user
///   name) is present and empty. A `-` is kept as logged, and
///   `value(_:in:)` reports it as missing.
/// - Bytes that are not UTF-8 never make a line malformed.
public struct AccessLogParser: Sendable {
    public let format: LogFormat

    struct Step: Sendable {
        enum Kind: UInt8, Sendable {
            case literal, text, status, integer, duration, commonLogTime, epochTime, strftime
        }

        /// The rule that ends an unquoted field.
        enum EndRule: UInt8, Sendable {
            /// At the first match of the literal after it.
            case nextLiteral
            /// At the last match of a one-byte literal before the next space (`%v:%p`).
            case lastMatchBeforeSpace
            /// At the first `?` before the literal after the query that follows (`%U%q`).
            case questionMark
        }

        var kind: Kind
        var endRule: EndRule = .nextLiteral
        /// For a literal, its bytes; for a field, the literal that follows it.
        var literalStart: Int
        var literalCount: Int
        var slot: Int
        var quoted: Bool
        /// The line may end before this step because every later field may be missing.
        var restOptional: Bool
        var unitsPerSecond: Int64
        var patternIndex: Int
    }

    let steps: [Step]
    let literals: [UInt8]
    let patterns: [StrftimePattern]
    let usedSlots: [Int]
    let statusSlot: Int?

    /// Where each field of the last parsed line lies, indexed by slot.
    public internal(set) var ranges: [ByteRange]
    /// The last line's time in seconds since the epoch, UTC; 0 without a time field.
    public internal(set) var time: Int64 = 0
    /// The last line's status (final status when both are logged); 0 without one.
    public internal(set) var status: Int = 0
    /// The last line's response body size; -1 for `-` or when not logged.
    public internal(set) var responseBytes: Int64 = -1
    /// The last line's duration in microseconds; -1 when not logged.
    public internal(set) var durationMicroseconds: Int64 = -1
    var timeCache: TimeCache
    /// Tests set `.general` to compare the hand-written reader with the general one.
    var layout: Layout

    /// Creates a parser. `timeZone` applies to timestamps written without an offset.
    public init(format: LogFormat, timeZone: LocalTimeZone = .system) {
        self.format = format
        self.timeCache = TimeCache(converter: LocalTimeConverter(zone: timeZone))
        self.layout = Self.layout(of: format)

        var steps: [Step] = []
        var literals: [UInt8] = []
        var patterns: [StrftimePattern] = []
        let items = format.items
        for (index, item) in items.enumerated() {
            switch item {
            case .literal(let bytes):
                steps.append(Step(kind: .literal, literalStart: literals.count, literalCount: bytes.count, slot: -1,
                                  quoted: false, restOptional: false, unitsPerSecond: 0, patternIndex: -1))
                literals += bytes
            case .field(let field):
                var terminator: [UInt8] = []
                var endRule = Step.EndRule.nextLiteral
                if index + 1 < items.count, case .literal(let next) = items[index + 1] {
                    terminator = next
                    if next.count == 1, next[0] != ASCII.space, next[0] != ASCII.quote,
                       index + 2 < items.count, case .field(let following) = items[index + 2],
                       following.kind == .integer {
                        endRule = .lastMatchBeforeSpace
                    }
                } else if index + 1 < items.count, case .field(let next) = items[index + 1],
                          field.slot == AccessField.path.rawValue, next.slot == AccessField.query.rawValue {
                    endRule = .questionMark
                    if index + 2 < items.count, case .literal(let afterQuery) = items[index + 2] { terminator = afterQuery }
                }
                var previousEndsWithQuote = false
                if index > 0, case .literal(let previous) = items[index - 1] { previousEndsWithQuote = previous.last == ASCII.quote }
                var step = Step(kind: .text, literalStart: literals.count, literalCount: terminator.count, slot: field.slot,
                                quoted: previousEndsWithQuote && terminator.first == ASCII.quote,
                                restOptional: false, unitsPerSecond: 0, patternIndex: -1)
                step.endRule = endRule
                literals += terminator
                switch field.kind {
                case .text: step.kind = .text
                case .status: step.kind = .status
                case .integer: step.kind = .integer
                case .duration(let units): step.kind = .duration; step.unitsPerSecond = units
                case .commonLogTime: step.kind = .commonLogTime
                case .epochTime(let units): step.kind = .epochTime; step.unitsPerSecond = units
                case .strftime(let pattern):
                    step.kind = .strftime
                    step.patternIndex = patterns.count
                    patterns.append(StrftimePattern(pattern)!)
                }
                steps.append(step)
            }
        }

        // A step may be the last one a line reaches when every field after it may be missing.
        var laterFieldsOptional = true
        for index in steps.indices.reversed() {
            steps[index].restOptional = laterFieldsOptional
            if steps[index].kind != .literal {
                let known = AccessField(rawValue: steps[index].slot)
                let optional = known?.mayBeMissingAtEnd ?? true
                laterFieldsOptional = laterFieldsOptional && optional
            }
        }

        self.steps = steps
        self.literals = literals
        self.patterns = patterns
        self.usedSlots = Array(Set(steps.filter { $0.kind != .literal }.map(\.slot))).sorted()
        self.ranges = Array(repeating: .absent, count: format.slotCount)
        if format.contains(.finalStatus) {
            self.statusSlot = AccessField.finalStatus.rawValue
        } else if format.contains(.originalStatus) {
            self.statusSlot = AccessField.originalStatus.rawValue
        } else {
            self.statusSlot = nil
        }
    }

    /// Returns the bytes of a field of the last parsed line, or nil when the
    /// line does not contain it. The bytes are as logged, escapes included.
    @inline(__always)
    public func bytes(_ field: AccessField, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        bytes(slot: field.rawValue, in: line)
    }

    /// Returns the bytes of the field in `slot` (see `LogFormat.slot(ofExtraField:)`),
    /// or nil when the line does not contain it.
    @inline(__always)
    public func bytes(slot: Int, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        let range = ranges[slot]
        return range.isPresent ? line.slice(range) : nil
    }

    /// Returns the bytes of a field, or nil when the line does not contain it
    /// or logs `-` for it. Apache and nginx write `-` for a missing header,
    /// user or request, and also for a header whose value is `-`.
    @inline(__always)
    public func value(_ field: AccessField, in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let bytes = bytes(slot: field.rawValue, in: line) else { return nil }
        return bytes.count == 1 && bytes[0] == ASCII.minus ? nil : bytes
    }
}

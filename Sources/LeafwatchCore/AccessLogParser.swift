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
///   may contain spaces because it ends only at ` [` before `%t`.
/// - A space in the format matches one or more spaces.
/// - A line may end before trailing header and timing fields (a common
///   line under the combined format), and may carry extra fields after the
///   format's end, separated by a space; both parse.
/// - Bytes that are not UTF-8 never make a line malformed.
public struct AccessLogParser: Sendable {
    public let format: LogFormat

    struct Step: Sendable {
        enum Kind: UInt8, Sendable {
            case literal, text, status, integer, duration, commonLogTime, epochTime, strftime
        }

        var kind: Kind
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
    var converter: LocalTimeConverter

    /// Creates a parser. `timeZone` applies to timestamps written without an offset.
    public init(format: LogFormat, timeZone: LocalTimeZone = .system) {
        self.format = format
        self.converter = LocalTimeConverter(zone: timeZone)

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
                if index + 1 < items.count, case .literal(let next) = items[index + 1] { terminator = next }
                var previousEndsWithQuote = false
                if index > 0, case .literal(let previous) = items[index - 1] { previousEndsWithQuote = previous.last == ASCII.quote }
                var step = Step(kind: .text, literalStart: literals.count, literalCount: terminator.count, slot: field.slot,
                                quoted: previousEndsWithQuote && terminator.first == ASCII.quote,
                                restOptional: false, unitsPerSecond: 0, patternIndex: -1)
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
        let range = ranges[field.rawValue]
        return range.isPresent ? line.slice(range) : nil
    }
}

extension AccessLogParser {
    /// Parses one line without its line terminator. Returns false when the
    /// line does not match the format; the fields are then unspecified.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var line = line
        if line.count > 0, line[line.count - 1] == ASCII.carriageReturn {
            line = UnsafeBufferPointer(rebasing: line[0..<(line.count - 1)])
        }

        // The loop works on buffer pointers: take the arrays out of `self` so
        // that writing the ranges needs no uniqueness check per field.
        var ranges = self.ranges
        self.ranges = []
        var values = LineValues()
        var cache = timeCache
        let layout = self.layout
        let parsed = ranges.withUnsafeMutableBufferPointer { ranges in
            for slot in usedSlots { ranges[slot] = .absent }
            guard line.count > 0 else { return false }
            if layout != .general,
               Self.parseCombined(line, withHeaders: layout == .combined, ranges: ranges, values: &values, cache: &cache) {
                return true
            }
            return steps.withUnsafeBufferPointer { steps in
                literals.withUnsafeBufferPointer { literals in
                    Self.parseSteps(line, steps: steps, literals: literals, ranges: ranges, patterns: patterns,
                                    statusSlot: statusSlot ?? -1, values: &values, cache: &cache)
                }
            }
        }
        self.ranges = ranges
        timeCache = cache
        time = values.time
        status = values.status
        responseBytes = values.responseBytes
        durationMicroseconds = values.durationMicroseconds
        return parsed
    }

    /// The numbers read from one line.
    struct LineValues {
        var time: Int64 = 0
        var status = 0
        var responseBytes: Int64 = -1
        var durationMicroseconds: Int64 = -1
    }

    /// The last Common Log Format time read and its value: consecutive lines
    /// mostly carry the same second, so most lines skip the conversion.
    struct TimeCache: Sendable {
        var key: (UInt64, UInt64, UInt64, UInt16) = (0, 0, 0, 0)
        var length = 0
        var value: Int64 = 0
        var converter: LocalTimeConverter
    }

    private static func parseSteps(
        _ line: UnsafeBufferPointer<UInt8>, steps: UnsafeBufferPointer<Step>, literals: UnsafeBufferPointer<UInt8>,
        ranges: UnsafeMutableBufferPointer<ByteRange>, patterns: [StrftimePattern], statusSlot: Int,
        values: inout LineValues, cache: inout TimeCache
    ) -> Bool {
        let end = line.count
        var position = 0
        var stepIndex = 0
        let stepCount = steps.count

        while stepIndex < stepCount {
            let step = steps[stepIndex]
            stepIndex += 1
            let terminator = UnsafeBufferPointer(rebasing: literals[step.literalStart..<(step.literalStart + step.literalCount)])

            if step.kind == .literal {
                if position == end, step.restOptional { return true }
                guard let next = matchLiteral(terminator, in: line, at: position) else { return false }
                position = next
                continue
            }

            if position == end, step.restOptional { return true }

            // Find the field's end.
            let fieldEnd: Int
            if step.quoted {
                guard let close = findClosingQuote(line, from: position, terminator: terminator, isLast: stepIndex + 1 >= stepCount) else {
                    return false
                }
                fieldEnd = close
            } else if step.kind == .status, position + 3 <= end,
                      position + 3 == end || terminator.count == 0 || line[position + 3] == terminator[0] {
                fieldEnd = position + 3
            } else if step.kind == .commonLogTime {
                guard let timeEnd = commonLogTimeEnd(line, from: position) else { return false }
                fieldEnd = timeEnd
            } else if step.kind == .strftime {
                let rest = UnsafeBufferPointer(rebasing: line[position..<end])
                guard let (value, length) = patterns[step.patternIndex].parsePrefix(rest, converter: &cache.converter) else { return false }
                values.time = value
                fieldEnd = position + length
            } else if let found = step.endRule == .nextLiteral && terminator.count > 0
                        ? findTerminator(terminator, in: line, from: position)
                        : findSpecialEnd(step.endRule, isText: step.kind == .text, terminator: terminator, in: line, from: position) {
                fieldEnd = found
            } else if step.restOptional || (stepIndex < stepCount && steps[stepIndex].restOptional) {
                // The line ends before the rest of the format.
                fieldEnd = step.kind == .text ? end : (line.firstIndex(of: ASCII.space, from: position, to: end) ?? end)
            } else {
                return false
            }

            guard storeField(step, line: line, from: position, to: fieldEnd, ranges: ranges, statusSlot: statusSlot,
                             values: &values, cache: &cache) else { return false }
            position = fieldEnd
        }

        // Extra fields after the format's end are kept out of every field.
        return position == end || line[position] == ASCII.space
    }

    @inline(__always)
    private static func storeField(
        _ step: Step, line: UnsafeBufferPointer<UInt8>, from: Int, to: Int, ranges: UnsafeMutableBufferPointer<ByteRange>,
        statusSlot: Int, values: inout LineValues, cache: inout TimeCache
    ) -> Bool {
        ranges[step.slot] = ByteRange(from, to)
        switch step.kind {
        case .literal, .strftime:
            return true
        case .text:
            if to - from == 2, !step.quoted, line[from] == ASCII.quote, line[from + 1] == ASCII.quote {
                ranges[step.slot] = ByteRange(from + 1, from + 1)
            }
            return true
        case .status:
            guard to - from == 3 else { return false }
            let a = line[from] &- ASCII.zero, b = line[from + 1] &- ASCII.zero, c = line[from + 2] &- ASCII.zero
            guard a < 10, b < 10, c < 10 else { return false }
            if step.slot == statusSlot { values.status = Int(a) * 100 + Int(b) * 10 + Int(c) }
            return true
        case .integer:
            guard let value = parseCount(line, from: from, to: to) else { return false }
            if step.slot == AccessField.responseBytes.rawValue { values.responseBytes = value }
            return true
        case .duration:
            if to - from == 1, line[from] == ASCII.minus { return true }
            guard let value = Timestamps.parseScaled(line.slice(ByteRange(from, to)), unitsPerSecond: 1_000_000) else { return false }
            values.durationMicroseconds = value / step.unitsPerSecond
            return true
        case .commonLogTime:
            guard let value = cachedCommonLogTime(line, from: from, to: to, cache: &cache) else { return false }
            values.time = value
            return true
        case .epochTime:
            guard let value = Timestamps.parseScaled(line.slice(ByteRange(from, to)), unitsPerSecond: 1) else { return false }
            values.time = value / step.unitsPerSecond
            return true
        }
    }

    /// Converts a Common Log Format time, reusing the last result when the bytes are the same.
    @inline(__always)
    static func cachedCommonLogTime(_ line: UnsafeBufferPointer<UInt8>, from: Int, to: Int, cache: inout TimeCache) -> Int64? {
        let length = to - from
        guard length == 26 else {
            return Timestamps.parseCommonLogTime(line, from: from, to: to, converter: &cache.converter)
        }
        let raw = UnsafeRawPointer(line.baseAddress! + from)
        let key = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                   raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt16.self))
        if cache.length == 26, key == cache.key { return cache.value }
        guard let value = Timestamps.parseCommonLogTime(line, from: from, to: to, converter: &cache.converter) else { return nil }
        cache.key = key
        cache.length = 26
        cache.value = value
        return value
    }

    /// Returns the end of a Common Log Format time, `dd/Mon/yyyy:HH:MM:SS`
    /// with or without ` +hhmm`, starting at `from`. Its shape decides the
    /// end, so the time needs no brackets around it.
    @inline(__always)
    static func commonLogTimeEnd(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let end = line.count
        if from + 26 <= end, line[from + 20] == ASCII.space, line[from + 21] == ASCII.plus || line[from + 21] == ASCII.minus {
            return from + 26
        }
        return from + 20 <= end ? from + 20 : nil
    }

    /// Returns the end of an unquoted field that does not simply end at the
    /// format's next literal text: the format's last field, `%v` before
    /// `:%p`, or `%U` before `%q`. Returns nil when a needed literal is missing.
    static func findSpecialEnd(
        _ rule: Step.EndRule, isText: Bool, terminator: UnsafeBufferPointer<UInt8>, in line: UnsafeBufferPointer<UInt8>, from: Int
    ) -> Int? {
        let end = line.count
        switch rule {
        case .nextLiteral:
            if terminator.count == 0 {
                // The format's last field: a number ends at a space, before any extra fields.
                guard !isText else { return end }
                return line.firstIndex(of: ASCII.space, from: from, to: end) ?? end
            }
            return findTerminator(terminator, in: line, from: from)
        case .lastMatchBeforeSpace:
            let tokenEnd = line.firstIndex(of: ASCII.space, from: from, to: end) ?? end
            var candidate = tokenEnd - 1
            while candidate >= from {
                if line[candidate] == terminator[0] { return candidate }
                candidate -= 1
            }
            return nil
        case .questionMark:
            let limit = terminator.count == 0 ? end : (findTerminator(terminator, in: line, from: from) ?? end)
            return line.firstIndex(of: UInt8(ascii: "?"), from: from, to: limit) ?? limit
        }
    }

    /// Parses digits, or `-` as -1.
    @inline(__always)
    static func parseCount(_ line: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int64? {
        guard to > from else { return nil }
        if to - from == 1, line[from] == ASCII.minus { return -1 }
        guard to - from <= 18 else { return nil }
        var value: Int64 = 0
        for i in from..<to {
            let digit = line[i] &- ASCII.zero
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// Matches a literal at `position`; a space in it matches a run of spaces.
    /// Returns the position after the match.
    @inline(__always)
    static func matchLiteral(_ literal: UnsafeBufferPointer<UInt8>, in line: UnsafeBufferPointer<UInt8>, at position: Int) -> Int? {
        var i = position
        let end = line.count
        for expected in literal {
            guard i < end, line[i] == expected else { return nil }
            i += 1
            if expected == ASCII.space {
                while i < end, line[i] == ASCII.space { i += 1 }
            }
        }
        return i
    }

    /// Returns the start of the first match of `terminator` at or after `from`.
    @inline(__always)
    static func findTerminator(_ terminator: UnsafeBufferPointer<UInt8>, in line: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var search = from
        let first = terminator[0]
        while let candidate = line.firstIndex(of: first, from: search, to: line.count) {
            if terminator.count == 1 || matchLiteral(terminator, in: line, at: candidate) != nil {
                return candidate
            }
            search = candidate + 1
        }
        return nil
    }

    /// Returns the offset of the quote that closes a quoted field: one not
    /// escaped by a backslash and followed by the rest of `terminator` (or,
    /// for the format's last field, by the end of the line or a space).
    @inline(__always)
    static func findClosingQuote(
        _ line: UnsafeBufferPointer<UInt8>, from: Int, terminator: UnsafeBufferPointer<UInt8>, isLast: Bool
    ) -> Int? {
        var search = from
        let end = line.count
        while let quote = line.firstIndex(of: ASCII.quote, from: search, to: end) {
            search = quote + 1
            var backslashes = 0
            var i = quote - 1
            while i >= from, line[i] == ASCII.backslash {
                backslashes += 1
                i -= 1
            }
            guard backslashes & 1 == 0 else { continue }
            if terminator.count == 1, isLast {
                if quote + 1 == end || line[quote + 1] == ASCII.space { return quote }
                continue
            }
            if matchLiteral(terminator, in: line, at: quote) != nil { return quote }
        }
        return nil
    }
}

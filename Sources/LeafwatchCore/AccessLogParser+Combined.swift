extension AccessLogParser {
    /// Formats with a hand-written reader for the common case.
    enum Layout: UInt8, Sendable {
        case general, common, combined
    }

    static func layout(of format: LogFormat) -> Layout {
        if let combined = try? LogFormat("combined"), format.items == combined.items { return .combined }
        if let common = try? LogFormat("common"), format.items == common.items { return .common }
        return .general
    }

    /// Reads a common or combined line with straight-line code: single spaces
    /// between fields, no field empty, no `""` in an unquoted field. For
    /// anything else it returns false and the general reader decides. For
    /// every line it accepts, it finds the same fields as the general reader,
    /// which a test checks over the corpus.
    static func parseCombined(
        _ line: UnsafeBufferPointer<UInt8>, withHeaders: Bool, ranges: UnsafeMutableBufferPointer<ByteRange>,
        values: inout LineValues, cache: inout TimeCache
    ) -> Bool {
        let end = line.count

        // %h %l: each up to a single space.
        guard let hostEnd = line.firstIndex(of: ASCII.space, from: 0, to: end), hostEnd > 0,
              let identityEnd = line.firstIndex(of: ASCII.space, from: hostEnd + 1, to: end), identityEnd > hostEnd + 1
        else { return false }

        // %u: up to the ` [` that starts the time; it may contain spaces and `[`.
        let userStart = identityEnd + 1
        var bracket = userStart
        while true {
            guard let found = line.firstIndex(of: ASCII.openBracket, from: bracket, to: end) else { return false }
            if found >= userStart + 2, line[found - 1] == ASCII.space { bracket = found; break }
            bracket = found + 1
        }
        let userEnd = bracket - 1
        guard userEnd > userStart, line[userEnd - 1] != ASCII.space else { return false }

        // %t: `[dd/Mon/yyyy:HH:MM:SS +hhmm]`.
        let timeStart = bracket + 1
        guard timeStart + 29 <= end, line[timeStart + 26] == ASCII.closeBracket, line[timeStart + 20] == ASCII.space,
              line[timeStart + 27] == ASCII.space, line[timeStart + 28] == ASCII.quote,
              let time = cachedCommonLogTime(line, from: timeStart, to: timeStart + 26, cache: &cache)
        else { return false }

        // "%r" and the status.
        let requestStart = timeStart + 29
        let requestEnd = findClosingQuote(line, from: requestStart, terminator: literal("\" "), isLast: false)
        guard let requestEnd, requestEnd + 6 <= end, line[requestEnd + 1] == ASCII.space else { return false }
        let statusStart = requestEnd + 2
        let a = line[statusStart] &- ASCII.zero, b = line[statusStart + 1] &- ASCII.zero, c = line[statusStart + 2] &- ASCII.zero
        guard a < 10, b < 10, c < 10, line[statusStart + 3] == ASCII.space else { return false }

        // %b: up to a space, or the end for common.
        let bytesStart = statusStart + 4
        let bytesEnd = line.firstIndex(of: ASCII.space, from: bytesStart, to: end) ?? end
        guard bytesEnd > bytesStart, let responseBytes = parseCount(line, from: bytesStart, to: bytesEnd) else { return false }

        var position = bytesEnd
        var refererRange = ByteRange.absent
        var userAgentRange = ByteRange.absent
        if withHeaders {
            // "%{Referer}i" "%{User-Agent}i"
            guard position + 2 < end, line[position + 1] == ASCII.quote else { return false }
            let refererStart = position + 2
            let refererEnd = findClosingQuote(line, from: refererStart, terminator: literal("\" \""), isLast: false)
            guard let refererEnd, refererEnd + 3 <= end, line[refererEnd + 1] == ASCII.space, line[refererEnd + 2] == ASCII.quote
            else { return false }
            let agentStart = refererEnd + 3
            let agentEnd = findClosingQuote(line, from: agentStart, terminator: literal("\""), isLast: true)
            guard let agentEnd else { return false }
            refererRange = ByteRange(refererStart, refererEnd)
            userAgentRange = ByteRange(agentStart, agentEnd)
            position = agentEnd + 1
        }
        // Extra fields after the format's end are kept out of every field.
        guard position == end || line[position] == ASCII.space else { return false }

        // `""` in an unquoted field has its own meaning; the general reader handles it.
        guard !isEmptyQuotes(line, 0, hostEnd), !isEmptyQuotes(line, hostEnd + 1, identityEnd),
              !isEmptyQuotes(line, userStart, userEnd) else { return false }

        ranges[AccessField.remoteHost.rawValue] = ByteRange(0, hostEnd)
        ranges[AccessField.identity.rawValue] = ByteRange(hostEnd + 1, identityEnd)
        ranges[AccessField.user.rawValue] = ByteRange(userStart, userEnd)
        ranges[AccessField.time.rawValue] = ByteRange(timeStart, timeStart + 26)
        ranges[AccessField.request.rawValue] = ByteRange(requestStart, requestEnd)
        ranges[AccessField.finalStatus.rawValue] = ByteRange(statusStart, statusStart + 3)
        ranges[AccessField.responseBytes.rawValue] = ByteRange(bytesStart, bytesEnd)
        if withHeaders {
            ranges[AccessField.referer.rawValue] = refererRange
            ranges[AccessField.userAgent.rawValue] = userAgentRange
        }
        values.time = time
        values.status = Int(a) * 100 + Int(b) * 10 + Int(c)
        values.responseBytes = responseBytes
        return true
    }

    @inline(__always)
    private static func isEmptyQuotes(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        end - start == 2 && line[start] == ASCII.quote && line[start + 1] == ASCII.quote
    }

    /// Returns the bytes of a string literal without copying them.
    @inline(__always)
    private static func literal(_ text: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
}

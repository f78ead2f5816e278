/// Apache httpd error-log lines.
///
/// httpd 2.2 writes `[time] [level] ` then `file(line): ` (debug only),
/// `[client IP] ` and `(errno)Text: `. httpd 2.4's default format writes
/// `[time with microseconds] [module:level] [pid P:tid T] ` then
/// `file(line): ` (debug and trace levels), `(errno)Text: `,
/// `[client IP:port] ` or `[remote IP:port] `, and the message, which starts
/// with an `AHnnnnn: ` code for most messages of httpd's own modules. Both
/// append `, referer: …` to a request's message when the request had a
/// Referer header. The parser accepts each optional prefix at most once
/// and in either version's order: the status before or after the client,
/// `[pid …]` and the source location only before it.
extension ErrorLogParser {
    struct ApacheTime {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var hasFraction: Bool
        /// Offset after the closing `]`.
        var end: Int
    }

    /// Reads `[Www Mmm dd HH:MM:SS yyyy]` or `[Www Mmm dd HH:MM:SS.uuuuuu yyyy]`
    /// at the start of the line. The weekday is checked for shape only.
    static func scanApacheTime(_ bytes: UnsafeBufferPointer<UInt8>) -> ApacheTime? {
        guard bytes.count >= 26, let p = bytes.baseAddress else { return nil }
        guard p[0] == ASCII.openBracket, p[4] == ASCII.space, p[8] == ASCII.space, p[11] == ASCII.space,
              p[14] == ASCII.colon, p[17] == ASCII.colon,
              isLetter(p[1]), isLetter(p[2]), isLetter(p[3]),
              let month = CivilTime.month(p[5], p[6], p[7]),
              let hour = Timestamps.twoDigits(p[12], p[13]),
              let minute = Timestamps.twoDigits(p[15], p[16]),
              let second = Timestamps.twoDigits(p[18], p[19])
        else { return nil }

        // apr_ctime pads the day with a zero, and a space is accepted as well.
        let dayTens = p[9] == ASCII.space ? ASCII.zero : p[9]
        guard let day = Timestamps.twoDigits(dayTens, p[10]) else { return nil }

        var i = 20
        var hasFraction = false
        if p[i] == ASCII.dot {
            let fractionEnd = digitsEnd(bytes, from: i + 1)
            guard fractionEnd > i + 1 else { return nil }
            hasFraction = true
            i = fractionEnd
        }
        guard i + 6 <= bytes.count, p[i] == ASCII.space, p[i + 5] == ASCII.closeBracket,
              let year = Timestamps.fourDigits(p + i + 1),
              isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return ApacheTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                          hasFraction: hasFraction, end: i + 6)
    }

    mutating func parseApache(_ bytes: UnsafeBufferPointer<UInt8>) -> ErrorLogRecord? {
        var record = ErrorLogRecord(dialect: .apache22)
        var i = 0
        var isApache24 = false

        if let time = Self.scanApacheTime(bytes) {
            record.time = utc(year: time.year, month: time.month, day: time.day,
                              hour: time.hour, minute: time.minute, second: time.second)
            isApache24 = time.hasFraction
            i = Self.skipSpaces(bytes, from: time.end)
        }

        var hasLevel = false
        if let level = Self.scanLevel(bytes, at: i, requireKnownLevel: record.time == nil) {
            record.level = Self.text(bytes, level.levelStart, level.end - 1)
            if let moduleStart = level.moduleStart {
                isApache24 = true
                if level.levelStart - 1 > moduleStart {
                    record.module = Self.text(bytes, moduleStart, level.levelStart - 1)
                }
            }
            hasLevel = true
            i = Self.skipSpaces(bytes, from: level.end)
        }

        // Without a timestamp or a level, only a message code marks the line
        // as Apache's: httpd writes untimestamped AH00558 and similar
        // messages to stderr at startup.
        if record.time == nil, !hasLevel {
            guard Self.scanMessageCode(bytes, at: i) != nil else { return nil }
        }

        // httpd writes the source location only at levels debug and trace1...8.
        let allowsSourceLocation = record.level == "debug" || record.level.hasPrefix("trace")
        var clientRange: Range<Int>? = nil
        var remoteRange: Range<Int>? = nil
        var seenStatus = false
        while i < bytes.count {
            let beforeAddress = clientRange == nil && remoteRange == nil
            if beforeAddress, record.pid == nil, let pid = Self.scanPid(bytes, at: i) {
                record.pid = pid.pid
                record.threadID = pid.threadID
                isApache24 = true
                i = Self.skipSpaces(bytes, from: pid.end)
            } else if beforeAddress, Self.matches("[client ", in: bytes, at: i),
                      let field = Self.scanAddressField(bytes, contentStart: i + 8) {
                clientRange = field.content
                i = Self.skipSpaces(bytes, from: field.end)
            } else if beforeAddress, Self.matches("[remote ", in: bytes, at: i),
                      let field = Self.scanAddressField(bytes, contentStart: i + 8) {
                remoteRange = field.content
                isApache24 = true
                i = Self.skipSpaces(bytes, from: field.end)
            } else if beforeAddress, allowsSourceLocation, record.sourceLocation == nil,
                      let end = Self.scanSourceLocation(bytes, at: i) {
                record.sourceLocation = Self.text(bytes, i, end)
                i = end + 2
            } else if !seenStatus, let status = Self.scanStatus(bytes, at: i) {
                seenStatus = true
                record.errno = status.number
                record.errnoDescription = Self.text(bytes, status.descriptionStart, status.descriptionEnd)
                i = status.descriptionEnd + 2
            } else {
                break
            }
        }

        var codeNumber: Int? = nil
        if let code = Self.scanMessageCode(bytes, at: i) {
            codeNumber = code.number
            record.code = Self.text(bytes, i, i + 7)
            isApache24 = true
            i = code.end
        }
        record.dialect = isApache24 ? .apache24 : .apache22

        if let clientRange {
            let split = Self.splitAddress(bytes, clientRange, portAfterIPv6: isApache24)
            record.client = Self.text(bytes, split.address.lowerBound, split.address.upperBound)
            record.clientPort = split.port
        }
        if let remoteRange {
            let split = Self.splitAddress(bytes, remoteRange, portAfterIPv6: true)
            record.remote = Self.text(bytes, split.address.lowerBound, split.address.upperBound)
            record.remotePort = split.port
        }

        record.event = Self.apacheEvent(bytes, from: i, to: bytes.count, code: codeNumber, dialect: record.dialect)

        // Only request messages get a referer, and those name the client.
        // The last `, referer: ` is taken because the message before it may
        // contain the text too, in a decoded path or a user name.
        var messageEnd = bytes.count
        if clientRange != nil || remoteRange != nil,
           let refererStart = Self.findLast(", referer: ", in: bytes, from: i, to: bytes.count) {
            messageEnd = refererStart
            record.referer = Self.text(bytes, refererStart + 11, bytes.count)
        }
        record.message = Self.text(bytes, i, messageEnd)
        return record
    }

    // MARK: - Prefixes

    /// Reads `[level]` or `[module:level]` at `at` and returns where the level
    /// starts, where the module starts if there is one, and the offset after
    /// `]`. A line without a timestamp must name one of httpd's levels, so
    /// that an arbitrary bracketed word does not make a line Apache's.
    static func scanLevel(
        _ bytes: UnsafeBufferPointer<UInt8>, at: Int, requireKnownLevel: Bool
    ) -> (moduleStart: Int?, levelStart: Int, end: Int)? {
        guard at < bytes.count, bytes[at] == ASCII.openBracket else { return nil }
        var colon: Int? = nil
        var i = at + 1
        let limit = min(bytes.count, at + 64)
        while i < limit, bytes[i] != ASCII.closeBracket {
            let byte = bytes[i]
            if byte == ASCII.colon {
                colon = i
            } else if !(isLetter(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "_")
                        || byte == ASCII.minus || byte == ASCII.dot) {
                return nil
            }
            i += 1
        }
        guard i < limit else { return nil }
        let levelStart = (colon ?? at) + 1
        guard levelStart < i else { return nil }
        if requireKnownLevel, !isApacheLevel(bytes, levelStart, i) { return nil }
        return (colon == nil ? nil : at + 1, levelStart, i + 1)
    }

    /// Tells whether `bytes[from..<to]` is one of httpd's level names:
    /// emerg, alert, crit, error, warn, notice, info, debug, trace1...trace8.
    static func isApacheLevel(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        let word = UnsafeBufferPointer(rebasing: bytes[from..<to])
        if word.count == 6, word.hasPrefix("trace"), word[5] >= UInt8(ascii: "1"), word[5] <= UInt8(ascii: "8") {
            return true
        }
        return word.equals("emerg") || word.equals("alert") || word.equals("crit") || word.equals("error")
            || word.equals("warn") || word.equals("notice") || word.equals("info") || word.equals("debug")
    }

    /// Reads `[pid P]` or `[pid P:tid T]` at `at`.
    static func scanPid(_ bytes: UnsafeBufferPointer<UInt8>, at: Int) -> (pid: Int, threadID: Int?, end: Int)? {
        guard matches("[pid ", in: bytes, at: at) else { return nil }
        let pidEnd = digitsEnd(bytes, from: at + 5)
        guard let pid = decimal(bytes, at + 5, pidEnd), pidEnd < bytes.count else { return nil }
        if bytes[pidEnd] == ASCII.closeBracket {
            return (pid, nil, pidEnd + 1)
        }
        guard matches(":tid ", in: bytes, at: pidEnd) else { return nil }
        let threadEnd = digitsEnd(bytes, from: pidEnd + 5)
        guard let threadID = decimal(bytes, pidEnd + 5, threadEnd), threadEnd < bytes.count,
              bytes[threadEnd] == ASCII.closeBracket
        else { return nil }
        return (pid, threadID, threadEnd + 1)
    }

    /// Reads the inside of `[client …]` or `[remote …]` from `contentStart`
    /// and returns it with the offset after the closing `]`. The inside has
    /// no spaces. A bracketed IPv6 address (`[client [2001:db8::1]:443]`)
    /// contains one `]` of its own.
    static func scanAddressField(
        _ bytes: UnsafeBufferPointer<UInt8>, contentStart: Int
    ) -> (content: Range<Int>, end: Int)? {
        let limit = min(bytes.count, contentStart + 100)
        guard contentStart < limit else { return nil }
        var searchFrom = contentStart
        if bytes[contentStart] == ASCII.openBracket {
            guard let addressClose = bytes.firstIndex(of: ASCII.closeBracket, from: contentStart + 1, to: limit) else {
                return nil
            }
            searchFrom = addressClose + 1
        }
        guard let close = bytes.firstIndex(of: ASCII.closeBracket, from: searchFrom, to: limit), close > contentStart,
              bytes.firstIndex(of: ASCII.space, from: contentStart, to: close) == nil
        else { return nil }
        return (contentStart..<close, close + 1)
    }

    /// Reads a source location `name.c(123): ` at `at` and returns the
    /// offset of its `: `.
    static func scanSourceLocation(_ bytes: UnsafeBufferPointer<UInt8>, at: Int) -> Int? {
        var i = at
        let limit = min(bytes.count, at + 200)
        while i < limit {
            let byte = bytes[i]
            guard isLetter(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "_") || byte == ASCII.dot
                    || byte == ASCII.minus || byte == ASCII.slash
            else { break }
            i += 1
        }
        guard i > at, i < limit, bytes[i] == ASCII.openParen else { return nil }
        let lineEnd = digitsEnd(bytes, from: i + 1)
        guard lineEnd > i + 1, matches("): ", in: bytes, at: lineEnd) else { return nil }
        return lineEnd + 1
    }

    /// Reads an APR status prefix at `at`: `(111)Connection refused: `, or
    /// the `(EAI n)`, `(OS n)` and `(os 0x…)` forms, whose number is not an
    /// errno and is returned as nil. The description ends at the first `: `.
    static func scanStatus(
        _ bytes: UnsafeBufferPointer<UInt8>, at: Int
    ) -> (number: Int?, descriptionStart: Int, descriptionEnd: Int)? {
        guard at < bytes.count, bytes[at] == ASCII.openParen else { return nil }
        var number: Int? = nil
        var close: Int
        if matches("(EAI ", in: bytes, at: at) || matches("(OS ", in: bytes, at: at) || matches("(os 0x", in: bytes, at: at) {
            guard let found = bytes.firstIndex(of: ASCII.closeParen, from: at + 4, to: min(bytes.count, at + 24)) else {
                return nil
            }
            close = found
        } else {
            let negative = at + 1 < bytes.count && bytes[at + 1] == ASCII.minus
            let digitsStart = negative ? at + 2 : at + 1
            close = digitsEnd(bytes, from: digitsStart)
            guard let value = decimal(bytes, digitsStart, close), close < bytes.count, bytes[close] == ASCII.closeParen else {
                return nil
            }
            number = negative ? -value : value
        }
        let descriptionStart = close + 1
        guard let colon = find(": ", in: bytes, from: descriptionStart, to: min(bytes.count, descriptionStart + 256)) else {
            return nil
        }
        return (number, descriptionStart, colon)
    }

    /// Splits an address field into address and port. A bracketed IPv6
    /// address and an address with a single colon split at that colon. An
    /// unbracketed IPv6 address splits at its last colon only in httpd 2.4,
    /// which always writes a port there. The part before that colon must be
    /// an IPv6 address itself, so a 2.4 field without a port stays whole.
    static func splitAddress(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, portAfterIPv6: Bool
    ) -> (address: Range<Int>, port: Int?) {
        if bytes[range.lowerBound] == ASCII.openBracket,
           let close = bytes.firstIndex(of: ASCII.closeBracket, from: range.lowerBound + 1, to: range.upperBound) {
            let address = (range.lowerBound + 1)..<close
            guard close + 1 < range.upperBound, bytes[close + 1] == ASCII.colon else { return (address, nil) }
            return (address, port(bytes, close + 2, range.upperBound))
        }

        var colons = 0
        var lastColon = -1
        for i in range where bytes[i] == ASCII.colon {
            colons += 1
            lastColon = i
        }
        guard colons > 0, let port = port(bytes, lastColon + 1, range.upperBound) else { return (range, nil) }
        if colons == 1 {
            return (range.lowerBound..<lastColon, port)
        }
        let prefix = UnsafeBufferPointer(rebasing: bytes[range.lowerBound..<lastColon])
        guard portAfterIPv6, ClientAddress.parse(prefix) != nil else { return (range, nil) }
        return (range.lowerBound..<lastColon, port)
    }

    /// Parses a TCP port, 1 to 5 digits up to 65535.
    static func port(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard to - from <= 5, let value = decimal(bytes, from, to), value <= 65535 else { return nil }
        return value
    }
}

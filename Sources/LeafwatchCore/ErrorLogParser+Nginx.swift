/// nginx error-log lines:
/// `yyyy/mm/dd HH:MM:SS [level] pid#tid: *cid message, client: IP, server: NAME, request: "…", host: "…"`.
///
/// nginx appends the `, client: …` context after the message, and the
/// message, the request line, the Host and the Referer may all contain
/// `, client: ` and unescaped quotes. The client is taken from the first
/// `, client: ` whose address parses and whose remaining suffix is well
/// formed to the end of the line with quoted values free of `"`. Forged
/// text inside a message such as `user "NAME" was not found in "FILE"` never
/// passes that test, because a `"` always follows it before the real suffix.
/// When no candidate passes, as when a request line contains a quote, the
/// first candidate with a valid address is taken.
///
/// NOTE: nginx does not escape `"` in the request line, Host or Referer. A
/// request whose Referer holds `"` followed by a forged `, client: …, host: "`
/// suffix fails the real candidate and passes the forged one, so the line
/// names the forged address.
extension ErrorLogParser {
    /// Reads `yyyy/mm/dd HH:MM:SS` at the start of the line.
    static func scanNginxTime(
        _ bytes: UnsafeBufferPointer<UInt8>
    ) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)? {
        guard bytes.count >= 19, let p = bytes.baseAddress else { return nil }
        guard p[4] == ASCII.slash, p[7] == ASCII.slash, p[10] == ASCII.space, p[13] == ASCII.colon, p[16] == ASCII.colon,
              let year = Timestamps.fourDigits(p),
              let month = Timestamps.twoDigits(p[5], p[6]), let day = Timestamps.twoDigits(p[8], p[9]),
              let hour = Timestamps.twoDigits(p[11], p[12]), let minute = Timestamps.twoDigits(p[14], p[15]),
              let second = Timestamps.twoDigits(p[17], p[18]),
              isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return (year, month, day, hour, minute, second)
    }

    mutating func parseNginx(_ bytes: UnsafeBufferPointer<UInt8>) -> ErrorLogRecord? {
        guard let time = Self.scanNginxTime(bytes),
              bytes.count > 21, bytes[19] == ASCII.space, bytes[20] == ASCII.openBracket,
              let levelEnd = bytes.firstIndex(of: ASCII.closeBracket, from: 21, to: min(bytes.count, 21 + 16)),
              levelEnd > 21
        else { return nil }
        for i in 21..<levelEnd where !Self.isLetter(bytes[i]) { return nil }

        var record = ErrorLogRecord(dialect: .nginx, level: Self.text(bytes, 21, levelEnd))
        record.time = utc(year: time.year, month: time.month, day: time.day,
                          hour: time.hour, minute: time.minute, second: time.second)

        var i = Self.skipSpaces(bytes, from: levelEnd + 1)
        let pidEnd = Self.digitsEnd(bytes, from: i)
        if pidEnd > i, pidEnd < bytes.count, bytes[pidEnd] == ASCII.hash {
            let threadEnd = Self.digitsEnd(bytes, from: pidEnd + 1)
            if Self.matches(": ", in: bytes, at: threadEnd) {
                record.pid = Self.decimal(bytes, i, pidEnd)
                record.threadID = Self.decimal(bytes, pidEnd + 1, threadEnd)
                i = threadEnd + 2
            }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "*") {
            let connectionEnd = Self.digitsEnd(bytes, from: i + 1)
            if connectionEnd > i + 1, connectionEnd == bytes.count || bytes[connectionEnd] == ASCII.space {
                record.connectionID = Self.decimal(bytes, i + 1, connectionEnd)
                i = min(connectionEnd + 1, bytes.count)
            }
        }

        var messageEnd = bytes.count
        if let suffix = Self.findClientSuffix(bytes, from: i) {
            messageEnd = suffix.start
            record.client = Self.text(bytes, suffix.address.lowerBound, suffix.address.upperBound)
            let context = Self.scanNginxContext(bytes, from: suffix.address.upperBound, strict: false)
            if let server = context?.server { record.server = Self.text(bytes, server.lowerBound, server.upperBound) }
            if let request = context?.request { record.request = Self.text(bytes, request.lowerBound, request.upperBound) }
            if let referrer = context?.referrer { record.referer = Self.text(bytes, referrer.lowerBound, referrer.upperBound) }
        }
        record.message = Self.text(bytes, i, messageEnd)
        record.event = Self.nginxEvent(bytes, from: i, to: messageEnd)
        return record
    }

    /// Returns where the `, client: ` suffix starts and where its address lies.
    static func findClientSuffix(
        _ bytes: UnsafeBufferPointer<UInt8>, from: Int
    ) -> (start: Int, address: Range<Int>)? {
        var fallback: (start: Int, address: Range<Int>)? = nil
        var searchFrom = from
        while let start = find(", client: ", in: bytes, from: searchFrom, to: bytes.count) {
            searchFrom = start + 1
            let addressStart = start + 10
            let addressEnd = bytes.firstIndex(of: ASCII.comma, from: addressStart, to: bytes.count) ?? bytes.count
            guard isNginxClientAddress(bytes, addressStart, addressEnd) else { continue }

            let candidate = (start: start, address: addressStart..<addressEnd)
            if scanNginxContext(bytes, from: addressEnd, strict: true) != nil { return candidate }
            if fallback == nil { fallback = candidate }
        }
        return fallback
    }

    /// Tells whether `bytes[from..<to]` is what nginx writes as the client:
    /// an IPv4 or IPv6 address, or `unix:` for a Unix-domain socket.
    static func isNginxClientAddress(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        guard from < to else { return false }
        let address = UnsafeBufferPointer(rebasing: bytes[from..<to])
        return ClientAddress.parse(address) != nil || address.hasPrefix("unix:")
    }

    /// The values nginx writes after the client, as byte ranges.
    struct NginxContext {
        var server: Range<Int>?
        var request: Range<Int>?
        var referrer: Range<Int>?
    }

    /// Reads the `, key: value` items that follow the client address up to
    /// the end of the line: `server: NAME`, `request: "…"`, `upstream: "…"`,
    /// `host: "…"`, `referrer: "…"` and others. In strict mode a quoted value
    /// ends at its first `"`, an unquoted one contains no `"`, and any other
    /// text makes the result nil. Otherwise a quoted value ends at the `"`
    /// that precedes another item or the end of the line, and reading stops
    /// quietly at text it cannot read.
    static func scanNginxContext(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, strict: Bool) -> NginxContext? {
        var context = NginxContext()
        var i = from
        while i < bytes.count {
            guard matches(", ", in: bytes, at: i), let colon = scanContextKey(bytes, at: i + 2) else {
                return strict ? nil : context
            }
            let keyStart = i + 2
            var valueStart = colon + 1
            if valueStart < bytes.count, bytes[valueStart] == ASCII.space { valueStart += 1 }

            var value: Range<Int>
            if valueStart < bytes.count, bytes[valueStart] == ASCII.quote {
                if strict {
                    guard let close = bytes.firstIndex(of: ASCII.quote, from: valueStart + 1, to: bytes.count) else { return nil }
                    value = (valueStart + 1)..<close
                } else {
                    value = (valueStart + 1)..<lenientQuotedValueEnd(bytes, from: valueStart + 1)
                }
                i = min(value.upperBound + 1, bytes.count)
            } else {
                let end = find(", ", in: bytes, from: valueStart, to: bytes.count) ?? bytes.count
                if strict, bytes.firstIndex(of: ASCII.quote, from: valueStart, to: end) != nil { return nil }
                value = valueStart..<end
                i = end
            }

            let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<colon])
            if key.equals("server") {
                context.server = value
            } else if key.equals("request") {
                context.request = value
            } else if key.equals("referrer") {
                context.referrer = value
            }
        }
        return context
    }

    /// Reads a context key such as `server`, `request` or
    /// `bytes from/to client` at `at` and returns the offset of its `:`.
    static func scanContextKey(_ bytes: UnsafeBufferPointer<UInt8>, at: Int) -> Int? {
        var i = at
        let limit = min(bytes.count, at + 40)
        while i < limit {
            let byte = bytes[i]
            if byte == ASCII.colon { return i > at ? i : nil }
            guard (byte &- UInt8(ascii: "a") < 26) || byte == UInt8(ascii: "_") || byte == ASCII.slash
                    || byte == ASCII.space
            else { return nil }
            i += 1
        }
        return nil
    }

    /// Returns the offset of the `"` that closes a quoted value starting at
    /// `from`: the first `"` followed by the end of the line or by another
    /// `, key:` item. Without such a `"` the value runs to the end of the line.
    static func lenientQuotedValueEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var searchFrom = from
        while let quote = bytes.firstIndex(of: ASCII.quote, from: searchFrom, to: bytes.count) {
            if quote + 1 == bytes.count { return quote }
            if matches(", ", in: bytes, at: quote + 1), scanContextKey(bytes, at: quote + 3) != nil { return quote }
            searchFrom = quote + 1
        }
        return bytes.count
    }
}

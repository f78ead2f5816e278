/// Parsers for the timestamp forms that access logs contain.
enum Timestamps {
    /// Parses `dd/Mon/yyyy:HH:MM:SS +hhmm` (the inside of Apache's `%t` and
    /// nginx's `$time_local`) at `line[from..<to]` and returns seconds since
    /// the epoch in UTC. Without an offset the time is local to `converter`.
    @inline(__always)
    static func parseCommonLogTime(
        _ line: UnsafeBufferPointer<UInt8>, from: Int, to: Int, converter: inout LocalTimeConverter
    ) -> Int64? {
        let length = to - from
        guard length == 26 || length == 20 else { return nil }
        let p = line.baseAddress! + from
        guard p[2] == ASCII.slash, p[6] == ASCII.slash, p[11] == ASCII.colon, p[14] == ASCII.colon, p[17] == ASCII.colon,
              let day = twoDigits(p[0], p[1]), let month = CivilTime.month(p[3], p[4], p[5]),
              let year = fourDigits(p + 7), let hour = twoDigits(p[12], p[13]),
              let minute = twoDigits(p[15], p[16]), let second = twoDigits(p[18], p[19]),
              day >= 1, day <= CivilTime.daysInMonth(year: year, month: month), hour < 24, minute < 60, second <= 60
        else { return nil }

        let wallClock = CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        if length == 20 {
            return converter.utc(fromLocal: wallClock)
        }
        guard p[20] == ASCII.space, let offset = parseOffset(p + 21, count: 5) else { return nil }
        return wallClock - offset
    }

    /// Parses `+hhmm`, `-hhmm` or `+hh:mm` and returns the offset in seconds.
    @inline(__always)
    static func parseOffset(_ p: UnsafePointer<UInt8>, count: Int) -> Int64? {
        guard count == 5 || count == 6 else { return nil }
        let sign: Int64
        switch p[0] {
        case ASCII.plus: sign = 1
        case ASCII.minus: sign = -1
        default: return nil
        }
        guard let hours = twoDigits(p[1], p[2]) else { return nil }
        let minutesAt = count == 6 ? 4 : 3
        if count == 6, p[3] != ASCII.colon { return nil }
        guard let minutes = twoDigits(p[minutesAt], p[minutesAt + 1]), hours <= 23, minutes < 60 else { return nil }
        return sign * Int64(hours * 3600 + minutes * 60)
    }

    @inline(__always)
    static func twoDigits(_ a: UInt8, _ b: UInt8) -> Int? {
        let x = a &- ASCII.zero, y = b &- ASCII.zero
        guard x < 10, y < 10 else { return nil }
        return Int(x) * 10 + Int(y)
    }

    @inline(__always)
    static func fourDigits(_ p: UnsafePointer<UInt8>) -> Int? {
        guard let high = twoDigits(p[0], p[1]), let low = twoDigits(p[2], p[3]) else { return nil }
        return high * 100 + low
    }

    /// Parses a non-negative decimal number with an optional fraction and
    /// returns it in `unitsPerSecond` units per whole unit, truncated.
    static func parseScaled(_ bytes: UnsafeBufferPointer<UInt8>, unitsPerSecond: Int64) -> Int64? {
        var whole: Int64 = 0
        var i = 0
        var digits = 0
        while i < bytes.count, ASCII.isDigit(bytes[i]) {
            guard whole < Int64.max / 10 - 10 else { return nil }
            whole = whole * 10 + Int64(bytes[i] - ASCII.zero)
            i += 1
            digits += 1
        }
        var fraction: Int64 = 0
        var scale: Int64 = 1
        if i < bytes.count, bytes[i] == ASCII.dot {
            i += 1
            while i < bytes.count, ASCII.isDigit(bytes[i]) {
                if scale < 1_000_000_000 {
                    fraction = fraction * 10 + Int64(bytes[i] - ASCII.zero)
                    scale *= 10
                }
                i += 1
                digits += 1
            }
        }
        guard digits > 0, i == bytes.count else { return nil }
        let (product, overflow) = whole.multipliedReportingOverflow(by: unitsPerSecond)
        guard !overflow else { return nil }
        return product + fraction * unitsPerSecond / scale
    }
}

/// The span a report covers and the span it is compared with, and the
/// times that `leafwatch report --since` and `--until` accept.
///
/// Days are calendar days of the report's time zone: "seven days before"
/// a local midnight is the local midnight seven dates earlier, 167 or 169
/// hours before when the zone's offset changes in between.
public struct ReportPeriod: Sendable, Equatable {
    /// The span covered, `start..<end`, in UTC seconds.
    public var period: Range<Int64>
    /// The span of the same length just before `period`.
    public var previous: Range<Int64>

    /// Creates the period `since..<until` and the previous one of the same
    /// length: whole local days back when `length` (the configured
    /// `Period=`) is a whole number of days and both ends are local midnights,
    /// else the same number of seconds back.
    /// An `until` before `since` makes an empty period.
    public init(since: Int64, until: Int64, zone: LocalTimeZone) {
        let until = max(since, until)
        period = since..<until
        let days = Self.wholeDays(from: since, to: until, zone: zone)
        let start = days.map { Self.shift(since, days: -$0, zone: zone) } ?? since - (until - since)
        previous = start..<since
    }

    /// Returns the period that `leafwatch report` covers by default: the
    /// `length` seconds (whole local days when `length` is a multiple of a
    /// day) before the start of the day that contains `now`.
    public static func defaultPeriod(now: Int64, length: Int64, zone: LocalTimeZone) -> ReportPeriod {
        let until = startOfDay(containing: now, zone: zone)
        return ReportPeriod(since: start(ending: until, length: length, zone: zone), until: until, zone: zone)
    }

    /// Returns the start of a span of `length` seconds that ends at `end`:
    /// whole local days back when `length` is a multiple of a day.
    public static func start(ending end: Int64, length: Int64, zone: LocalTimeZone) -> Int64 {
        guard length % 86_400 == 0 else { return end - length }
        return shift(end, days: -Int(length / 86_400), zone: zone)
    }

    /// Parses a time as `leafwatch report` accepts it:
    ///
    /// - `2026-12-03`: local midnight in `zone`;
    /// - `2026-12-03T08:00` or `2026-12-03T08:00:30` (a space may replace
    ///   the `T`): local time in `zone`, or at the offset that follows it:
    ///   `Z`, `+01:00`, `+0100`, `-05:00`;
    /// - `now`; `today` and `yesterday`: the start of that day in `zone`;
    /// - `-7d`: the start of the day seven days before today.
    ///
    /// Returns UTC seconds, or nil when `text` has none of these forms.
    public static func parseTime(_ text: String, now: Int64, zone: LocalTimeZone) -> Int64? {
        switch text {
        case "now": return now
        case "today": return startOfDay(containing: now, zone: zone)
        case "yesterday": return shift(startOfDay(containing: now, zone: zone), days: -1, zone: zone)
        default: break
        }
        let bytes = Array(text.utf8)
        if bytes.count >= 3, bytes.first == UInt8(ascii: "-"), bytes.last == UInt8(ascii: "d") {
            guard bytes.count <= 6, let days = Int(String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self)),
                  days >= 0 else { return nil }
            return shift(startOfDay(containing: now, zone: zone), days: -days, zone: zone)
        }
        return parseISO8601(bytes, zone: zone)
    }

    /// Returns the UTC instant of the local midnight that starts the day containing `time`.
    public static func startOfDay(containing time: Int64, zone: LocalTimeZone) -> Int64 {
        let local = time + zone.offset(atUTC: time)
        return zone.utc(fromLocal: floorDay(local) * 86_400)
    }

    /// Returns the instant at the same local wall-clock time `days` dates later (earlier when negative).
    public static func shift(_ time: Int64, days: Int, zone: LocalTimeZone) -> Int64 {
        let local = time + zone.offset(atUTC: time)
        return zone.utc(fromLocal: local + Int64(days) * 86_400)
    }

    // MARK: - Helpers

    private static func floorDay(_ seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    }

    /// Returns the number of local days from `since` to `until` when both
    /// are local midnights, else nil.
    private static func wholeDays(from since: Int64, to until: Int64, zone: LocalTimeZone) -> Int? {
        guard until > since, startOfDay(containing: since, zone: zone) == since,
              startOfDay(containing: until, zone: zone) == until else { return nil }
        let first = floorDay(since + zone.offset(atUTC: since))
        let last = floorDay(until + zone.offset(atUTC: until))
        return Int(last - first)
    }

    private static func parseISO8601(_ bytes: [UInt8], zone: LocalTimeZone) -> Int64? {
        func number(_ range: Range<Int>) -> Int? { CivilTime.decimal(bytes, range) }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var index = 10
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " "),
                  bytes.count >= 16, bytes[13] == UInt8(ascii: ":"),
                  let h = number(11..<13), let m = number(14..<16), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            index = 16
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                guard let s = number(17..<19), s < 60 else { return nil }
                second = s
                index = 19
            }
        }
        let wallClock = CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard index < bytes.count else { return zone.utc(fromLocal: wallClock) }
        // A date alone takes no offset: it names a local day.
        guard index > 10 else { return nil }
        let rest = bytes[index...]
        if rest.elementsEqual("Z".utf8) { return wallClock }
        guard rest.count == 6 || rest.count == 5, let sign = rest.first,
              sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let hours = number((index + 1)..<(index + 3))
        let minutesStart = rest.count == 6 ? index + 4 : index + 3
        if rest.count == 6, bytes[index + 3] != UInt8(ascii: ":") { return nil }
        guard let hours, let minutes = number(minutesStart..<(minutesStart + 2)), hours <= 23, minutes < 60 else { return nil }
        let offset = Int64(hours * 3600 + minutes * 60)
        return sign == UInt8(ascii: "+") ? wallClock - offset : wallClock + offset
    }
}

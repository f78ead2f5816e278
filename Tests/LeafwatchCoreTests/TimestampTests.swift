import Testing
@testable import LeafwatchCore

/// Returns the UTC seconds of a `%t` value, or nil when the parser rejects it.
private func commonLogTime(_ text: String, timeZone: LocalTimeZone = .utc) throws -> Int64? {
    let parsed = try parseAccessLine("[\(text)]", format: "%t", timeZone: timeZone)
    return parsed.matched ? parsed.time : nil
}

/// Returns the UTC seconds of a value read with `%{pattern}t`, or nil when the parser rejects it.
private func strftimeTime(_ text: String, pattern: String, timeZone: LocalTimeZone = .utc) throws -> Int64? {
    let parsed = try parseAccessLine(text, format: "%{\(pattern)}t", timeZone: timeZone)
    return parsed.matched ? parsed.time : nil
}

private func zone(_ identifier: String) throws -> LocalTimeZone {
    try #require(LocalTimeZone(identifier: identifier), "time zone \(identifier) is not available")
}

@Suite struct TimestampTests {
    @Test(arguments: [
        "10/Mar/2024:12:00:00 +0000",
        "10/Mar/2024:17:30:00 +0530",
        "10/Mar/2024:17:45:00 +0545",
        "10/Mar/2024:02:30:00 -0930",
        "11/Mar/2024:02:00:00 +1400",
        "10/Mar/2024:00:00:00 -1200",
        "10/Mar/2024:08:00:00 -0400",
    ])
    func offsetsGiveSameInstant(_ text: String) throws {
        #expect(try commonLogTime(text) == utcSeconds(2024, 3, 10, 12, 0, 0))
    }

    @Test func dstFallBackUsesOffsets() throws {
        // US Eastern on 2024-11-03: 01:59:30 EDT is followed by 01:00:40 EST, 70 s later.
        let beforeChange = try #require(try commonLogTime("03/Nov/2024:01:59:30 -0400"))
        let afterChange = try #require(try commonLogTime("03/Nov/2024:01:00:40 -0500"))
        #expect(beforeChange == utcSeconds(2024, 11, 3, 5, 59, 30))
        #expect(afterChange == utcSeconds(2024, 11, 3, 6, 0, 40))
        #expect(afterChange - beforeChange == 70)
    }

    @Test func leapDays() throws {
        #expect(try commonLogTime("29/Feb/2024:00:00:00 +0000") == utcSeconds(2024, 2, 29, 0, 0, 0))
        #expect(try commonLogTime("29/Feb/2000:00:00:00 +0000") == utcSeconds(2000, 2, 29, 0, 0, 0))
        #expect(try commonLogTime("29/Feb/2023:00:00:00 +0000") == nil)
        #expect(try commonLogTime("29/Feb/1900:00:00:00 +0000") == nil)
        #expect(try commonLogTime("31/Apr/2024:00:00:00 +0000") == nil)
    }

    @Test func yearChange() throws {
        let last = try #require(try commonLogTime("31/Dec/2024:23:59:59 +0000"))
        let first = try #require(try commonLogTime("01/Jan/2025:00:00:00 +0000"))
        #expect(first - last == 1)
        #expect(CivilTime.iso8601(first) == "2025-01-01T00:00:00Z")
        // The local date is already 2025 in +0100 while UTC is still 2024.
        #expect(try commonLogTime("01/Jan/2025:00:30:00 +0100") == utcSeconds(2024, 12, 31, 23, 30, 0))
    }

    @Test func everyMonthName() throws {
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for (index, name) in names.enumerated() {
            #expect(try commonLogTime("15/\(name)/2024:00:00:00 +0000") == utcSeconds(2024, index + 1, 15, 0, 0, 0), "\(name)")
        }
        #expect(try commonLogTime("15/Foo/2024:00:00:00 +0000") == nil)
    }

    @Test func invalidClockValuesReject() throws {
        #expect(try commonLogTime("10/Mar/2024:24:00:00 +0000") == nil)
        #expect(try commonLogTime("10/Mar/2024:12:60:00 +0000") == nil)
        #expect(try commonLogTime("10/Mar/2024:12:00:00 +2400") == nil)
        #expect(try commonLogTime("10/Mar/2024:12:00:00 +0560") == nil)
        #expect(try commonLogTime("10/Mar/2024:12:00:00 0000") == nil)
        #expect(try commonLogTime("1/Mar/2024:12:00:00 +0000") == nil)
    }

    @Test func timeWithoutOffsetIsLocal() throws {
        #expect(try commonLogTime("27/Jun/2013:11:55:44") == utcSeconds(2013, 6, 27, 11, 55, 44))
        let berlin = try zone("Europe/Berlin")
        #expect(try commonLogTime("27/Jun/2013:11:55:44", timeZone: berlin) == utcSeconds(2013, 6, 27, 9, 55, 44))
        #expect(try commonLogTime("27/Jan/2013:11:55:44", timeZone: berlin) == utcSeconds(2013, 1, 27, 10, 55, 44))
    }

    // MARK: strftime patterns

    @Test func strftimeForms() throws {
        let instant = utcSeconds(2024, 3, 10, 14, 2, 11)
        #expect(try strftimeTime("10/Mar/2024:14:02:11 +0000", pattern: "%d/%b/%Y:%H:%M:%S %z") == instant)
        #expect(try strftimeTime("2024-03-10T14:02:11+00:00", pattern: "%Y-%m-%dT%H:%M:%S%z") == instant)
        #expect(try strftimeTime("2024-03-10T19:47:11+05:45", pattern: "%Y-%m-%dT%H:%M:%S%z") == instant)
        #expect(try strftimeTime("2024-03-10T14:02:11Z", pattern: "%Y-%m-%dT%H:%M:%S%z") == instant)
        #expect(try strftimeTime("2024-03-10 14:02:11", pattern: "%F %T") == instant)
        #expect(try strftimeTime("Sun Mar 10 14:02:11 2024", pattern: "%a %b %d %H:%M:%S %Y") == instant)
        #expect(try strftimeTime("Sunday, 10 Mar 2024 14:02:11 -0930", pattern: "%A, %d %h %Y %T %z") == instant + 9 * 3600 + 1800)
        #expect(try strftimeTime("Sun Mar  3 14:02:11 2024", pattern: "%a %b %e %T %Y") == utcSeconds(2024, 3, 3, 14, 2, 11))
        #expect(try strftimeTime("100% 2024-03-10", pattern: "100%% %F") == utcSeconds(2024, 3, 10, 0, 0, 0))
    }

    @Test func strftimeRejectsMismatch() throws {
        #expect(try strftimeTime("2024/03/10", pattern: "%F") == nil)
        #expect(try strftimeTime("2024-13-10", pattern: "%F") == nil)
        #expect(try strftimeTime("2024-02-30", pattern: "%F") == nil)
        #expect(try strftimeTime("2024-03-10T14:02:11", pattern: "%Y-%m-%dT%H:%M:%S%z") == nil)
        #expect(StrftimePattern("%Y %Q") == nil)
        #expect(StrftimePattern("%") == nil)
    }

    @Test func nginxISOTime() throws {
        let parsed = try parseAccessLine("2024-03-10T15:02:11+01:00 192.0.2.1", format: "$time_iso8601 $remote_addr")
        #expect(parsed.time == utcSeconds(2024, 3, 10, 14, 2, 11))
        #expect(parsed.text(.remoteHost) == "192.0.2.1")
    }

    // MARK: Local time zones

    @Test func unknownZoneIsNil() {
        #expect(LocalTimeZone(identifier: "Nowhere/Nothing") == nil)
    }

    @Test func zoneOffsets() throws {
        let kathmandu = try zone("Asia/Kathmandu")
        #expect(kathmandu.offset(atUTC: utcSeconds(2024, 3, 10, 12, 0, 0)) == 5 * 3600 + 45 * 60)
        let newYork = try zone("America/New_York")
        #expect(newYork.offset(atUTC: utcSeconds(2024, 1, 15, 12, 0, 0)) == -5 * 3600)
        #expect(newYork.offset(atUTC: utcSeconds(2024, 7, 15, 12, 0, 0)) == -4 * 3600)
    }

    @Test func repeatedHourTakesFirstOccurrence() throws {
        let newYork = try zone("America/New_York")
        // 01:30 happens twice on 2024-11-03: first at 05:30Z (EDT), again at 06:30Z (EST).
        let local = utcSeconds(2024, 11, 3, 1, 30, 0)
        #expect(newYork.utc(fromLocal: local) == utcSeconds(2024, 11, 3, 5, 30, 0))
        #expect(try strftimeTime("2024-11-03 01:30:00", pattern: "%F %T", timeZone: newYork) == utcSeconds(2024, 11, 3, 5, 30, 0))
        #expect(try strftimeTime("2024-11-03 02:30:00", pattern: "%F %T", timeZone: newYork) == utcSeconds(2024, 11, 3, 7, 30, 0))
        #expect(try strftimeTime("2024-11-03 00:30:00", pattern: "%F %T", timeZone: newYork) == utcSeconds(2024, 11, 3, 4, 30, 0))
    }

    @Test func skippedHourUsesEarlierOffset() throws {
        let newYork = try zone("America/New_York")
        // 02:30 does not exist on 2024-03-10; read with EST (-0500) it is 07:30Z.
        #expect(newYork.utc(fromLocal: utcSeconds(2024, 3, 10, 2, 30, 0)) == utcSeconds(2024, 3, 10, 7, 30, 0))
        #expect(newYork.utc(fromLocal: utcSeconds(2024, 3, 10, 3, 30, 0)) == utcSeconds(2024, 3, 10, 7, 30, 0))
        #expect(newYork.utc(fromLocal: utcSeconds(2024, 3, 10, 1, 30, 0)) == utcSeconds(2024, 3, 10, 6, 30, 0))
    }

    @Test func converterMatchesZoneEverySecond() throws {
        let newYork = try zone("America/New_York")
        var converter = LocalTimeConverter(zone: newYork)
        // Every 7 s across both 2024 changes, in and out of order.
        for start in [utcSeconds(2024, 3, 9, 23, 0, 0), utcSeconds(2024, 11, 2, 23, 0, 0)] {
            for local in stride(from: start, to: start + 6 * 3600, by: 7) {
                #expect(converter.utc(fromLocal: local) == newYork.utc(fromLocal: local))
            }
            for local in stride(from: start + 6 * 3600, to: start, by: -11) {
                #expect(converter.utc(fromLocal: local) == newYork.utc(fromLocal: local))
            }
        }
    }

    @Test func parserUsesGivenZone() throws {
        let kolkata = try zone("Asia/Kolkata")
        let parsed = try parseAccessLine(
            #"192.0.2.1 - - [10/Mar/2024:17:30:00] "GET / HTTP/1.1" 200 5 "-" "-""#, timeZone: kolkata)
        #expect(parsed.time == utcSeconds(2024, 3, 10, 12, 0, 0))
    }

    // MARK: Calendar arithmetic

    @Test func knownDays() {
        #expect(CivilTime.daysSinceEpoch(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.daysSinceEpoch(year: 1969, month: 12, day: 31) == -1)
        #expect(CivilTime.daysSinceEpoch(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilTime.daysSinceEpoch(year: 2024, month: 2, day: 29) == 19_782)
        #expect(CivilTime.daysInMonth(year: 2024, month: 2) == 29)
        #expect(CivilTime.daysInMonth(year: 2100, month: 2) == 28)
        #expect(CivilTime.daysInMonth(year: 2024, month: 9) == 30)
    }

    @Test func civilRoundTrip() {
        // About 2,700 years on each side of 1970, every day with a stride of 13.
        var previous: (year: Int, month: Int, day: Int)? = nil
        for days in stride(from: -1_000_000, through: 1_000_000, by: 13) {
            let date = CivilTime.civilDate(daysSinceEpoch: days)
            #expect((1...12).contains(date.month))
            #expect(date.day >= 1)
            #expect(date.day <= CivilTime.daysInMonth(year: date.year, month: date.month))
            #expect(CivilTime.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days)
            if let previous {
                #expect((date.year, date.month, date.day) > (previous.year, previous.month, previous.day))
            }
            previous = date
        }
    }

    @Test func consecutiveDaysAcrossCenturies() {
        // Day by day through 1899-2101, which includes the non-leap 1900 and 2100.
        var days = CivilTime.daysSinceEpoch(year: 1899, month: 12, day: 31)
        for year in 1900...2100 {
            for month in 1...12 {
                for day in 1...CivilTime.daysInMonth(year: year, month: month) {
                    days += 1
                    #expect(CivilTime.daysSinceEpoch(year: year, month: month, day: day) == days)
                }
            }
        }
    }

    @Test func iso8601Text() {
        #expect(CivilTime.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(CivilTime.iso8601(-1) == "1969-12-31T23:59:59Z")
        #expect(CivilTime.iso8601(1_710_079_331) == "2024-03-10T14:02:11Z")
        #expect(CivilTime.iso8601(utcSeconds(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z")
    }

    @Test func scaledNumbers() {
        func scaled(_ text: String, _ units: Int64) -> Int64? {
            Array(text.utf8).withUnsafeBufferPointer { Timestamps.parseScaled($0, unitsPerSecond: units) }
        }
        #expect(scaled("0.004", 1_000_000) == 4_000)
        #expect(scaled("2", 1_000_000) == 2_000_000)
        #expect(scaled("1.5", 1000) == 1_500)
        #expect(scaled("1.", 1) == 1)
        #expect(scaled("", 1) == nil)
        #expect(scaled("-1", 1) == nil)
        #expect(scaled("1.2.3", 1) == nil)
        #expect(scaled("99999999999999999999", 1) == nil)
    }
}

@Suite struct ISO8601ParsingTests {
    @Test func validTimeParsed() {
        #expect(CivilTime.parseISO8601("2026-12-01T08:15:02Z") == 1_796_112_902)
        #expect(CivilTime.parseISO8601("1970-01-01T00:00:00Z") == 0)
        #expect(CivilTime.parseISO8601("2028-02-29T23:59:59Z") == CivilTime.epochSeconds(year: 2028, month: 2, day: 29,
                                                                                              hour: 23, minute: 59, second: 59))
    }

    @Test func roundTripWithFormatter() {
        for seconds: Int64 in [0, 86_399, 951_782_400, 1_796_112_902, 4_102_444_800] {
            #expect(CivilTime.parseISO8601(CivilTime.iso8601(seconds)) == seconds)
        }
    }

    @Test(arguments: ["", "2026-12-01 08:15:02Z", "2026-12-01T08:15:02", "2026-12-01T08:15:02+01:00",
                      "2026-13-01T08:15:02Z", "2026-02-30T08:15:02Z", "2026-12-01T24:00:00Z", "2026-12-01T08:60:02Z",
                      "2026-12-01T08:15:60Z", "2026-1a-01T08:15:02Z", "+026-12-01T08:15:02Z"])
    func invalidTimeRejected(_ text: String) {
        #expect(CivilTime.parseISO8601(text) == nil)
    }
}

import Testing
import LeafwatchCore

private let berlin = LocalTimeZone(identifier: "Europe/Berlin")!

private func utc(_ text: String) -> Int64 {
    CivilTime.parseISO8601(text)!
}

/// Berlin leaves summer time in the night of 2026-10-24 to 25: 03:00 CEST becomes 02:00 CET.
@Suite struct ReportPeriodTests {
    /// Monday 2026-10-26, 10:00 UTC.
    let monday = utc("2026-10-26T10:00:00Z")

    @Test func defaultPeriodIsSevenLocalDaysBeforeToday() {
        let period = ReportPeriod.defaultPeriod(now: monday, length: 7 * 86_400, zone: berlin)
        #expect(period.period == utc("2026-10-18T22:00:00Z")..<utc("2026-10-25T23:00:00Z"))
        // The week has 169 hours; the one before has 168.
        #expect(period.period.count == 169 * 3600)
        #expect(period.previous == utc("2026-10-11T22:00:00Z")..<utc("2026-10-18T22:00:00Z"))
    }

    @Test func periodOfHoursComparedWithSameLength() {
        let period = ReportPeriod(since: utc("2026-10-22T06:00:00Z"), until: utc("2026-10-22T18:00:00Z"), zone: berlin)
        #expect(period.previous == utc("2026-10-21T18:00:00Z")..<utc("2026-10-22T06:00:00Z"))
    }

    @Test func reversedEndsMakeEmptyPeriod() {
        let period = ReportPeriod(since: 1000, until: 500, zone: berlin)
        #expect(period.period == 1000..<1000)
        #expect(period.previous == 1000..<1000)
    }

    @Test func startOfSpanWithoutWholeDays() {
        #expect(ReportPeriod.start(ending: 100_000, length: 3600, zone: berlin) == 96_400)
    }

    @Test(arguments: [
        ("2026-10-22", "2026-10-21T22:00:00Z"),
        ("2026-10-22T08:00", "2026-10-22T06:00:00Z"),
        ("2026-10-22 08:00", "2026-10-22T06:00:00Z"),
        ("2026-10-22T08:00:30Z", "2026-10-22T08:00:30Z"),
        ("2026-10-22T08:00+01:00", "2026-10-22T07:00:00Z"),
        ("2026-10-22T08:00:00-0500", "2026-10-22T13:00:00Z"),
        ("2026-10-26", "2026-10-25T23:00:00Z"),
        ("today", "2026-10-25T23:00:00Z"),
        ("yesterday", "2026-10-24T22:00:00Z"),
        ("-7d", "2026-10-18T22:00:00Z"),
        ("-0d", "2026-10-25T23:00:00Z"),
        ("now", "2026-10-26T10:00:00Z"),
    ])
    func timeParsed(_ text: String, _ expected: String) {
        #expect(ReportPeriod.parseTime(text, now: monday, zone: berlin) == utc(expected))
    }

    @Test(arguments: ["", "tomorrow", "2026-10-32", "2026-13-01", "2026-10-22Z", "2026-10-22T08", "2026-10-22T25:00",
                      "2026-10-22T08:00+1", "2026-10-22T08:00+01:0", "2026-10-22T08:00:61", "-d", "-xd", "-7", "7d",
                      "-99999d", "2026/10/22"])
    func invalidTimeRejected(_ text: String) {
        #expect(ReportPeriod.parseTime(text, now: monday, zone: berlin) == nil)
    }

    @Test func shiftKeepsWallClockAcrossOffsetChange() {
        // 12:00 CEST on Saturday is 12:00 CET on Sunday: 25 hours later.
        let saturdayNoon = utc("2026-10-24T10:00:00Z")
        #expect(ReportPeriod.shift(saturdayNoon, days: 1, zone: berlin) == utc("2026-10-25T11:00:00Z"))
    }

    @Test func startOfDayOnTheLongDay() {
        #expect(ReportPeriod.startOfDay(containing: utc("2026-10-25T22:59:59Z"), zone: berlin) == utc("2026-10-24T22:00:00Z"))
        #expect(ReportPeriod.startOfDay(containing: utc("2026-10-25T23:00:00Z"), zone: berlin) == utc("2026-10-25T23:00:00Z"))
    }
}

@Suite struct LineTimeTests {
    private func time(_ line: String, zone: LocalTimeZone = berlin) -> Int64? {
        var reader = LineTime(timeZone: zone)
        var copy = line
        return copy.withUTF8 { reader.time(of: $0) }
    }

    @Test func accessLineWithOffset() {
        #expect(time(#"192.0.2.7 - alice [22/Oct/2026:08:00:00 +0200] "GET / HTTP/1.1" 200 512 "-" "curl/8""#)
                == utc("2026-10-22T06:00:00Z"))
    }

    @Test func virtualHostBeforeTheTime() {
        #expect(time(#"www.example.org:443 192.0.2.7 - - [26/Oct/2026:08:00:00 +0100] "GET / HTTP/1.1" 200 512"#)
                == utc("2026-10-26T07:00:00Z"))
    }

    @Test func bracketBeforeTheTimeSkipped() {
        #expect(time(#"[x] 192.0.2.7 - - [22/Oct/2026:08:00:00 +0000] "GET /[a] HTTP/1.1" 200 1"#) == utc("2026-10-22T08:00:00Z"))
    }

    @Test func apacheErrorLineInTheZone() {
        let line = "[Thu Oct 22 08:00:00.123456 2026] [auth_basic:error] [pid 41] [client 192.0.2.7:50912] "
            + "AH01617: user bob: authentication failure for \"/private/\": Password Mismatch"
        #expect(time(line) == utc("2026-10-22T06:00:00Z"))
    }

    @Test func nginxErrorLineInTheZone() {
        #expect(time("2026/10/22 08:00:00 [error] 7#7: *1 open() failed, client: 192.0.2.7", zone: .utc)
                == utc("2026-10-22T08:00:00Z"))
    }

    @Test(arguments: ["", "no time here", "[22/Oct/2026:08:00:00 +0200", "[31/Feb/2026:08:00:00 +0200]", "[]"])
    func lineWithoutTime(_ line: String) {
        #expect(time(line) == nil)
    }
}

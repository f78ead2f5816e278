import Testing
@testable import LeafwatchCore

/// A time span and the microseconds it must parse to.
struct TimeSpanCase: Sendable, CustomTestStringConvertible {
    var text: String
    var microseconds: Int64

    var testDescription: String { text }
}

private let second: Int64 = 1_000_000
let timeSpanCases: [TimeSpanCase] = [
    TimeSpanCase(text: "30", microseconds: 30 * second),
    TimeSpanCase(text: "0", microseconds: 0),
    TimeSpanCase(text: "30s", microseconds: 30 * second),
    TimeSpanCase(text: "30sec", microseconds: 30 * second),
    TimeSpanCase(text: "1second", microseconds: second),
    TimeSpanCase(text: "2seconds", microseconds: 2 * second),
    TimeSpanCase(text: "10min", microseconds: 600 * second),
    TimeSpanCase(text: "10m", microseconds: 600 * second),
    TimeSpanCase(text: "1minute", microseconds: 60 * second),
    TimeSpanCase(text: "5minutes", microseconds: 300 * second),
    TimeSpanCase(text: "1h", microseconds: 3600 * second),
    TimeSpanCase(text: "1hr", microseconds: 3600 * second),
    TimeSpanCase(text: "1hour", microseconds: 3600 * second),
    TimeSpanCase(text: "2hours", microseconds: 7200 * second),
    TimeSpanCase(text: "14d", microseconds: 14 * 86_400 * second),
    TimeSpanCase(text: "1day", microseconds: 86_400 * second),
    TimeSpanCase(text: "2days", microseconds: 2 * 86_400 * second),
    TimeSpanCase(text: "1w", microseconds: 7 * 86_400 * second),
    TimeSpanCase(text: "1week", microseconds: 7 * 86_400 * second),
    TimeSpanCase(text: "2weeks", microseconds: 14 * 86_400 * second),
    TimeSpanCase(text: "1M", microseconds: 2_629_800 * second),
    TimeSpanCase(text: "1month", microseconds: 2_629_800 * second),
    TimeSpanCase(text: "2months", microseconds: 2 * 2_629_800 * second),
    TimeSpanCase(text: "1y", microseconds: 31_557_600 * second),
    TimeSpanCase(text: "1year", microseconds: 31_557_600 * second),
    TimeSpanCase(text: "2years", microseconds: 2 * 31_557_600 * second),
    TimeSpanCase(text: "250ms", microseconds: 250_000),
    TimeSpanCase(text: "250msec", microseconds: 250_000),
    TimeSpanCase(text: "7us", microseconds: 7),
    TimeSpanCase(text: "7usec", microseconds: 7),
    TimeSpanCase(text: "7µs", microseconds: 7),
    TimeSpanCase(text: "1h 30min", microseconds: 5400 * second),
    TimeSpanCase(text: "1h30min", microseconds: 5400 * second),
    TimeSpanCase(text: "1 h 30 min", microseconds: 5400 * second),
    TimeSpanCase(text: "  2d 3h  ", microseconds: (2 * 86_400 + 3 * 3600) * second),
    TimeSpanCase(text: "1h 5", microseconds: 3605 * second),
    TimeSpanCase(text: "1.5h", microseconds: 5400 * second),
    TimeSpanCase(text: ".5s", microseconds: 500_000),
    TimeSpanCase(text: "1.25min", microseconds: 75 * second),
]

@Suite struct TimeSpanTests {
    @Test(arguments: timeSpanCases)
    func parsesUnits(_ example: TimeSpanCase) throws {
        #expect(try TimeSpan.parseMicroseconds(example.text) == example.microseconds)
    }

    @Test func monthAndYearLengths() {
        // 12 months make a year of 365.25 days, as in systemd.
        #expect(TimeSpan.units["M"]! * 12 == TimeSpan.units["y"]!)
        #expect(TimeSpan.units["y"]! == 365_25 * 864 * second)
    }

    @Test func unitsAreCaseSensitive() throws {
        #expect(try TimeSpan.parseMicroseconds("1m") == 60 * second)
        #expect(try TimeSpan.parseMicroseconds("1M") == 2_629_800 * second)
        #expect(throws: TimeSpanError.self) { try TimeSpan.parseMicroseconds("1H") }
        #expect(throws: TimeSpanError.self) { try TimeSpan.parseMicroseconds("1MIN") }
    }

    @Test func unknownUnitNamed() {
        #expect(throws: TimeSpanError(text: "5mins", reason: "unknown unit 'mins'; use us, ms, s, min, h, d, w, M (months) or y")) {
            try TimeSpan.parseMicroseconds("5mins")
        }
    }

    @Test func emptyRejected() {
        #expect(throws: TimeSpanError(text: "", reason: "the time span is empty")) { try TimeSpan.parseMicroseconds("") }
        #expect(throws: TimeSpanError(text: "   ", reason: "the time span is empty")) { try TimeSpan.parseMicroseconds("   ") }
    }

    @Test func negativeRejected() {
        #expect(throws: TimeSpanError(text: "-5s", reason: "a time span cannot be negative")) { try TimeSpan.parseMicroseconds("-5s") }
        #expect(throws: TimeSpanError(text: "1h -5s", reason: "a time span cannot be negative")) { try TimeSpan.parseMicroseconds("1h -5s") }
    }

    @Test func missingNumberRejected() {
        #expect(throws: TimeSpanError(text: "min", reason: "missing number at 'min'")) { try TimeSpan.parseMicroseconds("min") }
        #expect(throws: TimeSpanError(text: "1h x", reason: "missing number at 'x'")) { try TimeSpan.parseMicroseconds("1h x") }
        #expect(throws: TimeSpanError(text: "1 x", reason: "unknown unit 'x'; use us, ms, s, min, h, d, w, M (months) or y")) {
            try TimeSpan.parseMicroseconds("1 x")
        }
        #expect(throws: TimeSpanError(text: "1h,5min", reason: "missing number at ',5min'")) { try TimeSpan.parseMicroseconds("1h,5min") }
        #expect(throws: TimeSpanError.self) { try TimeSpan.parseMicroseconds("infinity") }
    }

    @Test func overflowRejected() {
        #expect(throws: TimeSpanError(text: "99999999999999999999s", reason: "the number is too large")) {
            try TimeSpan.parseMicroseconds("99999999999999999999s")
        }
        #expect(throws: TimeSpanError(text: "999999999999y", reason: "the span is too large")) {
            try TimeSpan.parseMicroseconds("999999999999y")
        }
    }

    @Test func wholeSeconds() throws {
        #expect(try TimeSpan.parseSeconds("2000ms") == 2)
        #expect(try TimeSpan.parseSeconds("1h 30min") == 5400)
        #expect(throws: TimeSpanError(text: "1500ms", reason: "it is not a whole number of seconds")) {
            try TimeSpan.parseSeconds("1500ms")
        }
    }

    @Test func formatsLikeSystemd() {
        #expect(TimeSpan.format(seconds: 0) == "0")
        #expect(TimeSpan.format(seconds: 30) == "30s")
        #expect(TimeSpan.format(seconds: 60) == "1min")
        #expect(TimeSpan.format(seconds: 600) == "10min")
        #expect(TimeSpan.format(seconds: 3600) == "1h")
        #expect(TimeSpan.format(seconds: 5400) == "1h 30min")
        #expect(TimeSpan.format(seconds: 14 * 86_400) == "14d")
        #expect(TimeSpan.format(seconds: 400 * 86_400) == "400d")
        #expect(TimeSpan.format(seconds: 90_061) == "1d 1h 1min 1s")
    }

    @Test func formatRoundTrips() throws {
        for seconds: Int64 in [1, 59, 61, 3599, 3601, 86_399, 86_401, 7 * 86_400, 2_629_800, 31_557_600] {
            #expect(try TimeSpan.parseSeconds(TimeSpan.format(seconds: seconds)) == seconds)
        }
    }
}

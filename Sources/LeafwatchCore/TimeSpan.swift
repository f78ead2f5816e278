/// Time spans in systemd's syntax (systemd.time(7)): one or more numbers,
/// each followed by a unit, such as `30s`, `10min`, `1h 30min`, `1h30min`
/// or `1.5h`. A number without a unit is seconds.
public enum TimeSpan {
    public static let microsecondsPerSecond: Int64 = 1_000_000

    /// Unit names and their length in microseconds, as systemd's parser
    /// accepts them (case-sensitive, so `m` is minutes and `M` is months).
    /// systemd's time-util.h defines a month as 365.25 days / 12
    /// (2,629,800 s, which its manual rounds to 30.44 days) and a year as
    /// 365.25 days.
    static let units: [String: Int64] = {
        let second = microsecondsPerSecond
        let minute = 60 * second
        let hour = 60 * minute
        let day = 24 * hour
        var table: [String: Int64] = [:]
        for name in ["us", "usec", "µs", "μs"] { table[name] = 1 }
        for name in ["ms", "msec"] { table[name] = 1000 }
        for name in ["s", "sec", "second", "seconds"] { table[name] = second }
        for name in ["m", "min", "minute", "minutes"] { table[name] = minute }
        for name in ["h", "hr", "hour", "hours"] { table[name] = hour }
        for name in ["d", "day", "days"] { table[name] = day }
        for name in ["w", "week", "weeks"] { table[name] = 7 * day }
        for name in ["M", "month", "months"] { table[name] = 2_629_800 * second }
        for name in ["y", "year", "years"] { table[name] = 31_557_600 * second }
        return table
    }()

    /// Parses a time span to microseconds. Fractions below a microsecond
    /// are dropped, as systemd drops them.
    public static func parseMicroseconds(_ text: String) throws(TimeSpanError) -> Int64 {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var total: Int64 = 0
        var components = 0

        func skipWhitespace() {
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        }
        func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }
        func isUnitLetter(_ scalar: Unicode.Scalar) -> Bool {
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "µ" || scalar == "μ"
        }

        skipWhitespace()
        while index < scalars.count {
            if scalars[index] == "-" {
                throw TimeSpanError(text: text, reason: "a time span cannot be negative")
            }

            var whole: Int64 = 0
            var wholeDigits = 0
            while index < scalars.count, isDigit(scalars[index]) {
                let (shifted, overflow1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = shifted.addingReportingOverflow(Int64(scalars[index].value - 48))
                guard !overflow1, !overflow2 else { throw TimeSpanError(text: text, reason: "the number is too large") }
                whole = sum
                wholeDigits += 1
                index += 1
            }
            var fraction: [Int64] = []
            if index < scalars.count, scalars[index] == "." {
                index += 1
                while index < scalars.count, isDigit(scalars[index]) {
                    fraction.append(Int64(scalars[index].value - 48))
                    index += 1
                }
            }
            guard wholeDigits > 0 || !fraction.isEmpty else {
                let rest = String(String.UnicodeScalarView(scalars[index...]))
                throw TimeSpanError(text: text, reason: "missing number at '\(rest)'")
            }

            skipWhitespace()
            let unitStart = index
            while index < scalars.count, isUnitLetter(scalars[index]) { index += 1 }
            let unitName = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            let unit: Int64
            if unitName.isEmpty {
                unit = microsecondsPerSecond
            } else if let known = units[unitName] {
                unit = known
            } else {
                throw TimeSpanError(
                    text: text,
                    reason: "unknown unit '\(unitName)'; use us, ms, s, min, h, d, w, M (months) or y")
            }

            let (wholePart, overflow) = whole.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw TimeSpanError(text: text, reason: "the span is too large") }
            // Each fraction digit adds its share of the unit, so 1.5h is 1h 30min.
            var fractionPart: Int64 = 0
            var scale = unit
            for digit in fraction {
                scale /= 10
                fractionPart += digit * scale
            }
            let (component, overflow1) = wholePart.addingReportingOverflow(fractionPart)
            let (sum, overflow2) = total.addingReportingOverflow(component)
            guard !overflow1, !overflow2 else { throw TimeSpanError(text: text, reason: "the span is too large") }
            total = sum
            components += 1
            skipWhitespace()
        }
        guard components > 0 else { throw TimeSpanError(text: text, reason: "the time span is empty") }
        return total
    }

    /// Parses a time span that must be a whole number of seconds.
    public static func parseSeconds(_ text: String) throws(TimeSpanError) -> Int64 {
        let microseconds = try parseMicroseconds(text)
        guard microseconds % microsecondsPerSecond == 0 else {
            throw TimeSpanError(text: text, reason: "it is not a whole number of seconds")
        }
        return microseconds / microsecondsPerSecond
    }

    /// Formats whole seconds with the units d, h, min and s, largest first,
    /// as systemd writes spans: `30s`, `10min`, `1h 30min`, `14d`, and `0`
    /// for zero. Weeks, months and years are not used, so a span written in
    /// days reads back as days. A negative value, which no parsed span has,
    /// is written as plain seconds.
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "0" }
        if seconds < 0 { return "\(seconds)s" }
        var rest = seconds
        var parts: [String] = []
        for (name, length) in [("d", Int64(86_400)), ("h", 3_600), ("min", 60), ("s", 1)] where rest >= length {
            parts.append("\(rest / length)\(name)")
            rest %= length
        }
        return parts.joined(separator: " ")
    }
}

/// A time span that cannot be parsed, with the reason.
public struct TimeSpanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        "invalid time span '\(text)': \(reason)"
    }
}

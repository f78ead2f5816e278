#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte-level parser for Apache httpd 2.2 and 2.4 error logs (default
/// `ErrorLogFormat`) and nginx error logs.
///
/// The parser works on the line's bytes and makes a String only for each
/// field it returns. Reading rules:
/// - The client comes only from Apache's `[client …]` prefix or nginx's
///   `, client: ` suffix. Text in the message that looks like either never
///   names the client.
/// - Timestamps carry no UTC offset, so they are read in the time zone given
///   at creation.
/// - A trailing `\r` is dropped, and bytes that are not UTF-8 never make a
///   line fail to parse.
/// - A line without a timestamp parses when its start still marks it as an
///   error-log line: an Apache `AHnnnnn: ` code, or a `[level]` or
///   `[module:level]` prefix as Apache writes to syslog.
public struct ErrorLogParser: Sendable {
    var converter: LocalTimeConverter

    /// Creates a parser. `timeZone` applies to every timestamp, because
    /// neither Apache nor nginx writes an offset in the error log.
    public init(timeZone: LocalTimeZone = .system) {
        self.converter = LocalTimeConverter(zone: timeZone)
    }

    /// Parses one line without its `\n`, ignoring a trailing `\r`.
    /// Returns nil for a line that is not an error-log line, such as a
    /// continuation line of a multi-line nginx message.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> ErrorLogRecord? {
        let bytes = Self.trimmingCarriageReturns(line)
        guard bytes.count > 0 else { return nil }

        switch bytes[0] {
        case ASCII.openBracket:
            return parseApache(bytes)
        case ASCII.zero...ASCII.nine:
            return parseNginx(bytes)
        case UInt8(ascii: "A"):
            return parseApache(bytes)
        default:
            return nil
        }
    }

    /// Tells whether a line starts like an error-log line: an Apache or nginx
    /// timestamp followed by ` [`, or an Apache `AHnnnnn: ` code. Used to
    /// detect a file's format, so it checks only the start of the line.
    public static func looksLikeErrorLog(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = trimmingCarriageReturns(line)
        if let time = scanApacheTime(bytes) {
            return time.end + 1 < bytes.count && bytes[time.end] == ASCII.space && bytes[time.end + 1] == ASCII.openBracket
        }
        if scanNginxTime(bytes) != nil {
            return bytes.count > 21 && bytes[19] == ASCII.space && bytes[20] == ASCII.openBracket
        }
        return scanMessageCode(bytes, at: 0) != nil
    }

    // MARK: - Shared helpers

    static func trimmingCarriageReturns(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = line.count
        while end > 0, line[end - 1] == ASCII.carriageReturn { end -= 1 }
        return UnsafeBufferPointer(start: line.baseAddress, count: end)
    }

    /// Returns the lenient UTF-8 text of `bytes[from..<to]`.
    @inline(__always)
    static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        guard from < to else { return "" }
        return UnsafeBufferPointer(rebasing: bytes[from..<to]).lenientString
    }

    /// Returns the offset of the first occurrence of `needle` that starts in
    /// `from..<to` and ends by `to`, or nil.
    static func find(_ needle: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let length = needle.utf8CodeUnitCount
        guard length > 0, from >= 0, to <= bytes.count, to - from >= length, let base = bytes.baseAddress else { return nil }
        let first = needle.utf8Start[0]
        let lastStart = to - length
        var start = from
        while start <= lastStart {
            guard let found = memchr(base + start, Int32(first), lastStart + 1 - start) else { return nil }
            let offset = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + offset, needle.utf8Start, length) == 0 { return offset }
            start = offset + 1
        }
        return nil
    }

    /// Returns the offset of the last occurrence of `needle` inside
    /// `from..<to`, or nil.
    static func findLast(_ needle: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let length = needle.utf8CodeUnitCount
        guard from >= 0, to <= bytes.count, to - from >= length else { return nil }
        var start = to - length
        while start >= from {
            if matches(needle, in: bytes, at: start) { return start }
            start -= 1
        }
        return nil
    }

    /// Tells whether `needle` occurs at offset `at`.
    @inline(__always)
    static func matches(_ needle: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at: Int) -> Bool {
        let length = needle.utf8CodeUnitCount
        guard at >= 0, at + length <= bytes.count, let base = bytes.baseAddress else { return false }
        return memcmp(base + at, needle.utf8Start, length) == 0
    }

    /// Parses the decimal digits in `from..<to` and returns nil for anything
    /// else or a value beyond `Int.max`.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard from < to else { return nil }
        var value = 0
        for i in from..<to {
            let digit = bytes[i] &- ASCII.zero
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Returns the end of the run of decimal digits that starts at `from`.
    @inline(__always)
    static func digitsEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        while i < bytes.count, ASCII.isDigit(bytes[i]) { i += 1 }
        return i
    }

    @inline(__always)
    static func skipSpaces(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        while i < bytes.count, bytes[i] == ASCII.space { i += 1 }
        return i
    }

    /// Tells whether `byte` is an ASCII letter.
    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26
    }

    /// Recognizes an Apache 2.4 message code `AHnnnnn: ` at `at` and returns
    /// its number and the offset after the code's `: `.
    static func scanMessageCode(_ bytes: UnsafeBufferPointer<UInt8>, at: Int) -> (number: Int, end: Int)? {
        guard at + 8 <= bytes.count, bytes[at] == UInt8(ascii: "A"), bytes[at + 1] == UInt8(ascii: "H"),
              bytes[at + 7] == ASCII.colon, let number = decimal(bytes, at + 2, at + 7)
        else { return nil }
        // The code ends a line only when the message after it is empty.
        if at + 8 == bytes.count { return (number, at + 8) }
        guard bytes[at + 8] == ASCII.space else { return nil }
        return (number, at + 9)
    }

    /// Converts a wall-clock time read from the log to UTC seconds.
    mutating func utc(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        let wallClock = CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return converter.utc(fromLocal: wallClock)
    }

    /// Tells whether the wall-clock fields name a real time of day on a real date.
    static func isValid(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= CivilTime.daysInMonth(year: year, month: month)
            && hour < 24 && minute < 60 && second <= 60
    }
}

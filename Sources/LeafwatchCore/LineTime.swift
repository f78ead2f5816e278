/// Reads the time of a log line whose format is not known yet: an Apache or
/// nginx error-log line, or an access-log line with a `[03/Dec/2026:09:15:00
/// +0100]` timestamp anywhere in it (`%t`, nginx's `$time_local`). Used to
/// check a rotated file's first and last lines before reading it whole.
public struct LineTime: Sendable {
    private var errorParser: ErrorLogParser
    private var converter: LocalTimeConverter

    /// `timeZone` applies to timestamps written without an offset.
    public init(timeZone: LocalTimeZone) {
        errorParser = ErrorLogParser(timeZone: timeZone)
        converter = LocalTimeConverter(zone: timeZone)
    }

    /// Returns the line's time in UTC seconds, or nil when none is found.
    public mutating func time(of line: UnsafeBufferPointer<UInt8>) -> Int64? {
        if ErrorLogParser.looksLikeErrorLog(line) {
            return errorParser.parse(line)?.time
        }
        var index = 0
        while let open = line[index...].firstIndex(of: ASCII.openBracket) {
            // `[dd/Mon/yyyy:HH:MM:SS +hhmm]` is 28 bytes with its brackets.
            let close = open + 27
            if close < line.count, line[close] == ASCII.closeBracket,
               let time = Timestamps.parseCommonLogTime(line, from: open + 1, to: close, converter: &converter) {
                return time
            }
            index = open + 1
        }
        return nil
    }
}

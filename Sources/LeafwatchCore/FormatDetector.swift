/// Recognizes a log's format from its first lines, for `scan` without `--format`.
///
/// Access-log candidates are tried from the most to the least specific:
/// vhost_combined, combinedio, combined, common. A candidate scores the
/// lines it parses with every one of its fields present; the best score
/// wins and ties go to the more specific format. Error logs win when more
/// of the lines look like error-log lines than match any access format.
public enum FormatDetector {
    public enum Detected: Sendable, Equatable {
        case access(LogFormat)
        case error
    }

    public static let candidates = ["vhost_combined", "combinedio", "combined", "common"]

    /// Returns the format that fits the sample lines best, or nil when none fits any line.
    public static func detect(_ sample: [[UInt8]], timeZone: LocalTimeZone = .utc,
                              isErrorLine: (UnsafeBufferPointer<UInt8>) -> Bool) -> Detected? {
        let lines = sample.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }

        var best: (format: LogFormat, complete: Int, parsed: Int)? = nil
        for name in candidates {
            let format = try! LogFormat(name)
            var parser = AccessLogParser(format: format, timeZone: timeZone)
            let slots = format.items.compactMap { item -> Int? in
                if case .field(let field) = item { return field.slot }
                return nil
            }
            var complete = 0
            var parsed = 0
            for line in lines {
                line.withUnsafeBufferPointer { buffer in
                    guard parser.parse(buffer) else { return }
                    parsed += 1
                    if slots.allSatisfy({ parser.ranges[$0].isPresent }) { complete += 1 }
                }
            }
            if best == nil || (complete, parsed) > (best!.complete, best!.parsed) {
                best = (format, complete, parsed)
            }
        }

        let errorLines = lines.filter { line in line.withUnsafeBufferPointer { isErrorLine($0) } }.count
        if errorLines > (best?.parsed ?? 0) { return .error }
        guard let best, best.parsed > 0 else { return nil }
        return .access(best.format)
    }
}

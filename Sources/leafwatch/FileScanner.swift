import LeafwatchCore
import LeafwatchSystem

/// The scan of one file: recognizes its format from the first lines unless
/// one was given, then parses every line into the summary.
struct FileScanner {
    enum State {
        case detecting([(bytes: [UInt8], number: Int, isCut: Bool)])
        case access(AccessLogParser)
        case error(ErrorLogParser)
        case unrecognized
    }

    let path: String
    let options: ScanOptions
    private var state: State
    private(set) var unrecognized = false

    init(path: String, options: ScanOptions) {
        self.path = path
        self.options = options
        if let format = options.format {
            state = .access(AccessLogParser(format: format, timeZone: options.timeZone))
        } else if options.errorFormat {
            state = .error(ErrorLogParser(timeZone: options.timeZone))
        } else {
            state = .detecting([])
        }
    }

    mutating func consume(_ line: LineReader.Line, summary: inout ScanSummary, records: inout RecordWriter?) {
        switch state {
        case .access(var parser):
            // Take the parser out of the enum so that it is mutated in place.
            state = .unrecognized
            parse(line.bytes, number: line.number, isCut: line.isCut, parser: &parser, summary: &summary, records: &records)
            state = .access(parser)
        case .error(var parser):
            state = .unrecognized
            parseError(line.bytes, number: line.number, isCut: line.isCut, parser: &parser, summary: &summary)
            state = .error(parser)
        case .detecting(var sample):
            sample.append((Array(line.bytes), line.number, line.isCut))
            if sample.count >= ScanCommand.detectionLines {
                decide(sample, summary: &summary, records: &records)
            } else {
                state = .detecting(sample)
            }
        case .unrecognized:
            summary.addMalformedLine(line.bytes, path: path, lineNumber: line.number, isCut: line.isCut,
                                     reason: "format not recognized")
        }
    }

    mutating func finish(summary: inout ScanSummary, records: inout RecordWriter?) {
        if case .detecting(let sample) = state, !sample.isEmpty {
            decide(sample, summary: &summary, records: &records)
        }
    }

    private mutating func decide(_ sample: [(bytes: [UInt8], number: Int, isCut: Bool)], summary: inout ScanSummary, records: inout RecordWriter?) {
        let detected = FormatDetector.detect(sample.map(\.bytes), timeZone: options.timeZone, isErrorLine: ErrorLogParser.looksLikeErrorLog)
        switch detected {
        case .access(let format):
            var parser = AccessLogParser(format: format, timeZone: options.timeZone)
            for line in sample {
                line.bytes.withUnsafeBufferPointer { buffer in
                    parse(buffer, number: line.number, isCut: line.isCut, parser: &parser, summary: &summary, records: &records)
                }
            }
            state = .access(parser)
        case .error:
            var parser = ErrorLogParser(timeZone: options.timeZone)
            for line in sample {
                line.bytes.withUnsafeBufferPointer { buffer in
                    parseError(buffer, number: line.number, isCut: line.isCut, parser: &parser, summary: &summary)
                }
            }
            state = .error(parser)
        case nil:
            state = .unrecognized
            unrecognized = true
            for line in sample {
                line.bytes.withUnsafeBufferPointer { buffer in
                    summary.addMalformedLine(buffer, path: path, lineNumber: line.number, isCut: line.isCut, reason: "format not recognized")
                }
            }
        }
    }

    @inline(__always)
    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, number: Int, isCut: Bool, parser: inout AccessLogParser,
                       summary: inout ScanSummary, records: inout RecordWriter?) {
        if !isCut, parser.parse(bytes) {
            summary.addAccessLine(parser, line: bytes)
            records?.write(parser, line: bytes, path: path, number: number)
        } else {
            let reason = isCut ? "line longer than \(options.maxLineLength) bytes" : "no match for format '\(parser.format.source)'"
            summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: isCut, reason: reason)
        }
    }

    private func parseError(_ bytes: UnsafeBufferPointer<UInt8>, number: Int, isCut: Bool, parser: inout ErrorLogParser,
                            summary: inout ScanSummary) {
        if !isCut, let record = parser.parse(bytes) {
            summary.addErrorRecord(record)
        } else {
            let reason = isCut ? "line longer than \(options.maxLineLength) bytes" : "not an Apache or nginx error-log line"
            summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: isCut, reason: reason)
        }
    }
}

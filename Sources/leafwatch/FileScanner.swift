import LeafwatchCore
import LeafwatchSystem

/// One input file of a scan. It recognizes the format from the first lines
/// unless one was given, counts every line into the summary, and hands out
/// the observations of its lines in order, so that several files can be
/// merged in time order.
final class FileScanner {
    private typealias BufferedLine = (bytes: [UInt8], number: Int, isCut: Bool)

    private enum State {
        case detecting, access, error, unrecognized
    }

    let path: String
    private let options: ScanOptions
    private var reader: LineReader
    private var state: State
    private var accessParser: AccessLogParser?
    private var errorParser: ErrorLogParser?
    /// Lines read for format detection and not yet handed out.
    private var buffered: [BufferedLine] = []
    private(set) var unrecognized = false
    /// When set, the times of error-log lines that make no observation are
    /// kept in `otherLineTimes`, so that a report does not count them as a gap.
    var keepsOtherLineTimes = false
    private(set) var otherLineTimes: [Int64] = []

    init(path: String, displayPath: String, options: ScanOptions, format: LogFormat?) throws(SystemError) {
        self.path = displayPath
        self.options = options
        self.reader = try LineReader(path: path, maxLineLength: options.maxLineLength)
        if options.errorFormat {
            state = .error
            errorParser = ErrorLogParser(timeZone: options.timeZone)
        } else if let format {
            state = .access
            accessParser = AccessLogParser(format: format, timeZone: options.timeZone)
        } else {
            state = .detecting
        }
    }

    /// Returns the next observation, counting every line read on the way
    /// into `summary`; nil at the end of the file.
    func next(summary: inout ScanSummary, builder: inout ObservationBuilder, records: inout RecordWriter?) throws -> Observation? {
        if case .detecting = state {
            try detect(summary: &summary)
        }
        while true {
            if !buffered.isEmpty {
                let line = buffered.removeFirst()
                let observation = line.bytes.withUnsafeBufferPointer { bytes in
                    process(bytes, number: line.number, isCut: line.isCut, summary: &summary, builder: &builder, records: &records)
                }
                if let observation { return observation }
                continue
            }
            guard let line = try reader.nextLine() else { return nil }
            if let observation = process(line.bytes, number: line.number, isCut: line.isCut, summary: &summary,
                                         builder: &builder, records: &records) {
                return observation
            }
        }
    }

    /// Appends the observations of the next lines to `observations` until it
    /// contains `limit` of them or the file ends, counting every line read
    /// into `summary`. Returns false once the file has ended.
    func fill(_ observations: inout [Observation], limit: Int, summary: inout ScanSummary, builder: inout ObservationBuilder,
              records: inout RecordWriter?) throws -> Bool {
        if case .detecting = state {
            try detect(summary: &summary)
        }
        guard case .access = state, buffered.isEmpty else {
            // The general path: detection lines still buffered, error logs, unrecognized files.
            while observations.count < limit {
                guard let observation = try next(summary: &summary, builder: &builder, records: &records) else { return false }
                observations.append(observation)
            }
            return true
        }

        // Access logs: the parser stays out of its property for the whole batch.
        var parser = accessParser.take()!
        do {
            while observations.count < limit {
                guard let line = try reader.nextLine() else {
                    accessParser = parser
                    return false
                }
                if line.isCut {
                    summary.addMalformedLine(line.bytes, path: path, lineNumber: line.number, isCut: true,
                                             reason: "line longer than \(options.maxLineLength) bytes")
                } else if let observation = processAccess(line.bytes, number: line.number, parser: &parser, summary: &summary,
                                                          builder: &builder, records: &records) {
                    observations.append(observation)
                }
            }
        } catch {
            accessParser = parser
            throw error
        }
        accessParser = parser
        return true
    }

    /// Returns the kept times of lines without an observation and clears them.
    func takeOtherLineTimes() -> [Int64] {
        defer { otherLineTimes.removeAll(keepingCapacity: true) }
        return otherLineTimes
    }

    /// Reads the first lines and picks the format from them.
    private func detect(summary: inout ScanSummary) throws {
        while buffered.count < ScanCommand.detectionLines, let line = try reader.nextLine() {
            buffered.append((Array(line.bytes), line.number, line.isCut))
        }
        let sample = buffered.filter { !$0.isCut }.map(\.bytes)
        switch FormatDetector.detect(sample, timeZone: options.timeZone, isErrorLine: ErrorLogParser.looksLikeErrorLog) {
        case .access(let format):
            state = .access
            accessParser = AccessLogParser(format: format, timeZone: options.timeZone)
        case .error:
            state = .error
            errorParser = ErrorLogParser(timeZone: options.timeZone)
        case nil:
            state = .unrecognized
            unrecognized = !buffered.isEmpty
        }
    }

    private func process(
        _ bytes: UnsafeBufferPointer<UInt8>, number: Int, isCut: Bool, summary: inout ScanSummary,
        builder: inout ObservationBuilder, records: inout RecordWriter?
    ) -> Observation? {
        if isCut {
            summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: true,
                                     reason: "line longer than \(options.maxLineLength) bytes")
            return nil
        }
        switch state {
        case .access:
            // Move the parser out of the property so that it is used in place, not copied.
            var parser = accessParser.take()!
            let observation = processAccess(bytes, number: number, parser: &parser, summary: &summary, builder: &builder,
                                            records: &records)
            accessParser = parser
            return observation
        case .error:
            guard let record = errorParser!.parse(bytes) else {
                summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: false,
                                         reason: "not an Apache or nginx error-log line")
                return nil
            }
            let observation = builder.observation(record)
            summary.addErrorRecord(record, observation: observation)
            if observation == nil, keepsOtherLineTimes, let time = record.time { otherLineTimes.append(time) }
            return observation
        case .detecting, .unrecognized:
            summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: false, reason: "format not recognized")
            return nil
        }
    }

    private func processAccess(
        _ bytes: UnsafeBufferPointer<UInt8>, number: Int, parser: inout AccessLogParser, summary: inout ScanSummary,
        builder: inout ObservationBuilder, records: inout RecordWriter?
    ) -> Observation? {
        guard parser.parse(bytes) else {
            summary.addMalformedLine(bytes, path: path, lineNumber: number, isCut: false,
                                     reason: "no match for format '\(parser.format.source)'")
            return nil
        }
        // The detection thread counts the request into its summary.
        let observation = builder.observation(parser, line: bytes)
        records?.write(parser, line: bytes, path: path, number: number)
        return observation
    }
}

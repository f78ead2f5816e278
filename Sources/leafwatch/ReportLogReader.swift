#if canImport(Glibc)
import Glibc
#endif
import LeafwatchCore
import LeafwatchSystem

/// Reads the configured access and error logs, rotated and compressed files
/// included, into a `ReportBuilder`. Each log's files are read oldest first
/// and the logs are merged in time order. A file whose first and last lines
/// lie outside the span is not read. A source that cannot be read becomes
/// a warning and a sentence in the report; it never stops the report.
struct ReportLogReader {
    /// The span whose lines count: the previous period's start to the period's end.
    let span: Range<Int64>
    private let configuration: Configuration
    private let accessOptions: ScanOptions
    private let errorOptions: ScanOptions

    init(configuration: Configuration, span: Range<Int64>) {
        self.configuration = configuration
        self.span = span
        var options = ScanOptions()
        options.apply(configuration)
        accessOptions = options
        options.errorFormat = true
        errorOptions = options
    }

    /// One log: its files that overlap the span, oldest first, read one after the other.
    private final class Source {
        let files: [String]
        let options: ScanOptions
        let format: LogFormat?
        var next = 0
        var scanner: FileScanner?

        init(files: [String], options: ScanOptions) {
            self.files = files
            self.options = options
            self.format = options.errorFormat ? nil : options.format
        }
    }

    /// Reads every log into `report`. Returns the sentences about sources
    /// that could not be read, which are also added to `report`.
    func read(into report: inout ReportBuilder) -> [String] {
        var problems: [String] = []
        var sources: [Source] = []
        for (patterns, options) in [(configuration.input.accessLogs, accessOptions), (configuration.input.errorLogs, errorOptions)] {
            for pattern in patterns {
                sources += selectFiles(pattern: pattern, options: options, problems: &problems)
            }
        }

        let worker = ReportWorker(builder: report)
        worker.start()
        var lineTimes: [Int64] = []
        var summary = ScanSummary()
        var builder = ObservationBuilder(trustedProxies: accessOptions.trustedProxies, ignorePaths: accessOptions.ignorePaths)
        var records: RecordWriter? = nil
        func fill(_ index: Int, _ observations: inout [Observation]) -> Bool {
            let source = sources[index]
            while true {
                if source.scanner == nil {
                    guard source.next < source.files.count else { return false }
                    let path = source.files[source.next]
                    source.next += 1
                    do {
                        source.scanner = try FileScanner(path: path, displayPath: DisplayText.escaped(path, maxBytes: 4096),
                                                         options: source.options, format: source.format)
                        source.scanner!.keepsOtherLineTimes = true
                    } catch {
                        problems.append(Self.sentence(error, path: path))
                        continue
                    }
                }
                let scanner = source.scanner!
                do {
                    let more = try scanner.fill(&observations, limit: ScanCommand.batchSize, summary: &summary,
                                                builder: &builder, records: &records)
                    lineTimes += scanner.takeOtherLineTimes()
                    if more { return true }
                } catch {
                    problems.append(Self.sentence(error, path: scanner.path))
                }
                if scanner.unrecognized {
                    problems.append("the format of \(scanner.path) was not recognized; set LogFormat= in [Input]")
                }
                source.scanner = nil
                if !observations.isEmpty { return true }
            }
        }
        ObservationMerge.run(sourceCount: sources.count, batchSize: ScanCommand.batchSize, fill: fill) { batch in
            worker.send(ObservationBatch(observations: batch, names: builder.hostNames, lineTimes: lineTimes))
            lineTimes.removeAll()
        }
        worker.send(ObservationBatch(observations: [], names: builder.hostNames, lineTimes: lineTimes))
        report = worker.finish()
        report.addMalformedLines(summary.malformed, cut: summary.cut)
        for problem in problems { report.addSourceProblem(problem) }
        return problems
    }

    /// Finds the files of each log that `pattern` names, keeps those that may
    /// hold lines inside the span, and makes one source of each log.
    private func selectFiles(pattern: String, options: ScanOptions, problems: inout [String]) -> [Source] {
        let allSeries: [RotatedLogSeries]
        do {
            allSeries = try RotatedLogs.series(matching: pattern)
        } catch {
            problems.append(Self.sentence(error, path: pattern))
            return []
        }
        if allSeries.allSatisfy(\.files.isEmpty) {
            problems.append("no file matches \(DisplayText.escaped(pattern, maxBytes: 4096))")
        }
        var sources: [Source] = []
        for var series in allSeries {
            for path in series.unsupportedFiles {
                problems.append("\(DisplayText.escaped(path, maxBytes: 4096)) is compressed in a format that cannot be read; only gzip can")
            }
            // An unreadable file is a problem of its own; the others are still read.
            series.files.removeAll { file in
                guard access(file.path, R_OK) != 0 else { return false }
                problems.append(Self.sentence(SystemError("open", path: file.path, errno: errno), path: file.path))
                return true
            }
            var lineTime = LineTime(timeZone: options.timeZone)
            let selections: [LogFileSelection]
            do {
                selections = try RotatedLogs.select(series, since: span.lowerBound, until: span.upperBound,
                                                    tolerance: configuration.alerts.maxLateness,
                                                    maxLineLength: options.maxLineLength) { lineTime.time(of: $0) }
            } catch {
                problems.append(Self.sentence(error, path: series.path))
                continue
            }
            let chosen = selections.filter(\.overlapsPeriod).map(\.file.path)
            if !chosen.isEmpty { sources.append(Source(files: chosen, options: options)) }
        }
        return sources
    }

    private static func sentence(_ error: any Error, path: String) -> String {
        if let error = error as? SystemError { return error.description }
        return "cannot read \(DisplayText.escaped(path, maxBytes: 4096)): \(error)"
    }
}

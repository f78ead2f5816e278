import LeafwatchCore
import LeafwatchSystem

/// `leafwatch scan`: reads whole files, merges their lines in time order,
/// runs the detectors over them and prints the counts and alerts.
struct ScanCommand {
    var options: ScanOptions

    /// How many of a file's first lines decide its format.
    static let detectionLines = 20
    /// Observations handed to the detection thread at a time.
    static let batchSize = 4096

    mutating func run() -> Int32 {
        do {
            options.apply(try ConfigurationLoader.load(path: options.configPath).configuration)
        } catch {
            for problem in error.errors { printError(problem.description) }
            return ExitStatus.configError
        }
        var history: UserHistory? = nil
        if let directory = options.stateDirectory {
            do {
                history = try StateFile.read(UserHistory.self, directory: directory, name: StateFile.userHistory)
            } catch {
                printError(error.description)
                return ExitStatus.ioError
            }
        }

        var summary = ScanSummary()
        var builder = ObservationBuilder(trustedProxies: options.trustedProxies, ignorePaths: options.ignorePaths)
        let worker = DetectionWorker(engine: options.detect ? DetectionEngine(settings: options.detection, history: history) : nil,
                                     settings: options.detection)
        worker.start()
        var records = options.records ? RecordWriter() : nil
        var status = ExitStatus.success

        func fail(_ error: any Error, path: String) {
            if let error = error as? SystemError {
                printError(error.description)
                status = max(status, error.isUnavailableInput ? ExitStatus.noInput : ExitStatus.ioError)
            } else {
                printError("failed to read '\(path)': \(error)")
                status = max(status, ExitStatus.ioError)
            }
        }

        // Open every file.
        var scanners: [FileScanner] = []
        for path in options.files {
            let displayPath = path == "-" ? "standard input" : DisplayText.escaped(path, maxBytes: 4096)
            do {
                scanners.append(try FileScanner(path: path, displayPath: displayPath, options: options, format: options.format))
            } catch {
                fail(error, path: displayPath)
            }
        }

        // Read each file in batches of observations, merged in time order.
        func fill(_ index: Int, _ observations: inout [Observation]) -> Bool {
            do {
                return try scanners[index].fill(&observations, limit: Self.batchSize, summary: &summary, builder: &builder,
                                                records: &records)
            } catch {
                fail(error, path: scanners[index].path)
                return false
            }
        }
        ObservationMerge.run(sourceCount: scanners.count, batchSize: Self.batchSize, fill: fill) { batch in
            worker.send(DetectionWorker.Batch(observations: batch, names: builder.hostNames))
        }
        var (engine, alerts, counts) = worker.finish()
        summary.merge(&counts)
        records?.flush()
        if let directory = options.stateDirectory, let engine {
            do {
                // Addresses older than the history, counted back from the latest line, are forgotten.
                var history = engine.history
                if engine.watermark != .min { history.expire(before: engine.watermark) }
                try StateFile.write(history, directory: directory, name: StateFile.userHistory)
            } catch {
                printError(error.description)
                status = max(status, ExitStatus.ioError)
            }
        }

        for scanner in scanners where scanner.unrecognized {
            printError("cannot recognize the format of '\(scanner.path)'; name it with --format")
            status = max(status, ExitStatus.dataError)
        }
        reportMalformedLines(summary)

        guard !options.records else { return status }
        // With no file read at all, an empty report would only look like a result.
        guard !scanners.isEmpty else { return status }
        let episodes = EpisodeList(alerts: alerts)
        if options.json {
            var writer = JSONWriter(sink: { printOut($0) })
            summary.write(to: &writer, files: options.files, names: builder.hostNames, top: options.top,
                          episodes: options.detect ? episodes : nil, engine: engine)
            writer.flush()
        } else {
            printOut(summary.text(files: options.files, names: builder.hostNames, top: options.top ?? 20,
                                  episodes: options.detect ? episodes : nil, engine: engine))
        }
        return status
    }

    private func reportMalformedLines(_ summary: ScanSummary) {
        for sample in summary.malformedSamples {
            printError("'\(sample.path)':\(sample.lineNumber): \(sample.reason): \(sample.text)")
        }
        if summary.malformed > summary.malformedSamples.count {
            printError("\(summary.malformed - summary.malformedSamples.count) more malformed lines not shown")
        }
    }
}

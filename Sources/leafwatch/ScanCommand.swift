import LeafwatchCore
import LeafwatchSystem

/// `leafwatch scan`: reads whole files and prints their counts.
struct ScanCommand {
    let options: ScanOptions

    /// How many of a file's first lines decide its format.
    static let detectionLines = 20

    func run() -> Int32 {
        var summary = ScanSummary()
        var status = ExitStatus.success
        var recordWriter = options.records ? RecordWriter() : nil

        for path in options.files {
            let displayPath = path == "-" ? "standard input" : path
            do {
                var reader = try LineReader(path: path, maxLineLength: options.maxLineLength)
                var scanner = FileScanner(path: displayPath, options: options)
                try reader.forEachLine { line in
                    scanner.consume(line, summary: &summary, records: &recordWriter)
                }
                scanner.finish(summary: &summary, records: &recordWriter)
                if scanner.unrecognized {
                    printError("cannot recognize the format of '\(displayPath)'; name it with --format")
                    status = max(status, ExitStatus.dataError)
                }
            } catch let error as SystemError {
                printError(error.description)
                status = max(status, error.isUnavailableInput ? ExitStatus.noInput : ExitStatus.ioError)
            } catch {
                printError("failed to read '\(displayPath)': \(error)")
                status = max(status, ExitStatus.ioError)
            }
            recordWriter?.flush()
        }

        for sample in summary.malformedSamples {
            printError("'\(sample.path)':\(sample.lineNumber): \(sample.reason): \(sample.text)")
        }
        if summary.malformed > summary.malformedSamples.count {
            printError("\(summary.malformed - summary.malformedSamples.count) more malformed lines not shown")
        }

        if options.records {
            return status
        }
        if options.json {
            printOut(summary.json(files: options.files, top: options.top))
        } else {
            printOut(summary.text(files: options.files, top: options.top ?? 20))
        }
        return status
    }
}

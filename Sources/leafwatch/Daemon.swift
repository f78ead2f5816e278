#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import LeafwatchCore
import LeafwatchSystem

/// `leafwatch run` at work: follows the logs, runs every line through the
/// parser and the detectors, and writes alerts as they happen.
///
/// All state belongs to one serial queue. inotify, the signals and the
/// timers deliver onto it, so nothing here needs a lock. Timers run only
/// while they have work: the watchdog ping, a checkpoint after changes, and
/// a once-a-second tick that closes quiet episodes while some are open. An
/// idle daemon therefore wakes only for the watchdog.
final class Daemon: @unchecked Sendable {
    let queue = DispatchQueue(label: "leafwatch.daemon")

    private let configPath: String?
    private var loaded: LoadedConfiguration
    private var configuration: Configuration { loaded.configuration }
    private let log: EventLog

    private var engine: DetectionEngine
    private var builder: ObservationBuilder
    private var accessParser: AccessLogParser
    private var errorParser: ErrorLogParser
    private var accessFollower: FileFollower?
    private var errorFollower: FileFollower?
    private var alerts: [Alert] = []

    private var signalSources: [DispatchSourceSignal] = []
    private var watchdogTimer: DispatchSourceTimer?
    private var checkpointTimer: DispatchSourceTimer?
    private var closeTimer: DispatchSourceTimer?
    private var checkpointQueued = false
    private var isStopping = false
    private var onExit: ((Int32) -> Void)?

    /// Lines read since the start, for STATUS=.
    private var linesRead = 0
    private var malformedLines = 0
    private var cutLines = 0
    private var statusLines = 0
    private var statusTime = Daemon.monotonicSeconds()
    /// Malformed and cut lines are reported at most once per path and
    /// `lineReportInterval`; the lines in between are counted and named in
    /// the next report.
    private var lineReports: [LineReportKey: (time: Double, suppressed: Int)] = [:]
    private static let lineReportInterval = 600.0
    private var reportedTooLate = false
    /// Whether lines arrived since the last tick of `closeTimer`.
    private var sawLines = false
    /// The watermark when the logs last delivered lines, and the monotonic
    /// time then. While the logs are quiet, event time moves on from there.
    private var quietSince = (watermark: Int64.min, time: 0.0)

    init(configPath: String?, loaded: LoadedConfiguration, log: EventLog) {
        self.configPath = configPath
        self.loaded = loaded
        self.log = log
        let configuration = loaded.configuration
        engine = DetectionEngine(settings: DetectionSettings(configuration: configuration))
        builder = Daemon.makeBuilder(configuration, hostNames: HostNameTable())
        let zone = Daemon.timeZone(configuration)
        accessParser = AccessLogParser(format: configuration.input.logFormat, timeZone: zone)
        errorParser = ErrorLogParser(timeZone: zone)
    }

    // MARK: - Start and stop

    /// Restores the saved state, installs the signal handlers, opens the
    /// logs and reports readiness. Runs on the queue. Returns an exit status
    /// when the daemon cannot run.
    func start(onExit: @escaping (Int32) -> Void) -> Int32? {
        dispatchPrecondition(condition: .onQueue(queue))
        self.onExit = onExit
        let directory = configuration.state.directory

        if let status = prepareStateDirectory(directory) { return status }
        restoreState(directory: directory)
        installSignalHandlers()
        do {
            try startFollowers(accessCheckpoints: restoredAccess, errorCheckpoints: restoredError)
        } catch {
            note(.failed(error), priority: .err)
            return ExitStatus.ioError
        }
        restoredAccess = []
        restoredError = []
        guard saveCheckpoint(waiting: true) else { return ExitStatus.cannotCreate }

        _ = try? ServiceManager.ready(status: statusText())
        startWatchdog()
        emitEvent(.started, priority: .info, message: "started version \(LeafwatchCommand.version), following \(Daemon.count(followedFileCount, "file")), "
                  + "configuration from \(loaded.filesRead.isEmpty ? "built-in defaults" : loaded.filesRead.joined(separator: ", "))")
        return nil
    }

    private var restoredAccess: [FileCheckpoint] = []
    private var restoredError: [FileCheckpoint] = []

    /// Creates the state directory when missing and checks it is writable.
    private func prepareStateDirectory(_ directory: String) -> Int32? {
        if let error = Daemon.makeDirectories(directory) {
            emitEvent(.checkpointFailed, priority: .err, message: "cannot use the state directory: \(error)", path: directory, errno: error.errno)
            return ExitStatus.cannotCreate
        }
        guard access(directory, W_OK) == 0 else {
            let code = errno
            let error = SystemError("write to", path: directory, errno: code)
            emitEvent(.checkpointFailed, priority: .err, message: "cannot use the state directory: \(error)", path: directory, errno: code)
            return ExitStatus.cannotCreate
        }
        return nil
    }

    /// Loads the saved positions and detector state. A missing file means a
    /// first start; an unreadable one is set aside and the daemon starts
    /// afresh, saying so.
    private func restoreState(directory: String) {
        let saved: DaemonState?
        do {
            saved = try StateFile.read(DaemonState.self, directory: directory, name: DaemonState.fileName)
        } catch {
            let path = directory + "/" + DaemonState.fileName
            let aside = path + ".invalid"
            rename(path, aside)
            emitEvent(.stateReset, priority: .warning,
                      message: "the saved state could not be read and was moved to \(aside); starting afresh: \(error)",
                      path: path, errno: error.errno == 0 ? nil : error.errno)
            return
        }
        guard let saved else { return }
        guard saved.version == DaemonState.currentVersion else {
            let path = directory + "/" + DaemonState.fileName
            rename(path, path + ".invalid")
            emitEvent(.stateReset, priority: .warning,
                      message: "the saved state has format version \(saved.version), not \(DaemonState.currentVersion); starting afresh",
                      path: path)
            return
        }
        engine = saved.engine
        builder.hostNames = saved.hostNames
        restoredAccess = saved.accessLogs
        restoredError = saved.errorLogs
        // The saved engine carries the settings of its run; apply today's.
        engine.reconfigure(DetectionSettings(configuration: configuration), alerts: &alerts)
        flushAlerts(path: nil)
    }

    private func installSignalHandlers() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                if number == SIGHUP { reload() } else { stop() }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Reads what is left, saves the final checkpoint and ends the process with status 0.
    private func stop() {
        guard !isStopping else { return }
        isStopping = true
        _ = try? ServiceManager.stopping()
        accessFollower?.readAvailable()
        errorFollower?.readAvailable()
        let saved = saveCheckpoint(waiting: true)
        emitEvent(.stopping, priority: .info, message: "stopping after \(linesRead) lines; "
                  + (saved ? "positions and detector state saved" : "the final checkpoint failed"))
        accessFollower?.stop()
        errorFollower?.stop()
        for timer in [watchdogTimer, checkpointTimer, closeTimer] { timer?.cancel() }
        onExit?(saved ? ExitStatus.success : ExitStatus.ioError)
    }

    // MARK: - Reload

    /// Reads the configuration again and applies it when it is valid;
    /// otherwise the running configuration stays in force.
    private func reload() {
        guard !isStopping else { return }
        _ = try? ServiceManager.reloading()
        let next: LoadedConfiguration
        do {
            next = try ConfigurationLoader.load(path: configPath)
        } catch {
            for problem in error.errors {
                emitEvent(.reloadFailed, priority: .err,
                          message: "configuration not reloaded, the running one stays in force: \(problem)",
                          configFile: problem.path, configLine: problem.line)
            }
            _ = try? ServiceManager.ready(status: statusText())
            return
        }
        apply(next)
        emitEvent(.reloaded, priority: .info, message: "configuration reloaded from "
                  + (next.filesRead.isEmpty ? "built-in defaults" : next.filesRead.joined(separator: ", ")))
        _ = try? ServiceManager.ready(status: statusText())
    }

    private func apply(_ next: LoadedConfiguration) {
        let old = configuration
        loaded = next
        let new = next.configuration
        log.maxMessageLength = new.alerts.maxMessageLength

        engine.reconfigure(DetectionSettings(configuration: new), alerts: &alerts)
        flushAlerts(path: nil)

        if new.input != old.input {
            builder = Daemon.makeBuilder(new, hostNames: builder.hostNames)
            let zone = Daemon.timeZone(new)
            accessParser = AccessLogParser(format: new.input.logFormat, timeZone: zone)
            errorParser = ErrorLogParser(timeZone: zone)
        }
        let followingChanged = new.input.accessLogs != old.input.accessLogs || new.input.errorLogs != old.input.errorLogs
            || new.input.maxLineLength != old.input.maxLineLength
        if followingChanged {
            accessFollower?.readAvailable()
            errorFollower?.readAvailable()
            let access = accessFollower?.checkpoints ?? []
            let error = errorFollower?.checkpoints ?? []
            accessFollower?.stop()
            errorFollower?.stop()
            do {
                try startFollowers(accessCheckpoints: access, errorCheckpoints: error)
            } catch {
                note(.failed(error), priority: .err)
            }
        }
        if new.state.directory != old.state.directory, let error = Daemon.makeDirectories(new.state.directory) {
            emitEvent(.checkpointFailed, priority: .err, message: "cannot use the new state directory: \(error)",
                      path: new.state.directory, errno: error.errno)
        }
        saveCheckpoint()
    }

    // MARK: - Following

    private func startFollowers(accessCheckpoints: [FileCheckpoint], errorCheckpoints: [FileCheckpoint]) throws(SystemError) {
        let input = configuration.input
        let access = FileFollower(
            patterns: input.accessLogs, startAt: input.startAt, maxLineLength: input.maxLineLength,
            checkpoints: accessCheckpoints, queue: queue,
            lines: { [unowned self] path, line, isCut in accessLine(path: path, line: line, isCut: isCut) },
            events: { [unowned self] event in note(event, priority: nil) })
        let error = FileFollower(
            patterns: input.errorLogs, startAt: input.startAt, maxLineLength: input.maxLineLength,
            checkpoints: errorCheckpoints, queue: queue,
            lines: { [unowned self] path, line, isCut in errorLine(path: path, line: line, isCut: isCut) },
            events: { [unowned self] event in note(event, priority: nil) })
        accessFollower = access
        errorFollower = error
        try access.start()
        try error.start()
    }

    private var followedFileCount: Int {
        (accessFollower?.followedFileCount ?? 0) + (errorFollower?.followedFileCount ?? 0)
    }

    private func accessLine(path: String, line: UnsafeBufferPointer<UInt8>, isCut: Bool) {
        linesRead += 1
        sawLines = true
        markChanged()
        guard !isCut else {
            cutLines += 1
            return
        }
        guard accessParser.parse(line) else {
            noteMalformed(path: path, line: line, reason: "no match for format '\(accessParser.format.source)'")
            return
        }
        detect(builder.observation(accessParser, line: line), path: path)
    }

    private func errorLine(path: String, line: UnsafeBufferPointer<UInt8>, isCut: Bool) {
        linesRead += 1
        sawLines = true
        markChanged()
        guard !isCut else {
            cutLines += 1
            return
        }
        guard let record = errorParser.parse(line) else {
            noteMalformed(path: path, line: line, reason: "not an Apache or nginx error-log line")
            return
        }
        guard let observation = builder.observation(record) else { return }
        detect(observation, path: path)
    }

    private func detect(_ observation: Observation, path: String) {
        let tooLate = engine.tooLate
        engine.process(observation, names: builder.hostNames, alerts: &alerts)
        if engine.tooLate > tooLate, !reportedTooLate {
            reportedTooLate = true
            emitEvent(.lineLate, priority: .warning,
                      message: "a line in \(path) is older than MaxLateness= allows and was not counted; "
                          + "if this repeats, check the log's time zone (TimeZone=) and the clock",
                      path: path)
        }
        if !alerts.isEmpty {
            flushAlerts(path: path)
        }
    }

    /// Writes the collected alerts and saves a checkpoint as soon as the
    /// current batch of lines is done, so that a crash does not repeat them.
    private func flushAlerts(path: String?) {
        guard !alerts.isEmpty else { return }
        for alert in alerts {
            log.write(alert, logPath: path)
        }
        alerts.removeAll(keepingCapacity: true)
        if !checkpointQueued {
            checkpointQueued = true
            queue.async { [unowned self] in
                checkpointQueued = false
                if !isStopping { saveCheckpoint() }
            }
        }
        updateCloseTimer()
    }

    private func noteMalformed(path: String, line: UnsafeBufferPointer<UInt8>, reason: String) {
        malformedLines += 1
        guard let suppressed = mayReport(.malformed, path: path) else { return }
        emitEvent(.lineMalformed, priority: .warning,
                  message: "skipped a line of \(path) (\(reason))\(Daemon.suppressedText(suppressed)): "
                      + DisplayText.escaped(line, maxBytes: 200),
                  path: path)
    }

    private enum LineReport { case malformed, cut }
    private struct LineReportKey: Hashable {
        var kind: LineReport
        var path: String
    }

    /// Returns the number of lines not reported since the last report of
    /// this kind for `path`, or nil when the report is to be left out.
    private func mayReport(_ kind: LineReport, path: String) -> Int? {
        let key = LineReportKey(kind: kind, path: path)
        let now = Daemon.monotonicSeconds()
        if let last = lineReports[key], now - last.time < Daemon.lineReportInterval {
            lineReports[key]?.suppressed += 1
            return nil
        }
        let suppressed = lineReports[key]?.suppressed ?? 0
        lineReports[key] = (now, 0)
        return suppressed
    }

    private static func suppressedText(_ count: Int) -> String {
        count == 0 ? "" : "; \(count) more since the last report"
    }

    // MARK: - Timers

    /// Schedules a checkpoint one interval after the first change since the last one.
    private func markChanged() {
        guard checkpointTimer == nil, !isStopping else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(Int(configuration.state.checkpointInterval)), leeway: .milliseconds(200))
        timer.setEventHandler { [unowned self] in
            checkpointTimer?.cancel()
            checkpointTimer = nil
            saveCheckpoint()
        }
        checkpointTimer = timer
        timer.resume()
    }

    /// Runs the once-a-second tick while episodes are open, so that they
    /// close when their logs go quiet; stops it when none are open.
    ///
    /// While lines arrive, event time is theirs. Once the logs are quiet,
    /// event time advances from the last line's time by the elapsed
    /// monotonic time, not from the wall clock. A log whose times lag the
    /// system clock (a wrong `TimeZone=`, a replayed file) therefore still
    /// closes its episodes a window plus `MaxLateness=` after its last line.
    private func updateCloseTimer() {
        if engine.openEpisodeCount == 0 {
            closeTimer?.cancel()
            closeTimer = nil
            return
        }
        guard closeTimer == nil else { return }
        quietSince = (engine.watermark, Daemon.monotonicSeconds())
        sawLines = false
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
        timer.setEventHandler { [unowned self] in
            let now = Daemon.monotonicSeconds()
            if sawLines {
                sawLines = false
                quietSince = (engine.watermark, now)
            } else {
                engine.advance(to: quietSince.watermark + Int64(now - quietSince.time), alerts: &alerts)
            }
            if !alerts.isEmpty {
                flushAlerts(path: nil)
                markChanged()
            }
            updateCloseTimer()
        }
        closeTimer = timer
        timer.resume()
    }

    /// Pings the watchdog from this queue, so that a stuck queue stops the pings.
    private func startWatchdog() {
        guard let interval = ServiceManager.watchdogInterval else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let microseconds = Int(interval.components.seconds) * 1_000_000 + Int(interval.components.attoseconds / 1_000_000_000_000)
        timer.schedule(deadline: .now() + .microseconds(microseconds), repeating: .microseconds(microseconds),
                       leeway: .microseconds(microseconds / 10))
        timer.setEventHandler { [unowned self] in
            _ = try? ServiceManager.notify("WATCHDOG=1\nSTATUS=\(statusText())")
        }
        watchdogTimer = timer
        timer.resume()
    }

    // MARK: - Checkpoints

    /// Saves the read positions together with the detector state. The
    /// state is encoded on the working queue, so it matches the positions
    /// exactly. The writer's queue does the writing and fsync, and with
    /// `waiting` (at start and stop) this call waits for them.
    /// Returns false when the save failed or, when not waiting, could not be encoded.
    @discardableResult
    private func saveCheckpoint(waiting: Bool = false) -> Bool {
        let state = DaemonState(savedAt: Int64(time(nil)), accessLogs: accessFollower?.checkpoints ?? restoredAccess,
                                errorLogs: errorFollower?.checkpoints ?? restoredError, engine: engine,
                                hostNames: builder.hostNames)
        let directory = configuration.state.directory
        let data: Data
        do {
            data = try StateFile.encode(state, path: directory + "/" + DaemonState.fileName)
        } catch {
            checkpointFinished(error)
            return false
        }
        if watchdogTimer == nil { _ = try? ServiceManager.status(statusText()) }
        guard waiting else {
            writer.submit(data, directory: directory)
            return true
        }
        let error = writer.writeNow(data, directory: directory)
        checkpointFinished(error)
        return error == nil
    }

    /// Reports the first failure of each streak of failed saves.
    private func checkpointFinished(_ error: SystemError?) {
        guard let error else {
            checkpointFailing = false
            return
        }
        guard !checkpointFailing else { return }
        checkpointFailing = true
        emitEvent(.checkpointFailed, priority: .err, message: "cannot save the checkpoint: \(error); retrying at the next one",
                  path: error.path, errno: error.errno == 0 ? nil : error.errno)
    }

    private lazy var writer = CheckpointWriter(fileName: DaemonState.fileName) { [unowned self] error in
        queue.async { [unowned self] in checkpointFinished(error) }
    }

    private var checkpointFailing = false

    // MARK: - Status and events

    /// Returns the STATUS= line: files, reading rate since the last status, open episodes.
    private func statusText() -> String {
        let now = Daemon.monotonicSeconds()
        let elapsed = max(now - statusTime, 0.001)
        let rate = Int((Double(linesRead - statusLines) / elapsed).rounded())
        statusLines = linesRead
        statusTime = now
        var text = "Following \(Daemon.count(followedFileCount, "file")), \(rate) lines/s, \(Daemon.count(engine.openEpisodeCount, "open episode"))"
        if malformedLines > 0 { text += ", \(Daemon.count(malformedLines, "malformed line"))" }
        if cutLines > 0 { text += ", \(Daemon.count(cutLines, "cut line"))" }
        return text
    }

    private func note(_ event: FollowerEvent, priority: Priority?) {
        switch event {
        case .opened(let path, let offset):
            emitEvent(.fileOpened, priority: .info, message: "following \(path) from byte \(offset)", path: path)
        case .missing(let pattern):
            emitEvent(.fileMissing, priority: .notice, message: "no file matches \(pattern) yet; waiting for it to appear",
                      path: pattern, errno: ENOENT)
        case .unreadable(let path, let code):
            emitEvent(.fileUnreadable, priority: .err,
                      message: "cannot read \(path): \(String(cString: strerror(code))); retrying when it changes",
                      path: path, errno: code)
        case .rotated(let path):
            emitEvent(.fileRotated, priority: .info, message: "\(path) was rotated; read the old file to its end", path: path)
        case .truncated(let path, let previousOffset):
            emitEvent(.fileTruncated, priority: .warning,
                      message: "\(path) was truncated (it had \(previousOffset) bytes read); reading it from the start, "
                          + "lines written just before the truncation may be missing", path: path)
        case .deleted(let path):
            emitEvent(.fileDeleted, priority: .notice, message: "\(path) was deleted; read it to its end", path: path)
        case .resumedPredecessor(let path, let predecessor):
            emitEvent(.fileRotated, priority: .info,
                      message: "\(path) was rotated while leafwatch was stopped; finished \(predecessor) first", path: predecessor)
        case .lineCut(let path, let length):
            guard let suppressed = mayReport(.cut, path: path) else { return }
            emitEvent(.lineCut, priority: .warning,
                      message: "a line of \(path) is longer than MaxLineLength=\(configuration.input.maxLineLength) bytes "
                          + "(\(length) bytes or more); it was skipped and following goes on\(Daemon.suppressedText(suppressed))",
                      path: path)
        case .failed(let error):
            emitEvent(.fileUnreadable, priority: priority ?? .err, message: "\(error)", path: error.path,
                      errno: error.errno == 0 ? nil : error.errno)
        }
    }

    private func emitEvent(_ kind: DaemonEvent.Kind, priority: Priority, message: String, path: String? = nil,
                           errno code: Int32? = nil, configFile: String? = nil, configLine: Int? = nil) {
        log.write(DaemonEvent(kind, message: message, priority: priority, path: path, errno: code,
                              configFile: configFile, configLine: configLine))
    }

    // MARK: - Helpers

    private static func makeBuilder(_ configuration: Configuration, hostNames: HostNameTable) -> ObservationBuilder {
        var builder = ObservationBuilder(trustedProxies: configuration.input.trustedProxies,
                                         ignorePaths: configuration.input.ignorePaths.map { PathPattern($0) })
        builder.hostNames = hostNames
        return builder
    }

    private static func timeZone(_ configuration: Configuration) -> LocalTimeZone {
        configuration.input.timeZone.flatMap { LocalTimeZone(identifier: $0) } ?? .system
    }

    /// Creates `path` and its missing parents, mode 0750.
    static func makeDirectories(_ path: String) -> SystemError? {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0, errno != EEXIST {
                return SystemError("create directory", path: current, errno: errno)
            }
        }
        return nil
    }

    /// Returns "1 file", "2 files".
    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

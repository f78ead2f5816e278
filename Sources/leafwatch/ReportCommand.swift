#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LeafwatchCore
import LeafwatchSystem

/// `leafwatch report`: sums up a period from the logs and the journal's
/// alerts, and prints, writes or mails it.
struct ReportCommand {
    var options: ReportOptions

    /// Journal entries are read until this long after the period's end, so
    /// that an episode's close, written after its quiet time, is seen.
    static let journalSlack: Int64 = 86_400
    /// The maximum period a report covers: the maximum `Period=`, 400 days,
    /// plus the hour that a change of UTC offset may add.
    static let maxPeriod: Int64 = 400 * 86_400 + 3600

    func run() -> Int32 {
        let configuration: Configuration
        do {
            configuration = try ConfigurationLoader.load(path: options.configPath).configuration
        } catch {
            for problem in error.errors { printError(problem.description) }
            return ExitStatus.configError
        }
        let settings = configuration.report
        let zone = settings.timeZone.flatMap(LocalTimeZone.init(identifier:)) ?? .system
        let now = Int64(time(nil))

        // The period.
        var since: Int64? = nil
        var until: Int64? = nil
        for (name, text) in [("--since", options.since), ("--until", options.until)] {
            guard let text else { continue }
            guard let value = ReportPeriod.parseTime(text, now: now, zone: zone) else {
                printError("invalid time '\(DisplayText.escaped(text, maxBytes: 100))' for \(name); expected a date such as "
                           + "2026-12-03, a time such as 2026-12-03T08:00, now, today, yesterday or -7d; "
                           + "run 'leafwatch report --help' for usage")
                return ExitStatus.usage
            }
            if name == "--since" { since = value } else { until = value }
        }
        let isDefaultPeriod = since == nil && until == nil
        var period: ReportPeriod
        switch (since, until) {
        case let (since?, until?): period = ReportPeriod(since: since, until: until, zone: zone)
        case let (since?, nil): period = ReportPeriod(since: since, until: now, zone: zone)
        case let (nil, until?):
            period = ReportPeriod(since: ReportPeriod.start(ending: until, length: settings.period, zone: zone), until: until, zone: zone)
        case (nil, nil): period = ReportPeriod.defaultPeriod(now: now, length: settings.period, zone: zone)
        }
        if let since, let until, since >= until {
            printError("--since \(options.since!) is not before --until \(options.until!)")
            return ExitStatus.usage
        }
        if let since, until == nil, since >= now {
            printError("--since \(options.since!) is not in the past")
            return ExitStatus.usage
        }
        if period.period.upperBound - period.period.lowerBound > Self.maxPeriod {
            printError("the period from \(Report.localTime(period.period.lowerBound, zone: zone)) to "
                       + "\(Report.localTime(period.period.upperBound, zone: zone)) is longer than 400 days")
            return ExitStatus.usage
        }

        // The mail's set-up is checked before the logs are read.
        var mail: MailPlan? = nil
        if options.mail {
            switch prepareMail(configuration: configuration, period: &period, isDefaultPeriod: isDefaultPeriod, zone: zone) {
            case .send(let plan): mail = plan
            case .skip(let message):
                printError(message)
                if options.outputPath == nil && !options.formatGiven { return ExitStatus.success }
            case .fail(let status): return status
            }
        }

        // The report.
        let host = options.host ?? MailMessage.hostName()
        let history = readHistory(stateDirectory: configuration.state.directory)
        var builder = ReportBuilder(period: period.period, previousPeriod: period.previous, timeZone: zone,
                                    checkInDay: settings.checkInDay, host: host, history: history,
                                    settings: DetectionSettings(configuration: configuration))
        let reader = ReportLogReader(configuration: configuration, span: period.previous.lowerBound..<period.period.upperBound)
        for problem in reader.read(into: &builder) { printError("warning: \(problem)") }
        if let status = addAlerts(to: &builder, period: period.period, now: now) { return status }
        let report = builder.build()

        // Output: standard output unless the report goes to a file, or only by mail.
        if options.outputPath != nil || !options.mail || options.formatGiven {
            let bytes = Array(render(report, format: options.format).utf8)
            if let path = options.outputPath {
                do {
                    try OutputFile.write(bytes, to: path)
                } catch {
                    printError(error.description)
                    return ExitStatus.ioError
                }
            } else {
                printOut(bytes)
            }
        }
        guard let mail else { return ExitStatus.success }
        return send(report, plan: mail, zone: zone, now: now)
    }

    // MARK: - Mail

    /// The settings that `--mail` uses once the report is made.
    struct MailPlan {
        var sender: String
        var recipients: [String]
        var sendmail: Sendmail
        var ledger: ReportLedger
        var isDefaultPeriod: Bool
    }

    enum MailDecision {
        case send(MailPlan)
        /// Nothing to send, and the message gives the reason.
        case skip(String)
        case fail(Int32)
    }

    /// Checks the mail settings and the ledger. For the default period, the
    /// start moves to the end of the last default period mailed, when that
    /// end lies inside the period or at most one period length before it.
    /// So a catch-up run after a downtime neither repeats nor leaves out days.
    private func prepareMail(configuration: Configuration, period: inout ReportPeriod, isDefaultPeriod: Bool,
                             zone: LocalTimeZone) -> MailDecision {
        let settings = configuration.report
        let recipients = options.recipients.isEmpty ? settings.recipients : options.recipients
        guard !recipients.isEmpty else {
            return .skip("no recipients: [Report] To= is empty and no --to was given; no report mailed")
        }
        let sendmail: Sendmail
        do {
            sendmail = try Sendmail(commandLine: settings.sendmailCommand)
        } catch {
            printError("invalid [Report] Sendmail=: \(error.description)")
            return .fail(ExitStatus.configError)
        }
        let ledger: ReportLedger
        do {
            ledger = try ReportLedger.load(directory: configuration.state.directory)
        } catch {
            printError("\(error.description); the record of mailed reports is needed to mail each period once")
            return .fail(error.isUnavailableInput ? ExitStatus.noInput : ExitStatus.ioError)
        }

        if isDefaultPeriod && !options.force, let lastEnd = ledger.lastDefaultPeriodEnd {
            let since = period.period.lowerBound
            let until = period.period.upperBound
            let length = until - since
            if lastEnd >= until {
                return .skip("the report up to \(Report.localTime(until, zone: zone)) was already mailed; "
                             + "--force mails it again")
            }
            if lastEnd != since && lastEnd >= ReportPeriod.start(ending: since, length: length, zone: zone) {
                period = ReportPeriod(since: lastEnd, until: until, zone: zone)
            }
        }
        let ledgerPeriod = ReportLedger.Period(start: period.period.lowerBound, end: period.period.upperBound)
        if !options.force, let entry = ledger.entry(for: ledgerPeriod) {
            return .skip("the report for \(Self.periodText(period.period, zone: zone)) was already mailed as <\(entry.messageID)>; "
                         + "--force mails it again")
        }
        let sender = settings.sender ?? "leafwatch@" + MailMessage.hostName()
        return .send(MailPlan(sender: sender, recipients: recipients, sendmail: sendmail, ledger: ledger,
                              isDefaultPeriod: isDefaultPeriod))
    }

    private func send(_ report: Report, plan: MailPlan, zone: LocalTimeZone, now: Int64) -> Int32 {
        let alerts = report.episodes.count
        let alertText = report.alertsRead ? "\(alerts) \(alerts == 1 ? "alert" : "alerts")" : "alerts not read"
        let subject = "leafwatch report for \(DisplayText.escaped(report.host, maxBytes: 64)), "
            + "\(Self.periodText(report.period, zone: zone)): \(alertText)"
        let message: MailMessage
        do {
            message = try MailMessage(sender: plan.sender, recipients: plan.recipients, subject: subject,
                                      text: report.text(), html: report.html(),
                                      timeZone: TimeZone(identifier: zone.identifier) ?? .current)
        } catch {
            printError("\(error.description); no report mailed")
            return ExitStatus.configError
        }
        do {
            try plan.sendmail.send(message.render())
        } catch {
            printError("\(error.description); the report was not mailed")
            return ExitStatus.temporaryFailure
        }
        var ledger = plan.ledger
        do {
            try ledger.record(ReportLedger.Period(start: report.period.lowerBound, end: report.period.upperBound),
                              sentAt: now, messageID: message.messageID, isDefaultPeriod: plan.isDefaultPeriod)
        } catch {
            printError("\(error.description); the report was mailed but not recorded, so it may be mailed again")
            return ExitStatus.cannotCreate
        }
        printError("mailed the report for \(Self.periodText(report.period, zone: zone)) to "
                   + plan.recipients.joined(separator: ", "))
        return ExitStatus.success
    }

    // MARK: - Sources

    /// Reads the users' address history from the daemon's saved state, so
    /// that an address used before the period is not reported as new. Without
    /// a readable state the report compares with the previous period only.
    private func readHistory(stateDirectory: String) -> UserHistory? {
        do {
            return try StateFile.read(DaemonState.self, directory: stateDirectory, name: DaemonState.fileName)?.engine.history
        } catch {
            printError("warning: \(error.description); new addresses are judged by the previous period only")
            return nil
        }
    }

    /// Adds the alerts from the journal; returns an exit status when the
    /// report cannot go on.
    private func addAlerts(to builder: inout ReportBuilder, period: Range<Int64>, now: Int64) -> Int32? {
        guard options.readJournal else {
            builder.markAlertsUnread("the journal's alerts (--no-journal was given)")
            return nil
        }
        let source: JournalReader.Source = options.journalDirectory.map { .directory($0) } ?? .local
        if let directory = options.journalDirectory {
            var status = stat()
            guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
                printError(SystemError("open journal files in", path: directory, errno: errno == 0 ? ENOTDIR : errno).description)
                return ExitStatus.noInput
            }
        }
        do {
            let reader = try JournalReader(source: source)
            let until = min(period.upperBound + Self.journalSlack, max(now + 1, period.upperBound))
            for alert in try reader.alerts(since: period.lowerBound, until: until) {
                builder.addEpisode(alert.alert, host: alert.hostname.isEmpty ? nil : alert.hostname)
            }
            if reader.skippedEntries > 0 {
                printError("warning: \(reader.skippedEntries) journal entries with a leafwatch MESSAGE_ID lacked a field and were skipped")
            }
        } catch {
            printError("warning: \(error.description); the report has no alerts")
            builder.markAlertsUnread("the journal's alerts: \(error.description)")
        }
        return nil
    }

    // MARK: - Text

    private func render(_ report: Report, format: ReportOptions.Format) -> String {
        switch format {
        case .text: report.text()
        case .html: report.html()
        case .json: report.json()
        }
    }

    /// Returns `2026-11-27 to 2026-12-03` for a period of whole days (the
    /// end day included), else both ends with their times.
    static func periodText(_ period: Range<Int64>, zone: LocalTimeZone) -> String {
        let start = period.lowerBound
        let end = period.upperBound
        if ReportPeriod.startOfDay(containing: start, zone: zone) == start,
           ReportPeriod.startOfDay(containing: end, zone: zone) == end, end > start {
            return "\(dateText(start, zone: zone)) to \(dateText(end - 1, zone: zone))"
        }
        return "\(Report.localTime(start, zone: zone)) to \(Report.localTime(end, zone: zone))"
    }

    /// Returns the date of `time` in `zone`, `2026-12-03`.
    static func dateText(_ time: Int64, zone: LocalTimeZone) -> String {
        String(Report.localTime(time, zone: zone).prefix(10))
    }
}

import LeafwatchCore

/// The command line of `leafwatch report`.
struct ReportOptions {
    enum Format: String {
        case text, html, json
    }

    var configPath: String? = nil
    /// `--since` and `--until` as given; they are read in the report's time zone from the configuration.
    var since: String? = nil
    var until: String? = nil
    var format = Format.text
    /// `--format` was given; with `--mail` the report then also goes to standard output.
    var formatGiven = false
    var outputPath: String? = nil
    var mail = false
    /// `--to` addresses. When any is given, they replace `[Report] To=`.
    var recipients: [String] = []
    var force = false
    var journalDirectory: String? = nil
    var readJournal = true
    var host: String? = nil

    static let help = """
        Usage: leafwatch report [OPTION]...

        Sums up a period, by default the seven days before today: requests by
        status class compared with the period before, 401/403 and 5xx per day,
        the check-in day's logins, the clients with most failures and 5xx, users
        with failed logins and those who never logged in, new addresses per
        user, the alert episodes from the journal and the gaps in the logs. The
        access and error logs of the configuration are read with their rotated
        and gzip-compressed files.

        Options:
          --config FILE            read FILE and FILE.d/*.conf instead of
                                   /etc/leafwatch/leafwatch.conf and its drop-ins
          --since T                start of the period (default: Period= before --until)
          --until T                end of the period, excluded (default: the start
                                   of today, or now when only --since is given)
          --format FORMAT          text, html or json (default: from the --output
                                   name, *.html or *.json, else text)
          --output FILE            write the report to FILE instead of standard output
          --mail                   mail the report (text and HTML) through
                                   [Report] Sendmail=, once per period; it is
                                   printed as well only when --format is given
          --to ADDRESS             recipient instead of [Report] To=; repeat for several
          --force                  mail even when the period was mailed before
          --journal-directory DIR  read alerts from the journal files in DIR, such
                                   as those systemd-journal-remote collects
          --no-journal             leave the alerts out
          --host NAME              the host name shown (default: this machine's)
          -h, --help               show this help

        T is a date (2026-12-03, midnight in [Report] TimeZone=), a date and time
        (2026-12-03T08:00, with an optional Z or +01:00), now, today, yesterday,
        or -Nd for the start of the day N days ago.

        Exit status: 0 on success and when the period was mailed before, 64 for
        an invalid option or value, 66 when --journal-directory is missing, 73
        when the record of mailed reports cannot be written, 74 when the output
        cannot be written, 75 when the sendmail program fails, 78 for an invalid
        configuration.
        """

    /// Values that go into mail headers must not add headers of their own.
    private static func rejectLineBreaks(_ value: String, option: String) throws(UsageError) {
        if value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            throw UsageError("invalid value for \(option): it contains a line break, which would add mail headers")
        }
    }

    /// Parses the arguments after `report`, or returns nil when help was requested.
    static func parse(_ arguments: [String]) throws(UsageError) -> ReportOptions? {
        var options = ReportOptions()
        var reader = OptionReader(arguments)
        while reader.next() {
            let name = reader.name
            switch name {
            case "-h", "--help":
                try reader.flag()
                return nil
            case "--config":
                let path = try reader.value()
                guard !path.isEmpty else { throw UsageError("empty configuration file name") }
                options.configPath = path
            case "--since":
                options.since = try reader.value()
            case "--until":
                options.until = try reader.value()
            case "--format":
                let text = try reader.value()
                guard let format = Format(rawValue: text) else {
                    throw UsageError("invalid format '\(text)'; expected text, html or json")
                }
                options.format = format
                options.formatGiven = true
            case "--output":
                let path = try reader.value()
                guard !path.isEmpty else { throw UsageError("empty output file name") }
                options.outputPath = path
            case "--mail":
                try reader.flag()
                options.mail = true
            case "--to":
                let address = try reader.value()
                guard !address.isEmpty else { throw UsageError("empty address for --to") }
                try rejectLineBreaks(address, option: name)
                guard MailAddress.isValid(address) else {
                    throw UsageError("invalid address '\(DisplayText.escaped(address, maxBytes: 200))' for --to; expected a plain "
                                     + "address such as ops@example.com (repeat --to for several)")
                }
                options.recipients.append(address)
            case "--force":
                try reader.flag()
                options.force = true
            case "--journal-directory":
                let path = try reader.value()
                guard !path.isEmpty else { throw UsageError("empty directory name for --journal-directory") }
                options.journalDirectory = path
            case "--no-journal":
                try reader.flag()
                options.readJournal = false
            case "--host":
                let host = try reader.value()
                guard !host.isEmpty else { throw UsageError("empty host name for --host") }
                try rejectLineBreaks(host, option: name)
                options.host = host
            default:
                throw reader.unknown()
            }
        }
        // Without --format, an output file named *.html or *.json gets that format.
        if !options.formatGiven, let path = options.outputPath {
            if path.hasSuffix(".html") || path.hasSuffix(".htm") { options.format = .html }
            if path.hasSuffix(".json") { options.format = .json }
        }
        if options.journalDirectory != nil && !options.readJournal {
            throw UsageError("--journal-directory and --no-journal cannot be combined")
        }
        if options.force && !options.mail { throw UsageError("--force applies only with --mail") }
        if !options.recipients.isEmpty && !options.mail { throw UsageError("--to applies only with --mail") }
        return options
    }
}

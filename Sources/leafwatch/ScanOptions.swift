import LeafwatchCore

/// The options of `leafwatch scan`.
struct ScanOptions {
    var files: [String] = []
    var format: LogFormat? = nil
    var errorFormat = false
    var json = false
    var records = false
    var top: Int? = nil
    var timeZone: LocalTimeZone = .system
    var timeZoneGiven = false
    var maxLineLength = 64 * 1024
    var maxLineLengthGiven = false
    /// Run the detectors and report alerts.
    var detect = true
    var configPath: String? = nil
    var stateDirectory: String? = nil

    // Set from the configuration file by `apply(_:)`.
    var detection = DetectionSettings()
    var trustedProxies: [Configuration.IPNetwork] = []
    var ignorePaths: [PathPattern] = []

    static let help = """
        Usage: leafwatch scan [OPTION]... FILE...

        Reads whole log files (plain or gzip; - is standard input) and prints
        lines read, parsed and malformed, counts per status code and class,
        client addresses ordered by 401/403, then 5xx, then requests, users
        with failures, and the alerts of the detectors. Files are merged in
        time order. Without --format, each file's format is recognized from
        its first lines: vhost_combined, combinedio, combined, common, or an
        Apache or nginx error log.

        Options:
          --format FORMAT        a nickname (common, combined, vhost_combined,
                                 combinedio, nginx), an Apache LogFormat string,
                                 an nginx log_format string, or 'error' for
                                 Apache and nginx error logs
          --json                 print one JSON object instead of text
          --records              print each parsed line as one JSON object per line
          --top N                show N clients and users (text default 20;
                                 JSON default all; 0 means all)
          --time-zone ZONE       IANA zone for timestamps written without a UTC
                                 offset, such as error logs (default: the system's)
          --max-line-length N    bytes after which a line is cut and counted as
                                 malformed (default 65536)
          --no-alerts            count only; do not run the detectors
          --config FILE          configuration file for thresholds, ignored paths
                                 and trusted proxies, with drop-ins in FILE.d/
                                 (default /etc/leafwatch/leafwatch.conf; the
                                 built-in defaults apply when it is missing)
          --state DIR            read and update the users' address history in
                                 DIR/users.json (default: no history kept)
          -h, --help             show this help

        Exit status: 0 on success, 64 for an invalid option or value, 65 when a
        file's format cannot be recognized, 66 when a file is missing or
        unreadable, 74 when reading fails part way or the state cannot be
        written, 78 for an invalid configuration.
        """

    /// Parses the arguments after `scan`; nil when help was requested.
    static func parse(_ arguments: [String]) throws(UsageError) -> ScanOptions? {
        var options = ScanOptions()
        var index = 0
        var onlyFiles = false

        func value(for option: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw UsageError("option '\(option)' requires a value") }
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            defer { index += 1 }
            if onlyFiles || argument == "-" || !argument.hasPrefix("-") {
                options.files.append(argument)
                continue
            }
            var name = argument
            var inline: String? = nil
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if inline != nil, ["--json", "--records", "--no-alerts", "--help"].contains(name) {
                throw UsageError("option '\(name)' takes no value")
            }
            switch name {
            case "--":
                onlyFiles = true
            case "-h", "--help":
                return nil
            case "--json":
                options.json = true
            case "--records":
                options.records = true
            case "--no-alerts":
                options.detect = false
            case "--config":
                options.configPath = try value(for: name, inline: inline)
            case "--state":
                options.stateDirectory = try value(for: name, inline: inline)
            case "--format":
                let text = try value(for: name, inline: inline)
                if text == "error" {
                    options.errorFormat = true
                } else {
                    do {
                        options.format = try LogFormat(text)
                    } catch {
                        throw UsageError("invalid value for --format: \(error.description)")
                    }
                }
            case "--top":
                let text = try value(for: name, inline: inline)
                guard let number = Int(text), number >= 0 else {
                    throw UsageError("invalid value '\(text)' for --top; expected a whole number, 0 for all")
                }
                options.top = number == 0 ? Int.max : number
            case "--time-zone":
                let text = try value(for: name, inline: inline)
                guard let zone = LocalTimeZone(identifier: text) else {
                    throw UsageError("unknown time zone '\(text)' for --time-zone; expected an IANA name such as Europe/Berlin")
                }
                options.timeZone = zone
                options.timeZoneGiven = true
            case "--max-line-length":
                let text = try value(for: name, inline: inline)
                guard let number = Int(text), number >= 256, number <= 16 << 20 else {
                    throw UsageError("invalid value '\(text)' for --max-line-length; expected bytes from 256 to 16777216")
                }
                options.maxLineLength = number
                options.maxLineLengthGiven = true
            default:
                throw UsageError("unknown option '\(argument)'")
            }
        }
        guard !options.files.isEmpty else { throw UsageError("no file given") }
        if options.json && options.records { throw UsageError("--json and --records cannot be combined") }
        return options
    }
}

extension ScanOptions {
    /// Takes thresholds, ignored paths, trusted proxies, the time zone, the
    /// line length and a custom log format from the configuration. Options
    /// given on the command line win.
    mutating func apply(_ configuration: Configuration) {
        detection = DetectionSettings(configuration: configuration)
        trustedProxies = configuration.input.trustedProxies
        ignorePaths = configuration.input.ignorePaths.map { PathPattern($0) }
        if !timeZoneGiven, let name = configuration.input.timeZone, let zone = LocalTimeZone(identifier: name) {
            timeZone = zone
        }
        if !maxLineLengthGiven {
            maxLineLength = configuration.input.maxLineLength
        }
        // A nickname is recognized per file anyway; a custom format must be named.
        if format == nil, !errorFormat, LogFormat.nicknames[configuration.input.logFormat.source] == nil {
            format = configuration.input.logFormat
        }
    }
}

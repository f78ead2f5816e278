import LeafwatchSystem

/// The command line of `leafwatch run`.
struct RunOptions {
    /// The main configuration file, or nil for the default path.
    var configPath: String? = nil
    /// The destination of alerts and of the daemon's own messages.
    var logTarget = EventLog.TargetOption.auto

    static let help = """
        Usage: leafwatch run [--config FILE] [--log-target auto|journal|stderr]

        Follows the access and error logs of the configuration as they are
        written, runs the detectors on every line and writes each alert to the
        systemd journal. Read positions and detector state are saved in the
        state directory, so a restart goes on where the last run stopped.
        SIGHUP reloads the configuration; SIGTERM and SIGINT stop.

        Options:
          --config FILE       read FILE and FILE.d/*.conf instead of
                              /etc/leafwatch/leafwatch.conf and its drop-ins
          --log-target T      journal, stderr, or auto (the default): the journal
                              under systemd, standard error in a terminal,
                              otherwise the journal when journald runs
          -h, --help          show this help

        Exit status: 0 after SIGTERM or SIGINT, 64 for an invalid option, 73
        when the state directory cannot be written, 78 for an invalid
        configuration.
        """

    /// Parses the arguments after `run`, or returns nil when help was requested.
    static func parse(_ arguments: [String]) throws(UsageError) -> RunOptions? {
        var options = RunOptions()
        var reader = OptionReader(arguments)
        while reader.next() {
            switch reader.name {
            case "-h", "--help":
                try reader.flag()
                return nil
            case "--config":
                let path = try reader.value()
                guard !path.isEmpty else { throw UsageError("empty configuration file name") }
                options.configPath = path
            case "--log-target":
                let text = try reader.value()
                guard let target = EventLog.TargetOption(rawValue: text) else {
                    throw UsageError("invalid log target '\(text)'; expected auto, journal or stderr")
                }
                options.logTarget = target
            default:
                throw reader.unknown()
            }
        }
        return options
    }
}

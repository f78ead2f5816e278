/// The command-line interface: the first argument picks the command.
enum LeafwatchCommand {
    static let version = "0.1.0"

    static let usage = """
        Usage: leafwatch COMMAND [OPTION]...

        Reads Apache and nginx logs and finds attacks on accounts and failing
        servers.

        Commands:
          run [OPTION]...            follow the configured logs and write alerts
                                     to the systemd journal (the daemon)
          scan [OPTION]... FILE...   count statuses, clients and users in log files
                                     and run the detectors (plain or gzip files;
                                     - reads standard input)
          report [OPTION]...         sum up the last week (or another period) from
                                     the logs and the journal's alerts; print,
                                     write or mail it
          check-config [FILE]        print the effective configuration or its errors

        Options:
          -h, --help      show this help, or a command's help after its name
          --version       show the version

        Run 'leafwatch COMMAND --help' for the options of a command.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            printError("missing command; run 'leafwatch --help' for the list")
            return ExitStatus.usage
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "-h", "--help", "help":
            printOut(usage + "\n")
            return ExitStatus.success
        case "--version":
            printOut("leafwatch \(version)\n")
            return ExitStatus.success
        case "scan":
            return runCommand("scan", rest, parse: ScanOptions.parse, help: ScanOptions.help) { options in
                var command = ScanCommand(options: options)
                return command.run()
            }
        case "run":
            return runCommand("run", rest, parse: RunOptions.parse, help: RunOptions.help) { RunCommand(options: $0).run() }
        case "report":
            return runCommand("report", rest, parse: ReportOptions.parse, help: ReportOptions.help) {
                ReportCommand(options: $0).run()
            }
        case "check-config":
            return runCommand("check-config", rest, parse: CheckConfigCommand.parse, help: CheckConfigCommand.help) { $0.run() }
        default:
            printError("unknown command '\(command)'; run 'leafwatch --help' for the list")
            return ExitStatus.usage
        }
    }

    /// Parses a command's arguments and runs it. Prints its help when
    /// `parse` returns nil, and a usage error with exit status 64 when it throws.
    private static func runCommand<Options>(
        _ name: String, _ arguments: [String], parse: ([String]) throws(UsageError) -> Options?, help: String,
        run: (Options) -> Int32
    ) -> Int32 {
        let options: Options?
        do {
            options = try parse(arguments)
        } catch {
            printError("\(error.message); run 'leafwatch \(name) --help' for usage")
            return ExitStatus.usage
        }
        guard let options else {
            printOut(help + "\n")
            return ExitStatus.success
        }
        return run(options)
    }
}

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
            do {
                guard let options = try ScanOptions.parse(rest) else {
                    printOut(ScanOptions.help + "\n")
                    return ExitStatus.success
                }
                var command = ScanCommand(options: options)
                return command.run()
            } catch {
                printError("\(error.message); run 'leafwatch scan --help' for usage")
                return ExitStatus.usage
            }
        case "run":
            do {
                guard let options = try RunOptions.parse(rest) else {
                    printOut(RunOptions.help + "\n")
                    return ExitStatus.success
                }
                return RunCommand(options: options).run()
            } catch {
                printError("\(error.message); run 'leafwatch run --help' for usage")
                return ExitStatus.usage
            }
        case "report":
            do {
                guard let options = try ReportOptions.parse(rest) else {
                    printOut(ReportOptions.help + "\n")
                    return ExitStatus.success
                }
                return ReportCommand(options: options).run()
            } catch {
                printError("\(error.message); run 'leafwatch report --help' for usage")
                return ExitStatus.usage
            }
        case "check-config":
            do {
                guard let command = try CheckConfigCommand.parse(rest) else {
                    printOut(CheckConfigCommand.help + "\n")
                    return ExitStatus.success
                }
                return command.run()
            } catch {
                printError("\(error.message); run 'leafwatch check-config --help' for usage")
                return ExitStatus.usage
            }
        default:
            printError("unknown command '\(command)'; run 'leafwatch --help' for the list")
            return ExitStatus.usage
        }
    }
}

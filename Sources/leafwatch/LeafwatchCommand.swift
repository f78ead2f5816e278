/// The command-line interface: the first argument picks the command.
enum LeafwatchCommand {
    static let version = "0.1.0"

    static let usage = """
        Usage: leafwatch COMMAND [OPTION]...

        Reads Apache and nginx logs and finds attacks on accounts and failing
        servers. This version has the batch command scan; the daemon that
        follows logs and writes alerts to the journal is not built yet.

        Commands:
          scan [OPTION]... FILE...   count statuses, clients and users in log files
                                     and run the detectors (plain or gzip files;
                                     - reads standard input)
          check-config [FILE]        print the effective configuration or its errors

        Options:
          -h, --help      show this help, or a command's help after its name
          --version       show the version

        Run 'leafwatch scan --help' for the options of scan.
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

import LeafwatchCore
import LeafwatchSystem

/// `leafwatch check-config`: prints the effective configuration, or every
/// error in it.
struct CheckConfigCommand {
    /// The main file given on the command line, or nil for the default path.
    var path: String? = nil

    static let help = """
        Usage: leafwatch check-config [--config FILE | FILE]

        Reads the configuration file (default /etc/leafwatch/leafwatch.conf)
        and then the *.conf files in FILE.d/ in lexical order, and prints the
        files read followed by the effective configuration: every key with its
        value. When the default file does not exist, the built-in defaults
        apply; a file named on the command line must exist.

        Options:
          --config FILE   read FILE instead of /etc/leafwatch/leafwatch.conf
          -h, --help      show this help

        Exit status: 0 when the configuration is valid, 1 when it has errors
        (each printed as FILE:LINE: message), 64 for an invalid option.
        """

    /// Parses the arguments after `check-config`, or returns nil when help was requested.
    static func parse(_ arguments: [String]) throws(UsageError) -> CheckConfigCommand? {
        var command = CheckConfigCommand()
        var index = 0
        var onlyFiles = false

        func setPath(_ path: String) throws(UsageError) {
            guard !path.isEmpty else { throw UsageError("empty configuration file name") }
            guard command.path == nil else { throw UsageError("more than one configuration file given") }
            command.path = path
        }

        while index < arguments.count {
            let argument = arguments[index]
            defer { index += 1 }
            if onlyFiles || !argument.hasPrefix("-") || argument == "-" {
                try setPath(argument)
                continue
            }
            switch argument {
            case "--":
                onlyFiles = true
            case "-h", "--help":
                return nil
            case "--config":
                index += 1
                guard index < arguments.count else { throw UsageError("option '--config' requires a value") }
                try setPath(arguments[index])
            default:
                if argument.hasPrefix("--config=") {
                    try setPath(String(argument.dropFirst("--config=".count)))
                } else {
                    throw UsageError("unknown option '\(argument)'")
                }
            }
        }
        return command
    }

    func run() -> Int32 {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(path: path)
        } catch {
            for problem in error.errors {
                printError(problem.description)
            }
            return ExitStatus.failure
        }

        var text = ""
        if loaded.mainFileMissing {
            text += "# \(ConfigurationLoader.defaultPath) not found; the built-in defaults apply\n"
        }
        for file in loaded.filesRead {
            text += "# read \(file)\n"
        }
        text += "\n" + loaded.configuration.renderedText
        printOut(text)
        return ExitStatus.success
    }
}

/// Exit statuses from sysexits.h, as operators' scripts expect them.
enum ExitStatus {
    static let success: Int32 = 0
    /// A problem was found (an invalid configuration).
    static let failure: Int32 = 1
    /// EX_USAGE: an unknown option or an invalid value.
    static let usage: Int32 = 64
    /// EX_DATAERR: input whose format cannot be recognized.
    static let dataError: Int32 = 65
    /// EX_NOINPUT: a missing or unreadable input file.
    static let noInput: Int32 = 66
    /// EX_CANTCREAT: the state directory or a state file cannot be written.
    static let cannotCreate: Int32 = 73
    /// EX_IOERR: reading failed part way, or output could not be written.
    static let ioError: Int32 = 74
    /// EX_TEMPFAIL: the sendmail program failed; running again may succeed.
    static let temporaryFailure: Int32 = 75
    /// EX_CONFIG: an invalid configuration file.
    static let configError: Int32 = 78
}

/// A command-line mistake; its message names the option or value.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

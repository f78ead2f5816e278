/// A reader of a command's arguments, one option at a time. An option
/// takes its value after `=` (`--config=FILE`) or as the next argument
/// (`--config FILE`).
struct OptionReader {
    private let arguments: [String]
    private var index = 0
    /// The current argument as given.
    private(set) var argument = ""
    /// The current option's name, without a value given after `=`.
    private(set) var name = ""
    private var inlineValue: String?

    init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// Moves to the next argument; returns false after the last one.
    mutating func next() -> Bool {
        guard index < arguments.count else { return false }
        argument = arguments[index]
        index += 1
        name = argument
        inlineValue = nil
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            inlineValue = String(argument[argument.index(after: equals)...])
        }
        return true
    }

    /// Returns the current option's value, taking the next argument when none followed `=`.
    mutating func value() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        guard index < arguments.count else { throw UsageError("option '\(name)' requires a value") }
        index += 1
        return arguments[index - 1]
    }

    /// Throws when the current option, which takes no value, was given one after `=`.
    func flag() throws(UsageError) {
        guard inlineValue == nil else { throw UsageError("option '\(name)' takes no value") }
    }

    /// Returns the error for an argument that no option matches.
    func unknown() -> UsageError {
        UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)'" : "unexpected argument '\(argument)'")
    }
}

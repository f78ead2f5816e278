/// A syslog priority as the journal stores it in `PRIORITY=`: 0 is the
/// most severe. Comparison follows severity, so `.crit > .warning`.
public enum Priority: Int, Sendable, CaseIterable, Comparable {
    case emerg = 0, alert, crit, err, warning, notice, info, debug

    /// The name used in configuration files and by `journalctl -p`.
    public var name: String {
        switch self {
        case .emerg: "emerg"
        case .alert: "alert"
        case .crit: "crit"
        case .err: "err"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// Parses a name (any case) or a number 0–7, as systemd accepts them.
    public init?(name: String) {
        let lowered = name.lowercased()
        if let number = Int(lowered), let value = Priority(rawValue: number) {
            self = value
            return
        }
        guard let value = Priority.allCases.first(where: { $0.name == lowered }) else { return nil }
        self = value
    }

    public static func < (left: Priority, right: Priority) -> Bool {
        // A lower number is more severe.
        left.rawValue > right.rawValue
    }
}

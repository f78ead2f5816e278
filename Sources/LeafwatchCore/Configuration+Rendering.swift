extension Configuration {
    /// One `[Section]` of the effective configuration with its `Key=value` lines.
    struct RenderedSection {
        var name: String
        var lines: [(key: String, value: String)]
    }

    /// The effective configuration as INI text: every section and key in the
    /// order config/leafwatch.conf lists them, each with its value. Parsing
    /// the text gives this configuration back.
    public var renderedText: String {
        var text = ""
        for (index, section) in renderedSections.enumerated() {
            if index > 0 { text += "\n" }
            text += "[\(section.name)]\n"
            for line in section.lines {
                text += "\(line.key)=\(Configuration.quotedIfNeeded(line.value))\n"
            }
        }
        return text
    }

    var renderedSections: [RenderedSection] {
        [
            RenderedSection(name: "Input", lines:
                listLines("AccessLog", input.accessLogs)
                + listLines("ErrorLog", input.errorLogs)
                + [
                    ("LogFormat", input.logFormat.source),
                    ("IgnorePaths", input.ignorePaths.joined(separator: " ")),
                    ("TrustedProxies", input.trustedProxies.map(\.description).joined(separator: " ")),
                    ("TimeZone", input.timeZone ?? ""),
                    ("MaxLineLength", Configuration.formatSize(input.maxLineLength)),
                    ("StartAt", input.startAt.rawValue),
                ]),
            RenderedSection(name: "AuthFailuresPerIP", lines: [
                ("Enabled", Configuration.formatBoolean(authFailuresPerIP.enabled)),
                ("Threshold", "\(authFailuresPerIP.threshold)"),
                ("Window", TimeSpan.format(seconds: authFailuresPerIP.window)),
                ("Priority", authFailuresPerIP.priority.name),
                ("EscalatedPriority", authFailuresPerIP.escalatedPriority.name),
            ]),
            RenderedSection(name: "AuthFailuresPerUser", lines: [
                ("Enabled", Configuration.formatBoolean(authFailuresPerUser.enabled)),
                ("Threshold", "\(authFailuresPerUser.threshold)"),
                ("Window", TimeSpan.format(seconds: authFailuresPerUser.window)),
                ("Priority", authFailuresPerUser.priority.name),
                ("EscalatedPriority", authFailuresPerUser.escalatedPriority.name),
            ]),
            RenderedSection(name: "NewClientForUser", lines: [
                ("Enabled", Configuration.formatBoolean(newClientForUser.enabled)),
                ("Threshold", "\(newClientForUser.threshold)"),
                ("Window", TimeSpan.format(seconds: newClientForUser.window)),
                ("Priority", newClientForUser.priority.name),
                ("History", TimeSpan.format(seconds: newClientForUser.history)),
                ("LearningPeriod", TimeSpan.format(seconds: newClientForUser.learningPeriod)),
                ("IPv6PrefixLength", "\(newClientForUser.ipv6PrefixLength)"),
            ]),
            RenderedSection(name: "ServerErrorBurst", lines: [
                ("Enabled", Configuration.formatBoolean(serverErrorBurst.enabled)),
                ("Threshold", "\(serverErrorBurst.threshold)"),
                ("Window", TimeSpan.format(seconds: serverErrorBurst.window)),
                ("Priority", serverErrorBurst.priority.name),
                ("Ratio", Configuration.formatPercentage(serverErrorBurst.ratioPercent)),
                ("RatioWindow", TimeSpan.format(seconds: serverErrorBurst.ratioWindow)),
                ("RatioMinimumRequests", "\(serverErrorBurst.ratioMinimumRequests)"),
                ("PerVirtualHost", Configuration.formatBoolean(serverErrorBurst.perVirtualHost)),
            ]),
            RenderedSection(name: "RequestFlood", lines: [
                ("Enabled", Configuration.formatBoolean(requestFlood.enabled)),
                ("Threshold", "\(requestFlood.threshold)"),
                ("Window", TimeSpan.format(seconds: requestFlood.window)),
                ("Priority", requestFlood.priority.name),
            ]),
            RenderedSection(name: "Alerts", lines: [
                ("MaxLateness", TimeSpan.format(seconds: alerts.maxLateness)),
                ("MaxTrackedKeys", "\(alerts.maxTrackedKeys)"),
                ("UpdateInterval", alerts.updateInterval.map { TimeSpan.format(seconds: $0) } ?? ""),
                ("MaxMessageLength", "\(alerts.maxMessageLength)"),
            ]),
            RenderedSection(name: "Report", lines: [
                ("To", report.recipients.joined(separator: " ")),
                ("From", report.sender ?? ""),
                ("Sendmail", report.sendmailCommand),
                ("TimeZone", report.timeZone ?? ""),
                ("CheckInDay", report.checkInDay.name),
                ("Period", TimeSpan.format(seconds: report.period)),
            ]),
            RenderedSection(name: "State", lines: [
                ("Directory", state.directory),
                ("CheckpointInterval", TimeSpan.format(seconds: state.checkpointInterval)),
            ]),
        ]
    }

    /// Returns one `Key=item` line per path, or a single empty assignment for an empty list.
    private func listLines(_ key: String, _ items: [String]) -> [(key: String, value: String)] {
        items.isEmpty ? [(key, "")] : items.map { (key, $0) }
    }

    static func formatBoolean(_ value: Bool) -> String {
        value ? "yes" : "no"
    }

    /// Writes bytes as `16M` or `64K` when they divide evenly, else as a plain number.
    static func formatSize(_ bytes: Int) -> String {
        if bytes > 0, bytes % (1 << 20) == 0 { return "\(bytes >> 20)M" }
        if bytes > 0, bytes % (1 << 10) == 0 { return "\(bytes >> 10)K" }
        return "\(bytes)"
    }

    /// Writes `10%` for whole percentages and `2.5%` otherwise.
    static func formatPercentage(_ percent: Double) -> String {
        if percent == percent.rounded(), abs(percent) < 1e15 { return "\(Int(percent))%" }
        return "\(percent)%"
    }

    /// Puts a value in double quotes when reading it back would change it:
    /// spaces at either end would be trimmed, a value in quotes would lose
    /// them, and a trailing backslash would join the next line.
    static func quotedIfNeeded(_ value: String) -> String {
        let first = value.unicodeScalars.first
        let last = value.unicodeScalars.last
        let isSpace: (Unicode.Scalar?) -> Bool = { $0 == " " || $0 == "\t" }
        let needsQuotes = isSpace(first) || isSpace(last)
            || (value.count >= 2 && first == "\"" && last == "\"")
            || last == "\\"
        guard needsQuotes else { return value }
        return "\"" + value.replacing("\"", with: "\\\"") + "\""
    }
}

extension Alert {
    /// Writes the alert as a JSON object.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("rule", rule.rawValue)
        writer.field("key", key)
        if let client { writer.field("client", client) }
        if let user { writer.field("user", user) }
        if let virtualHost { writer.field("virtualHost", virtualHost) }
        writer.field("priority", priority.name)
        writer.field("count", count)
        writer.field("threshold", threshold)
        writer.field("window", window)
        writer.field("firstSeen", CivilTime.iso8601(firstSeen))
        writer.field("lastSeen", CivilTime.iso8601(lastSeen))
        if let requests { writer.field("requests", requests) }
        writer.endObject()
    }

    /// A sentence for a terminal or a journal message. Client-controlled text
    /// (user names, host names) is escaped. `showsPhase` adds `[update]` or
    /// `[close]` after alerts that do not open an episode.
    public func sentence(showsPhase: Bool = true) -> String {
        let span = "\(CivilTime.iso8601(firstSeen)) to \(CivilTime.iso8601(lastSeen))"
        let who = DisplayText.escaped(key, maxBytes: 128)
        let limit = "threshold \(threshold) in \(TimeSpanText.format(window))"
        let what: String
        switch rule {
        case .authFailuresPerIP:
            what = "\(count) failed logins or denials from \(who)"
        case .authFailuresPerUser:
            what = "\(count) failed logins for user '\(who)'"
        case .newClientForUser:
            let address = DisplayText.escaped(client ?? "?", maxBytes: 64)
            what = "user '\(who)' logged in from new address \(address) (\(count) \(count == 1 ? "request" : "requests"))"
        case .serverErrorBurst:
            let scope = key == "*" ? "the server" : "virtual host \(who)"
            let ratio = requests.map { ", \(count) of \($0) requests" } ?? ""
            what = "\(count) server errors (5xx) on \(scope)\(ratio)"
        case .requestFlood:
            what = "\(count) requests from \(who)"
        }
        let state = phase == .open || !showsPhase ? "" : " [\(phase.rawValue)]"
        return "\(priority.name.uppercased()) \(rule.rawValue): \(what), \(span) (\(limit))\(state)"
    }
}

/// Formats seconds the way systemd writes time spans: `10min`, `1h 30min`, `14d`.
enum TimeSpanText {
    static func format(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "0" }
        var rest = seconds
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("min", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}

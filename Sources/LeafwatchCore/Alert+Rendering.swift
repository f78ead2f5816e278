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

    /// Returns the alert as a sentence for a terminal or a journal message,
    /// with client-controlled text (user names, host names) escaped.
    /// `showsPhase` adds `[update]` or `[close]` after alerts that do not
    /// open an episode.
    public func sentence(showsPhase: Bool = true) -> String {
        let span = "\(CivilTime.iso8601(firstSeen)) to \(CivilTime.iso8601(lastSeen))"
        let subject = DisplayText.escaped(key, maxBytes: 128)
        let limit = "threshold \(threshold) in \(TimeSpan.format(seconds: window))"
        let description: String
        switch rule {
        case .authFailuresPerIP:
            description = count == 1 ? "1 failed login or denial from \(subject)" : "\(count) failed logins or denials from \(subject)"
        case .authFailuresPerUser:
            description = "\(count) failed \(count == 1 ? "login" : "logins") for user '\(subject)'"
        case .newClientForUser:
            let address = DisplayText.escaped(client ?? "?", maxBytes: 64)
            description = "user '\(subject)' logged in from new address \(address) (\(count) \(count == 1 ? "request" : "requests"))"
        case .serverErrorBurst:
            let scope = key == "*" ? "the server" : "virtual host \(subject)"
            let ratio = requests.map { ", \(count) of \($0) requests" } ?? ""
            description = "\(count) server \(count == 1 ? "error" : "errors") (5xx) on \(scope)\(ratio)"
        case .requestFlood:
            description = "\(count) \(count == 1 ? "request" : "requests") from \(subject)"
        }
        let state = phase == .open || !showsPhase ? "" : " [\(phase.rawValue)]"
        return "\(priority.name.uppercased()) \(rule.rawValue): \(description), \(span) (\(limit))\(state)"
    }
}

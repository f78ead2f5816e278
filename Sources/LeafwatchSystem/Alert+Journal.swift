import LeafwatchCore

extension Alert {
    /// The identifier that every leafwatch journal entry carries in `SYSLOG_IDENTIFIER=`.
    public static let syslogIdentifier = "leafwatch"

    /// Returns the journal fields of this alert: `MESSAGE` (the sentence,
    /// bounded by `maxMessageLength` bytes), `PRIORITY`, `SYSLOG_IDENTIFIER`,
    /// the rule's `MESSAGE_ID` and the `LEAFWATCH_*` fields. Fields without a
    /// value (no user, no virtual host, no log path) are left out.
    ///
    /// - Parameter logPath: the file whose line caused the alert; nil for a
    ///   close that time passing caused.
    public func journalFields(logPath: String?, maxMessageLength: Int) -> [JournalField] {
        var fields = [
            JournalField("MESSAGE", JournalText.message(sentence(), maxBytes: maxMessageLength)),
            JournalField("PRIORITY", priority.rawValue),
            JournalField("SYSLOG_IDENTIFIER", Alert.syslogIdentifier),
            JournalField("MESSAGE_ID", rule.messageID),
            JournalField("LEAFWATCH_RULE", rule.rawValue),
            JournalField("LEAFWATCH_EPISODE", phase.rawValue),
            JournalField("LEAFWATCH_EPISODE_ID", episode),
        ]
        if let client { fields.append(JournalField("LEAFWATCH_CLIENT_IP", JournalText.fieldValue(client))) }
        if let user { fields.append(JournalField("LEAFWATCH_USER", JournalText.fieldValue(user))) }
        fields += [
            JournalField("LEAFWATCH_COUNT", count),
            JournalField("LEAFWATCH_THRESHOLD", threshold),
            JournalField("LEAFWATCH_WINDOW_SEC", window),
            JournalField("LEAFWATCH_FIRST_SEEN", CivilTime.iso8601(firstSeen)),
            JournalField("LEAFWATCH_LAST_SEEN", CivilTime.iso8601(lastSeen)),
        ]
        if let logPath { fields.append(JournalField("LEAFWATCH_LOG_PATH", JournalText.fieldValue(logPath, maxBytes: 4096))) }
        if let virtualHost { fields.append(JournalField("LEAFWATCH_VHOST", JournalText.fieldValue(virtualHost))) }
        if let requests { fields.append(JournalField("LEAFWATCH_REQUESTS", requests)) }
        return fields
    }
}

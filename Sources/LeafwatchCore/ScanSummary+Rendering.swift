extension ScanSummary {
    /// Writes the summary as one JSON object and a line break.
    public func write(to writer: inout JSONWriter, files: [String], names: HostNameTable, top: Int? = nil,
                      episodes: EpisodeList? = nil, engine: DetectionEngine? = nil) {
        writer.beginObject()
        writer.key("files")
        writer.beginArray()
        for file in files { writer.value(file) }
        writer.endArray()
        writer.field("lines", lines)
        writer.field("parsed", parsed)
        writer.field("malformed", malformed)
        writer.field("cut", cut)
        writer.field("errorLogLines", errorLogLines)
        writer.field("firstTime", firstTime.map(CivilTime.iso8601))
        writer.field("lastTime", lastTime.map(CivilTime.iso8601))

        writer.key("statusCounts")
        writer.beginObject()
        for (status, count) in statusCounts.enumerated() where count > 0 {
            writer.field(String(status), count)
        }
        writer.endObject()

        writer.key("statusClasses")
        writer.beginObject()
        for (name, count) in statusClasses() {
            writer.field(name, count)
        }
        writer.endObject()

        writer.key("clients")
        writer.beginArray()
        for (address, counts) in rankedClients().prefix(top ?? Int.max) {
            writer.beginObject()
            writer.field("address", names.text(for: address))
            writer.field("requests", Int(counts.requests))
            writer.field("denied", Int(counts.denied))
            writer.field("serverErrors", Int(counts.serverErrors))
            writer.field("errorLogFailures", Int(counts.errorLogFailures))
            writer.endObject()
        }
        writer.endArray()

        writer.key("usersWithFailures")
        writer.beginArray()
        for (name, counts) in usersWithFailures().prefix(top ?? Int.max) {
            Self.writeUser(name, counts, names: names, to: &writer)
        }
        writer.endArray()

        writer.key("users")
        writer.beginArray()
        for (name, counts) in users.sorted(by: { $0.key < $1.key }) {
            Self.writeUser(name, counts, names: names, to: &writer)
        }
        writer.endArray()

        if let episodes {
            writer.key("alerts")
            writer.beginArray()
            for alert in episodes.episodes {
                alert.write(to: &writer)
            }
            writer.endArray()
        }
        if let engine {
            writer.key("detection")
            writer.beginObject()
            writer.field("tooLate", engine.tooLate)
            writer.field("duplicateFailures", engine.duplicateFailures)
            writer.key("evictions")
            writer.beginObject()
            for (rule, count) in engine.evictions.sorted(by: { $0.key < $1.key }) { writer.field(rule.rawValue, count) }
            writer.endObject()
            writer.endObject()
        }
        writer.endObject()
        writer.newline()
    }

    private static func writeUser(_ name: String, _ counts: UserCounts, names: HostNameTable, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("name", name)
        writer.field("failures", counts.failures)
        writer.field("successes", counts.successes)
        writer.key("addresses")
        writer.beginArray()
        for address in counts.addresses.map({ names.text(for: $0) }).sorted() { writer.value(address) }
        writer.endArray()
        writer.endObject()
    }

    /// Counts per status class: `1xx` to `5xx`, and `other` for codes outside 100–599.
    public func statusClasses() -> [(String, Int)] {
        var classes = [Int](repeating: 0, count: 6)
        for (status, count) in statusCounts.enumerated() where count > 0 {
            let index = status / 100
            classes[(1...5).contains(index) ? index - 1 : 5] += count
        }
        return [("1xx", classes[0]), ("2xx", classes[1]), ("3xx", classes[2]),
                ("4xx", classes[3]), ("5xx", classes[4]), ("other", classes[5])]
    }

    /// Renders the summary as text for a terminal, showing at most `top`
    /// clients and users.
    public func text(files: [String], names: HostNameTable, top: Int, episodes: EpisodeList? = nil,
                     engine: DetectionEngine? = nil) -> String {
        var out = ""
        func row(_ columns: [String], widths: [Int]) {
            var line = ""
            for (index, column) in columns.enumerated() {
                let width = widths[index]
                let padding = String(repeating: " ", count: max(0, width - column.count))
                line += index == 0 ? column + padding : "  " + padding + column
            }
            out += "  " + line + "\n"
        }

        out += "Lines: \(lines) read, \(parsed) parsed, \(malformed) malformed"
        if errorLogLines > 0 { out += " (\(lines - errorLogLines) access-log, \(errorLogLines) error-log)" }
        out += cut > 0 ? " (\(cut) longer than the maximum line length)\n" : "\n"
        if let firstTime, let lastTime {
            out += "Time range: \(CivilTime.iso8601(firstTime)) to \(CivilTime.iso8601(lastTime))\n"
        }

        out += "\nStatus classes\n"
        for (name, count) in statusClasses() where count > 0 || name != "other" {
            row([name, String(count)], widths: [6, 10])
        }
        out += "\nStatus codes\n"
        for (status, count) in statusCounts.enumerated() where count > 0 {
            row([String(status), String(count)], widths: [6, 10])
        }

        let ranked = rankedClients()
        out += "\nClients by 401/403, then 5xx, then requests (\(min(top, ranked.count)) of \(ranked.count))\n"
        let clientWidths = [39, 9, 7, 7, 9]
        row(["ADDRESS", "REQUESTS", "401/403", "5XX", "ERRORLOG"], widths: clientWidths)
        for (address, counts) in ranked.prefix(top) {
            row([DisplayText.escaped(names.text(for: address), maxBytes: 64), String(counts.requests), String(counts.denied),
                 String(counts.serverErrors), String(counts.errorLogFailures)], widths: clientWidths)
        }

        let failing = usersWithFailures()
        out += "\nUsers with failures (\(min(top, failing.count)) of \(failing.count))\n"
        if failing.isEmpty {
            out += "  none\n"
        } else {
            let userWidths = [24, 8, 9, 9]
            row(["USER", "FAILURES", "SUCCESSES", "ADDRESSES"], widths: userWidths)
            for (name, counts) in failing.prefix(top) {
                let shown = name.isEmpty ? "\"\"" : DisplayText.escaped(name, maxBytes: 64)
                row([shown, String(counts.failures), String(counts.successes), String(counts.addresses.count)], widths: userWidths)
            }
        }

        if let episodes {
            out += "\nAlerts (\(episodes.episodes.count))\n"
            if episodes.episodes.isEmpty { out += "  none\n" }
            for alert in episodes.episodes {
                out += "  " + alert.sentence(showsPhase: false) + "\n"
            }
        }
        if let engine {
            let evicted = engine.evictions.values.reduce(0, +)
            if engine.tooLate > 0 || evicted > 0 {
                out += "\nDetection: \(engine.tooLate) lines later than the lateness tolerance were not checked; \(evicted) keys were evicted to stay within MaxTrackedKeys=\n"
            }
        }
        return out
    }
}

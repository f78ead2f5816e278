extension Report {
    /// The longest user name, host name or address shown, in input bytes.
    static let maxShownBytes = 64

    /// Renders the report as fixed-width text for a terminal or the
    /// text/plain part of a mail. Names from logs are escaped with
    /// `DisplayText` and cut after `maxShownBytes` bytes.
    public func text() -> String {
        var out = ""
        let zone = LocalTimeZone(identifier: timeZone)
        func local(_ time: Int64) -> String { Self.localTime(time, zone: zone) }

        out += "leafwatch report for \(Self.shown(host))\n"
        out += "Period: \(local(period.lowerBound)) to \(local(period.upperBound)) (\(timeZone))\n"
        out += "Compared with: \(local(previousPeriod.lowerBound)) to \(local(previousPeriod.upperBound))\n"

        out += "\nRequests by status class\n"
        var table = TextTable(["CLASS", "REQUESTS", "PREVIOUS", "CHANGE"], rightAligned: [1, 2, 3])
        for total in statusClasses where total.count > 0 || total.previousCount > 0 || total.name != "other" {
            table.add([total.name, String(total.count), String(total.previousCount), Self.changeText(total)])
        }
        let all = StatusClassTotal(name: "total", count: requests, previousCount: previousRequests)
        table.add([all.name, String(all.count), String(all.previousCount), Self.changeText(all)])
        out += table.text

        out += "\nPer day (* marks the check-in day, \(checkInDay.name))\n"
        table = TextTable(["DATE", "DAY", "REQUESTS", "401/403", "5XX", "USERS LOGGED IN"], rightAligned: [2, 3, 4, 5])
        for day in days {
            let date = day.isCheckInDay ? "* " + day.date : "  " + day.date
            table.add([date, day.weekday.name, String(day.requests), String(day.denied), String(day.serverErrors), String(day.usersLoggedIn)])
        }
        out += table.text
        for day in days where day.isCheckInDay {
            out += "  Check-in day \(day.date): \(day.usersLoggedIn) distinct users logged in, \(day.denied) responses 401/403, \(day.serverErrors) 5xx\n"
        }

        out += Self.clientSection("Top clients by 401/403", topDeniedClients)
        out += Self.clientSection("Top clients by 5xx", topServerErrorClients)
        out += Self.userSection("Users with failed logins", usersWithFailures)
        out += Self.userSection("Users who failed and never logged in (likely locked out)", lockedOutUsers)

        out += "\nNew addresses per user (\(Self.countText(newAddresses)))\n"
        if newAddresses.entries.isEmpty { out += "  none\n" }
        for entry in newAddresses.entries {
            let addresses = entry.addresses.map { "\(Self.shown($0.address)) (\($0.count))" }.joined(separator: ", ")
            let more = entry.addressCount > entry.addresses.count ? ", and \(entry.addressCount - entry.addresses.count) more" : ""
            let newUser = entry.isNewUser ? " [first login]" : ""
            out += "  \(Self.shownUser(entry.user))\(newUser): \(addresses)\(more)\n"
        }

        out += alertsRead ? "\nAlert episodes (\(episodes.count))\n" : "\nAlert episodes: not read (see below)\n"
        if !alertsRead {
            out += "  The journal's alerts are missing from this report.\n"
        } else if episodes.isEmpty {
            out += "  none\n"
        } else {
            table = TextTable(["PRIORITY", "RULE", "KEY", "COUNT", "FIRST", "LAST", "HOST"], rightAligned: [3])
            for episode in episodes {
                let state = episode.isClosed ? "" : " (open)"
                table.add([episode.priority.name, episode.rule.rawValue, Self.shown(episode.key), String(episode.count) + state,
                           local(episode.firstSeen), local(episode.lastSeen), episode.host.map { Self.shown($0) } ?? "-"])
            }
            out += table.text
        }

        out += "\nData gaps\n"
        if dataQuality.gaps.isEmpty { out += "  No span of more than \(TimeSpan.format(seconds: ReportBuilder.minGap)) without log lines.\n" }
        for gap in dataQuality.gaps {
            let length = TimeSpan.format(seconds: gap.span.upperBound - gap.span.lowerBound)
            let reason = gap.reason.map { ": " + Self.shown($0, maxBytes: 200) } ?? ": no log lines"
            out += "  \(local(gap.span.lowerBound)) to \(local(gap.span.upperBound)) (\(length))\(reason)\n"
        }
        out += "  Malformed lines: \(dataQuality.malformedLines), of which cut at the maximum line length: \(dataQuality.cutLines)\n"
        for problem in dataQuality.sourceProblems {
            out += "  Not read: \(Self.shown(problem, maxBytes: 400))\n"
        }
        return out
    }

    private static func clientSection(_ title: String, _ clients: [Client]) -> String {
        let out = "\n\(title)\n"
        guard !clients.isEmpty else { return out + "  none\n" }
        var table = TextTable(["ADDRESS", "REQUESTS", "401/403", "5XX", "ERRORLOG"], rightAligned: [1, 2, 3, 4])
        for client in clients {
            table.add([shown(client.address), String(client.requests), String(client.denied), String(client.serverErrors),
                       String(client.errorLogFailures)])
        }
        return out + table.text
    }

    private static func userSection(_ title: String, _ listing: Listing<User>) -> String {
        let out = "\n\(title) (\(countText(listing)))\n"
        guard !listing.entries.isEmpty else { return out + "  none\n" }
        var table = TextTable(["USER", "FAILURES", "SUCCESSES", "FROM"], rightAligned: [1, 2])
        for user in listing.entries {
            var from = user.failureAddresses.map { "\(shown($0.address)) (\($0.count))" }.joined(separator: ", ")
            if user.failureAddressCount > user.failureAddresses.count {
                from += ", and \(user.failureAddressCount - user.failureAddresses.count) more"
            }
            table.add([shownUser(user.name), String(user.failures), String(user.successes), from])
        }
        return out + table.text
    }

    static func countText<Element>(_ listing: Listing<Element>) -> String {
        listing.total > listing.entries.count ? "\(listing.entries.count) of \(listing.total)" : String(listing.total)
    }

    /// Returns the change against the previous period: `+12 (+4 %)`, `-3 (-100 %)`, `+5 (new)`, `0`.
    static func changeText(_ total: StatusClassTotal) -> String {
        let sign = total.change > 0 ? "+" : ""
        guard total.change != 0 else { return "0" }
        guard let percent = total.changePercent else { return "\(sign)\(total.change) (new)" }
        // A change below 1 % keeps its direction: `+4 (+0 %)`, `-1 (-0 %)`.
        // A negative percentage carries its own sign.
        var percentSign = sign
        if total.change < 0 && percent == 0 { percentSign = "-" }
        return "\(sign)\(total.change) (\(percentSign)\(percent) %)"
    }

    /// Returns client-controlled text escaped by `DisplayText.readable` and
    /// bounded in length. The report is UTF-8, so names in any script stay
    /// readable; control and format characters cannot forge lines or reorder text.
    static func shown(_ text: String, maxBytes: Int = maxShownBytes) -> String {
        DisplayText.readable(text, maxBytes: maxBytes)
    }

    /// Returns a user name like `shown`, with the empty name visible as `""`.
    static func shownUser(_ name: String) -> String {
        name.isEmpty ? "\"\"" : shown(name)
    }

    /// Formats a UTC instant as local time in `zone`, `2026-10-25 02:30 +0100`,
    /// or in UTC with `Z` when the zone is unknown.
    public static func localTime(_ time: Int64, zone: LocalTimeZone?) -> String {
        let offset = zone?.offset(atUTC: time) ?? 0
        let iso = CivilTime.iso8601(time + offset)
        let dateAndMinute = iso.prefix(10) + " " + iso.dropFirst(11).prefix(5)
        guard zone != nil else { return dateAndMinute + "Z" }
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        let hours = String(minutes / 60)
        let rest = String(minutes % 60)
        return dateAndMinute + " " + sign + String(repeating: "0", count: 2 - hours.count) + hours
            + String(repeating: "0", count: 2 - rest.count) + rest
    }
}

/// A table of text columns padded to their widest cell, indented by two spaces.
struct TextTable {
    private var rows: [[String]]
    private let rightAligned: Set<Int>

    init(_ header: [String], rightAligned: Set<Int>) {
        rows = [header]
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    var text: String {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += rightAligned.contains(index) ? padding + cell : cell + padding
            }
            // The last column is left-aligned in most tables, so its padding is dropped.
            while line.last == " " { line.removeLast() }
            out += "  " + line + "\n"
        }
        return out
    }
}

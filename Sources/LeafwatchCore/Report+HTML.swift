extension Report {
    /// Renders the report as one self-contained HTML document (inline CSS,
    /// no scripts, no external resources) for the text/html part of a mail.
    /// Per-day counts are bars drawn as `div` widths, and the check-in day
    /// is highlighted. Every name from logs or the journal goes through
    /// `DisplayText` (bounded, control bytes escaped) and then HTML escaping.
    public func html() -> String {
        let zone = LocalTimeZone(identifier: timeZone)
        func local(_ time: Int64) -> String { Self.escapeHTML(Self.localTime(time, zone: zone)) }
        let title = "leafwatch report for \(Self.htmlShown(host)), \(local(period.lowerBound)) to \(local(period.upperBound))"

        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <style>
        body{font-family:sans-serif;font-size:14px;color:#222;margin:16px;max-width:960px}
        h1{font-size:20px}h2{font-size:16px;margin-top:24px;border-bottom:1px solid #ccc}
        table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;vertical-align:top}
        th{background:#eee;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}p.summary{font-weight:bold}
        tr.checkin td{background:#fff3c4;font-weight:bold}table.days td{white-space:nowrap}
        .bar{height:10px;margin:1px 0}.requests{background:#7aa6d8}.denied{background:#e0a030}.errors{background:#d04040}
        .none{color:#777}.problem{color:#b00000}
        </style></head><body>
        <h1>\(title)</h1>
        <p>Time zone \(Self.escapeHTML(timeZone)); compared with \(local(previousPeriod.lowerBound)) to \(local(previousPeriod.upperBound)).</p>

        """

        out += "<h2>Requests by status class</h2>\n<table><tr><th>Class</th><th>Requests</th><th>Previous</th><th>Change</th></tr>\n"
        let all = StatusClassTotal(name: "total", count: requests, previousCount: previousRequests)
        for total in statusClasses + [all] where total.count > 0 || total.previousCount > 0 || total.name != "other" {
            out += "<tr><td>\(total.name)</td><td class=\"n\">\(total.count)</td><td class=\"n\">\(total.previousCount)</td>"
                + "<td class=\"n\">\(Self.escapeHTML(Self.changeText(total)))</td></tr>\n"
        }
        out += "</table>\n"

        out += dayTable()

        out += Self.htmlClients("Top clients by 401/403", topDeniedClients)
        out += Self.htmlClients("Top clients by 5xx", topServerErrorClients)
        out += Self.htmlUsers("Users with failed logins", usersWithFailures)
        out += Self.htmlUsers("Users who failed and never logged in (likely locked out)", lockedOutUsers)

        out += "<h2>New addresses per user (\(Self.countText(newAddresses)))</h2>\n"
        if newAddresses.entries.isEmpty {
            out += "<p class=\"none\">none</p>\n"
        } else {
            out += "<table><tr><th>User</th><th>New addresses (successful requests)</th></tr>\n"
            for entry in newAddresses.entries {
                var addresses = entry.addresses.map { "\(Self.htmlShown($0.address)) (\($0.count))" }.joined(separator: ", ")
                if entry.addressCount > entry.addresses.count { addresses += ", and \(entry.addressCount - entry.addresses.count) more" }
                let newUser = entry.isNewUser ? " (first login)" : ""
                out += "<tr><td>\(Self.htmlUser(entry.user))\(newUser)</td><td>\(addresses)</td></tr>\n"
            }
            out += "</table>\n"
        }

        out += alertsRead ? "<h2>Alert episodes (\(episodes.count))</h2>\n" : "<h2>Alert episodes: not read</h2>\n"
        if !alertsRead {
            out += "<p class=\"problem\">The journal's alerts are missing from this report; see the data gaps.</p>\n"
        } else if episodes.isEmpty {
            out += "<p class=\"none\">none</p>\n"
        } else {
            out += "<table><tr><th>Priority</th><th>Rule</th><th>Key</th><th>Count</th><th>First</th><th>Last</th><th>Host</th></tr>\n"
            for episode in episodes {
                let state = episode.isClosed ? "" : " (open)"
                out += "<tr><td>\(episode.priority.name)</td><td>\(episode.rule.rawValue)</td><td>\(Self.htmlShown(episode.key))</td>"
                    + "<td class=\"n\">\(episode.count)\(state)</td><td>\(local(episode.firstSeen))</td><td>\(local(episode.lastSeen))</td>"
                    + "<td>\(episode.host.map { Self.htmlShown($0) } ?? "-")</td></tr>\n"
            }
            out += "</table>\n"
        }

        out += "<h2>Data gaps</h2>\n"
        if dataQuality.gaps.isEmpty {
            out += "<p class=\"none\">No span of more than \(TimeSpan.format(seconds: ReportBuilder.minGap)) without log lines.</p>\n"
        } else {
            out += "<table><tr><th>From</th><th>To</th><th>Length</th><th>Cause</th></tr>\n"
            for gap in dataQuality.gaps {
                let reason = gap.reason.map { Self.htmlShown($0, maxBytes: 200) } ?? "no log lines"
                out += "<tr><td>\(local(gap.span.lowerBound))</td><td>\(local(gap.span.upperBound))</td>"
                    + "<td>\(TimeSpan.format(seconds: gap.span.upperBound - gap.span.lowerBound))</td><td>\(reason)</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "<p>Malformed lines: \(dataQuality.malformedLines), of which cut at the maximum line length: \(dataQuality.cutLines).</p>\n"
        for problem in dataQuality.sourceProblems {
            out += "<p class=\"problem\">Not read: \(Self.htmlShown(problem, maxBytes: 400))</p>\n"
        }
        out += "</body></html>\n"
        return out
    }

    /// The per-day table with a bar per count, each scaled to the largest value of its column.
    private func dayTable() -> String {
        let maxRequests = max(1, days.map(\.requests).max() ?? 0)
        let maxDenied = max(1, days.map(\.denied).max() ?? 0)
        let maxErrors = max(1, days.map(\.serverErrors).max() ?? 0)
        func bar(_ value: Int, _ maximum: Int, _ kind: String) -> String {
            // At most 80 px wide, so that the table fits a mail reader's 800 px.
            // A non-zero count gets at least 1 px and stays visible.
            let width = value == 0 ? 0 : max(1, value * 80 / maximum)
            return "<div class=\"bar \(kind)\" style=\"width:\(width)px\"></div>"
        }

        var out = "<h2>Per day</h2>\n<p>The check-in day (\(checkInDay.name)) is highlighted.</p>\n"
        for day in days where day.isCheckInDay {
            out += "<p class=\"summary\">Check-in day \(day.date): \(day.usersLoggedIn) distinct users logged in, "
                + "\(day.denied) responses 401/403, \(day.serverErrors) 5xx.</p>\n"
        }
        out += "<table class=\"days\"><tr><th>Date</th><th>Day</th><th colspan=\"2\">Requests</th><th colspan=\"2\">401/403</th>"
            + "<th colspan=\"2\">5xx</th><th>Users<br>logged in</th></tr>\n"
        for day in days {
            let rowClass = day.isCheckInDay ? " class=\"checkin\"" : ""
            out += "<tr\(rowClass)><td>\(day.date)</td><td>\(day.weekday.name)</td>"
                + "<td class=\"n\">\(day.requests)</td><td>\(bar(day.requests, maxRequests, "requests"))</td>"
                + "<td class=\"n\">\(day.denied)</td><td>\(bar(day.denied, maxDenied, "denied"))</td>"
                + "<td class=\"n\">\(day.serverErrors)</td><td>\(bar(day.serverErrors, maxErrors, "errors"))</td>"
                + "<td class=\"n\">\(day.usersLoggedIn)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    private static func htmlClients(_ title: String, _ clients: [Client]) -> String {
        var out = "<h2>\(title)</h2>\n"
        guard !clients.isEmpty else { return out + "<p class=\"none\">none</p>\n" }
        out += "<table><tr><th>Address</th><th>Requests</th><th>401/403</th><th>5xx</th><th>Error log</th></tr>\n"
        for client in clients {
            out += "<tr><td>\(htmlShown(client.address))</td><td class=\"n\">\(client.requests)</td><td class=\"n\">\(client.denied)</td>"
                + "<td class=\"n\">\(client.serverErrors)</td><td class=\"n\">\(client.errorLogFailures)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    private static func htmlUsers(_ title: String, _ listing: Listing<User>) -> String {
        var out = "<h2>\(title) (\(countText(listing)))</h2>\n"
        guard !listing.entries.isEmpty else { return out + "<p class=\"none\">none</p>\n" }
        out += "<table><tr><th>User</th><th>Failures</th><th>Successes</th><th>From</th></tr>\n"
        for user in listing.entries {
            var from = user.failureAddresses.map { "\(htmlShown($0.address)) (\($0.count))" }.joined(separator: ", ")
            if user.failureAddressCount > user.failureAddresses.count {
                from += ", and \(user.failureAddressCount - user.failureAddresses.count) more"
            }
            out += "<tr><td>\(htmlUser(user.name))</td><td class=\"n\">\(user.failures)</td><td class=\"n\">\(user.successes)</td><td>\(from)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// Returns client-controlled text bounded and escaped like `shown`, then escaped for HTML.
    static func htmlShown(_ text: String, maxBytes: Int = maxShownBytes) -> String {
        escapeHTML(shown(text, maxBytes: maxBytes))
    }

    static func htmlUser(_ name: String) -> String {
        escapeHTML(shownUser(name))
    }

    /// Returns `text` with `&`, `<`, `>`, `"` and `'` replaced by character
    /// references, safe in element content and in quoted attribute values.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

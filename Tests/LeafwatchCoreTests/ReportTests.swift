import Foundation
import Testing
@testable import LeafwatchCore

/// A week in Europe/Berlin from Thursday 2026-10-22 to Wednesday 2026-10-28,
/// across the end of summer time on Sunday 2026-10-25 (03:00 CEST becomes
/// 02:00 CET, so that day has 25 hours). It has an attack on the check-in
/// day, a member who only fails, and the week before for comparison.
private enum ReportWeek {
    static let berlin = LocalTimeZone(identifier: "Europe/Berlin")!
    /// 2026-10-22T00:00+02:00 to 2026-10-29T00:00+01:00.
    static let period = utc(2026, 10, 21, 22, 0, 0)..<utc(2026, 10, 28, 23, 0, 0)
    static let previousPeriod = utc(2026, 10, 14, 22, 0, 0)..<utc(2026, 10, 21, 22, 0, 0)

    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
        CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    static func address(_ text: String) -> ClientAddress {
        ClientAddress.parse(text)!
    }

    static func request(_ status: Int, _ time: Int64, _ client: String, user: String? = nil) -> Observation {
        Observation(kind: .request(status: status), time: time, client: address(client), user: user)
    }

    static var observations: [Observation] {
        var list: [Observation] = []

        // The previous week: alice logs in from her usual address, and two 5xx.
        for index in 0..<10 {
            list.append(request(200, utc(2026, 10, 16, 8, index, 0), "192.0.2.10", user: "alice"))
        }
        list.append(request(500, utc(2026, 10, 17, 10, 0, 0), "192.0.2.50"))
        list.append(request(500, utc(2026, 10, 17, 10, 0, 1), "192.0.2.50"))
        list.append(request(200, utc(2026, 10, 21, 21, 59, 59), "192.0.2.50"))

        // Thursday 22, the check-in day: three members log in, a browser
        // challenge, then five failed logins as `admin` and a 403 from one address.
        list.append(request(200, utc(2026, 10, 22, 8, 0, 0), "192.0.2.10", user: "alice"))
        list.append(request(401, utc(2026, 10, 22, 8, 0, 5), "192.0.2.10"))
        list.append(request(200, utc(2026, 10, 22, 8, 1, 0), "198.51.100.20", user: "bob"))
        list.append(request(302, utc(2026, 10, 22, 8, 2, 0), "192.0.2.30", user: "carol"))
        for index in 0..<5 {
            list.append(request(401, utc(2026, 10, 22, 9, 0, index * 10), "203.0.113.66", user: "admin"))
        }
        list.append(request(403, utc(2026, 10, 22, 9, 1, 0), "203.0.113.66"))

        // Saturday 24: greta fails four times from two addresses and never
        // succeeds. Apache also wrote the first failure to the error log.
        list.append(request(401, utc(2026, 10, 24, 7, 0, 0), "192.0.2.40", user: "greta"))
        list.append(Observation(kind: .authenticationFailure, time: utc(2026, 10, 24, 7, 0, 1), client: address("192.0.2.40"), user: "greta"))
        list.append(request(401, utc(2026, 10, 24, 7, 0, 10), "192.0.2.40", user: "greta"))
        list.append(request(401, utc(2026, 10, 24, 7, 0, 20), "192.0.2.40", user: "greta"))
        list.append(request(401, utc(2026, 10, 24, 7, 30, 0), "198.51.100.41", user: "greta"))

        // Sunday 25: 02:30 CEST, 02:30 CET (the repeated hour) and 23:30 CET.
        list.append(request(500, utc(2026, 10, 25, 0, 30, 0), "192.0.2.50"))
        list.append(request(503, utc(2026, 10, 25, 1, 30, 0), "192.0.2.50"))
        list.append(request(500, utc(2026, 10, 25, 22, 30, 0), "192.0.2.50"))
        // 00:30 CET on Monday 26.
        list.append(request(200, utc(2026, 10, 25, 23, 30, 0), "192.0.2.50"))

        // Wednesday 28, 23:59:59 CET: alice from a new address. The next
        // second is after the period.
        list.append(request(200, utc(2026, 10, 28, 22, 59, 59), "192.0.2.11", user: "alice"))
        list.append(request(200, utc(2026, 10, 28, 23, 0, 0), "192.0.2.11", user: "alice"))
        return list
    }

    /// carol logged in from her address 30 days before the period.
    static var history: UserHistory {
        var history = UserHistory()
        history.recordSuccess(user: "carol", address: address("192.0.2.30"), at: period.lowerBound - 30 * 86_400)
        return history
    }

    static func alert(_ phase: Alert.Phase, count: Int, priority: Priority, first: Int64, last: Int64, episode: Int) -> Alert {
        Alert(rule: .authFailuresPerIP, phase: phase, key: "203.0.113.66", client: "203.0.113.66", priority: priority, count: count,
              threshold: 5, window: 600, firstSeen: first, lastSeen: last, episode: episode)
    }

    static func builder() -> ReportBuilder {
        var builder = ReportBuilder(period: period, previousPeriod: previousPeriod, timeZone: berlin, checkInDay: .thursday,
                                    host: "portal.example.org", history: history)
        let names = HostNameTable()
        for observation in observations {
            builder.add(observation, names: names)
        }
        let attackStart = utc(2026, 10, 22, 9, 0, 0)
        builder.addEpisode(alert(.open, count: 5, priority: .warning, first: attackStart, last: attackStart + 40, episode: 7), host: "web1")
        builder.addEpisode(alert(.update, count: 6, priority: .crit, first: attackStart, last: attackStart + 60, episode: 7), host: "web1")
        builder.addEpisode(alert(.close, count: 6, priority: .crit, first: attackStart, last: attackStart + 60, episode: 7), host: "web1")
        // An episode that ended before the period is left out.
        let earlier = utc(2026, 10, 10, 9, 0, 0)
        builder.addEpisode(alert(.close, count: 9, priority: .warning, first: earlier, last: earlier + 60, episode: 3), host: "web1")
        builder.addMalformedLines(3, cut: 1)
        return builder
    }

    static var report: Report { builder().build() }
}

@Test func reportDaysFollowTimeZone() {
    let days = ReportWeek.report.days
    #expect(days.map(\.date) == ["2026-10-22", "2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27", "2026-10-28"])
    #expect(days.map(\.weekday) == [.thursday, .friday, .saturday, .sunday, .monday, .tuesday, .wednesday])
    #expect(days.map(\.length) == [86_400, 86_400, 86_400, 90_000, 86_400, 86_400, 86_400])
    #expect(days.map(\.isCheckInDay) == [true, false, false, false, false, false, false])
}

@Test func reportCountsPerDay() {
    let days = ReportWeek.report.days
    #expect(days.map(\.requests) == [10, 0, 4, 3, 1, 0, 1])
    #expect(days.map(\.denied) == [7, 0, 4, 0, 0, 0, 0])
    #expect(days.map(\.serverErrors) == [0, 0, 0, 3, 0, 0, 0])
    #expect(days.map(\.usersLoggedIn) == [3, 0, 0, 0, 0, 0, 1])
}

@Test func reportStatusClassesAgainstPreviousPeriod() {
    let report = ReportWeek.report
    let counts = Dictionary(uniqueKeysWithValues: report.statusClasses.map { ($0.name, ($0.count, $0.previousCount)) })
    #expect(counts["2xx"]! == (4, 11))
    #expect(counts["3xx"]! == (1, 0))
    #expect(counts["4xx"]! == (11, 0))
    #expect(counts["5xx"]! == (3, 2))
    #expect(report.requests == 19)
    #expect(report.previousRequests == 13)
    #expect(report.statusClasses.first { $0.name == "5xx" }?.changePercent == 50)
    #expect(report.statusClasses.first { $0.name == "3xx" }?.changePercent == nil)
}

@Test func reportTopClients() {
    let report = ReportWeek.report
    #expect(report.topDeniedClients.map(\.address) == ["203.0.113.66", "192.0.2.40", "192.0.2.10", "198.51.100.41"])
    #expect(report.topDeniedClients.map(\.denied) == [6, 3, 1, 1])
    #expect(report.topDeniedClients[1].errorLogFailures == 1)
    #expect(report.topServerErrorClients.map(\.address) == ["192.0.2.50"])
    #expect(report.topServerErrorClients.first?.serverErrors == 3)
    #expect(report.topServerErrorClients.first?.requests == 4)
}

@Test func reportUsersWithFailures() {
    let users = ReportWeek.report.usersWithFailures
    #expect(users.total == 2)
    #expect(users.entries.map(\.name) == ["admin", "greta"])
    #expect(users.entries.map(\.failures) == [5, 4])
    let greta = users.entries[1]
    #expect(greta.failureAddresses == [Report.AddressCount(address: "192.0.2.40", count: 3),
                                       Report.AddressCount(address: "198.51.100.41", count: 1)])
    #expect(greta.failureAddressCount == 2)
}

@Test func reportLockedOutMember() {
    var builder = ReportWeek.builder()
    // admin succeeds once: no longer locked out; greta stays.
    builder.add(ReportWeek.request(200, ReportWeek.utc(2026, 10, 27, 12, 0, 0), "192.0.2.60", user: "admin"), names: HostNameTable())
    let lockedOut = builder.build().lockedOutUsers
    #expect(lockedOut.entries.map(\.name) == ["greta"])
    #expect(lockedOut.total == 1)
    #expect(lockedOut.entries.first?.successes == 0)
}

@Test func reportNewAddresses() {
    let newAddresses = ReportWeek.report.newAddresses
    #expect(newAddresses.entries.map(\.user) == ["alice", "bob"])
    #expect(newAddresses.entries[0].addresses == [Report.AddressCount(address: "192.0.2.11", count: 1)])
    #expect(newAddresses.entries[0].isNewUser == false)
    #expect(newAddresses.entries[1].addresses.map(\.address) == ["198.51.100.20"])
    #expect(newAddresses.entries[1].isNewUser == true)
}

@Test func reportNewAddressesWithoutHistory() {
    var builder = ReportBuilder(period: ReportWeek.period, previousPeriod: ReportWeek.previousPeriod, timeZone: ReportWeek.berlin,
                                checkInDay: .thursday, host: "portal.example.org")
    for observation in ReportWeek.observations { builder.add(observation, names: HostNameTable()) }
    #expect(builder.build().newAddresses.entries.map(\.user) == ["alice", "bob", "carol"])
}

@Test func reportEpisodesMerge() {
    let episodes = ReportWeek.report.episodes
    #expect(episodes.count == 1)
    let episode = episodes[0]
    #expect(episode.episodeID == 7)
    #expect(episode.count == 6)
    #expect(episode.priority == .crit)
    #expect(episode.isClosed)
    #expect(episode.host == "web1")
    #expect(episode.lastSeen - episode.firstSeen == 60)
}

@Test func reportGapsFromLineTimes() {
    let start = ReportWeek.period.lowerBound
    var builder = ReportBuilder(period: start..<(start + 86_400), previousPeriod: (start - 86_400)..<start,
                                timeZone: .utc, checkInDay: .thursday, host: "h")
    // A line every ten minutes, except from 06:00 to 09:00 after the start.
    for minute in stride(from: 0, to: 24 * 60, by: 10) where !(360..<540).contains(minute) {
        builder.recordLine(at: start + Int64(minute * 60))
    }
    builder.addGap((start + 100)..<(start + 200), reason: "access.log.2.gz could not be read")
    let gaps = builder.build().dataQuality.gaps
    #expect(gaps.count == 2)
    #expect(gaps.first?.reason == "access.log.2.gz could not be read")
    #expect(gaps.last?.span == (start + 350 * 60)..<(start + 540 * 60))
    #expect(gaps.last?.reason == nil)
}

@Test func reportGapsWholeQuietPeriod() {
    let start = ReportWeek.period.lowerBound
    let builder = ReportBuilder(period: start..<(start + 7200), previousPeriod: (start - 7200)..<start,
                                timeZone: .utc, checkInDay: .thursday, host: "h")
    #expect(builder.build().dataQuality.gaps.map(\.span) == [start..<(start + 7200)])
}

@Test func reportHTMLEscapesUserNames() {
    var builder = ReportWeek.builder()
    let hostile = "<script>alert(\"x\")</script>'"
    builder.add(ReportWeek.request(401, ReportWeek.utc(2026, 10, 23, 9, 0, 0), "192.0.2.70", user: hostile), names: HostNameTable())
    builder.add(ReportWeek.request(401, ReportWeek.utc(2026, 10, 23, 9, 0, 1), "192.0.2.70", user: String(repeating: "a", count: 300)),
                names: HostNameTable())
    let html = builder.build().html()
    #expect(!html.contains("<script"))
    #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;"))
    #expect(html.contains(String(repeating: "a", count: 64) + "..."))
    #expect(!html.contains(String(repeating: "a", count: 65)))
}

@Test func reportKeepsNamesInOtherScriptsReadable() {
    var builder = ReportWeek.builder()
    // A right-to-left override would show the rest of the line reversed.
    for name in ["jürgen", "Łucja\u{202E}nimda", "a\nFake: line"] {
        builder.add(ReportWeek.request(401, ReportWeek.utc(2026, 10, 23, 9, 0, 0), "192.0.2.70", user: name), names: HostNameTable())
    }
    let report = builder.build()
    for output in [report.text(), report.html()] {
        #expect(output.contains("jürgen"))
        #expect(output.contains("Łucja\\u{202e}nimda"))
        #expect(output.contains("a\\x0aFake: line"))
        #expect(!output.contains("\u{202E}"))
        #expect(!output.contains("a\nFake"))
    }
}

@Test func reportKeepsEpisodesOfResetStateApart() {
    var builder = ReportWeek.builder()
    let start = ReportWeek.utc(2026, 10, 24, 9, 0, 0)
    // A reset state directory numbers its episodes from 1 again.
    var other = ReportWeek.alert(.close, count: 8, priority: .crit, first: start + 3600, last: start + 3700, episode: 7)
    other.key = "198.51.100.4"
    other.client = "198.51.100.4"
    builder.addEpisode(other, host: "web1")
    let episodes = builder.build().episodes.filter { $0.episodeID == 7 }
    #expect(episodes.map(\.key).sorted() == ["198.51.100.4", "203.0.113.66"])
    #expect(episodes.first { $0.key == "198.51.100.4" }?.count == 8)
    #expect(episodes.first { $0.key == "203.0.113.66" }?.count == 6)
    #expect(episodes.first { $0.key == "203.0.113.66" }?.lastSeen == ReportWeek.utc(2026, 10, 22, 9, 1, 0))
}

@Test func reportWithoutAlertsSaysSo() {
    var builder = ReportWeek.builder()
    builder.markAlertsUnread("the journal's alerts (--no-journal was given)")
    let report = builder.build()
    #expect(!report.alertsRead)
    #expect(report.text().contains("Alert episodes: not read"))
    #expect(!report.text().contains("Alert episodes ("))
    #expect(report.html().contains("<h2>Alert episodes: not read</h2>"))
    #expect(report.json().contains(#""alertsRead":false"#))
    #expect(ReportWeek.builder().build().json().contains(#""alertsRead":true"#))
}

@Test func changeBelowOnePercentKeepsItsSign() {
    #expect(Report.changeText(Report.StatusClassTotal(name: "2xx", count: 618, previousCount: 614)) == "+4 (+0 %)")
    #expect(Report.changeText(Report.StatusClassTotal(name: "2xx", count: 613, previousCount: 614)) == "-1 (-0 %)")
    #expect(Report.changeText(Report.StatusClassTotal(name: "5xx", count: 0, previousCount: 2)) == "-2 (-100 %)")
}

@Test func readableTextCutBetweenScalars() {
    #expect(DisplayText.readable("ab\\c", maxBytes: 10) == "ab\\\\c")
    // "ü" takes two bytes and does not fit in the third.
    #expect(DisplayText.readable("aaü", maxBytes: 3) == "aa...")
    #expect(DisplayText.readable("aaü", maxBytes: 4) == "aaü")
    #expect(DisplayText.readable("\u{7}\u{E000}", maxBytes: 10) == "\\x07\\u{e000}")
    #expect(DisplayText.readable("\u{7F}\u{85}", maxBytes: 10) == "\\x7f\\u{85}")
}

@Test func reportHTMLHighlightsCheckInDay() {
    let html = ReportWeek.report.html()
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<tr class=\"checkin\"><td>2026-10-22</td><td>Thursday</td>"))
    #expect(html.components(separatedBy: "class=\"checkin\"").count == 2)
    #expect(html.contains("<p class=\"summary\">Check-in day 2026-10-22: "))
    #expect(!html.contains("http://") && !html.contains("https://"))
    // The largest request count gets the full 200 px bar.
    #expect(html.contains("<div class=\"bar requests\" style=\"width:80px\"></div>"))
}

@Test func reportTextIsStable() {
    let text = ReportWeek.report.text()
    #expect(text == ReportWeek.report.text())
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines[0] == "leafwatch report for portal.example.org")
    #expect(lines[1] == "Period: 2026-10-22 00:00 +0200 to 2026-10-29 00:00 +0100 (Europe/Berlin)")
    #expect(lines.contains("  * 2026-10-22  Thursday         10        7    0                3"))
    #expect(lines.contains("  Check-in day 2026-10-22: 3 distinct users logged in, 7 responses 401/403, 0 5xx"))
    #expect(lines.contains("  5xx           3         2  +1 (+50 %)"))
    #expect(lines.contains("  Malformed lines: 3, of which cut at the maximum line length: 1"))
}

@Test func reportJSONParses() throws {
    let json = ReportWeek.report.json()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(object["host"] as? String == "portal.example.org")
    #expect(object["requests"] as? Int == 19)
    #expect(object["previousRequests"] as? Int == 13)
    let period = try #require(object["period"] as? [String: Any])
    #expect(period["start"] as? String == "2026-10-21T22:00:00Z")
    #expect(period["end"] as? String == "2026-10-28T23:00:00Z")

    let days = try #require(object["days"] as? [[String: Any]])
    #expect(days.count == 7)
    #expect(days[0]["usersLoggedIn"] as? Int == 3)
    #expect(days[0]["isCheckInDay"] as? Bool == true)
    #expect(days[3]["serverErrors"] as? Int == 3)
    #expect(days[3]["end"] as? String == "2026-10-25T23:00:00Z")

    let lockedOut = try #require(object["lockedOutUsers"] as? [String: Any])
    #expect(lockedOut["total"] as? Int == 2)
    let episodes = try #require(object["episodes"] as? [[String: Any]])
    #expect(episodes.count == 1)
    #expect(episodes.first?["count"] as? Int == 6)
    #expect(episodes.first?["priority"] as? String == "crit")
    let quality = try #require(object["dataQuality"] as? [String: Any])
    #expect(quality["malformedLines"] as? Int == 3)
    #expect(quality["cutLines"] as? Int == 1)
}

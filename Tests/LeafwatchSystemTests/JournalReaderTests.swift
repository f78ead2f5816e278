import Foundation
import Testing
import LeafwatchCore
@testable import LeafwatchSystem

/// Writes alerts with `Journal.send`, asks journald to write them to its
/// files, and returns the current time's period bounds around them.
private enum JournalWriter {
    /// A log path that only this test run uses, so that its entries are
    /// told apart from every other entry in the journal.
    static func uniqueLogPath() -> String {
        "/tmp/leafwatch-reader-test-" + UUID().uuidString.lowercased() + "/access.log"
    }

    static func send(_ alerts: [Alert], logPath: String) throws {
        for alert in alerts {
            try Journal.send(alert.journalFields(logPath: logPath, maxMessageLength: 512))
        }
        try sync()
    }

    /// Runs `journalctl --sync`, which returns once journald has written
    /// every entry it received before to its files.
    static func sync() throws {
        #expect(try runProgram(TestJournal.journalctl, ["--sync"]) == 0)
    }

    static var now: Int64 { Int64(time(nil)) }
}

/// Reads the alerts of `logPath` in `since..<until`, repeating for up to 5
/// seconds until `count` are there.
private func readAlerts(_ source: JournalReader.Source = .local, logPath: String, since: Int64, until: Int64,
                        count: Int) throws -> [JournalAlert] {
    let deadline = Date().addingTimeInterval(5)
    while true {
        let reader = try JournalReader(source: source)
        let found = try reader.alerts(since: since, until: until).filter { $0.logPath == logPath }
        if found.count >= count || Date() > deadline { return found }
        usleep(50_000)
    }
}

private func hostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private let firstSeen: Int64 = 1_796_112_902
private let lastSeen: Int64 = 1_796_113_030

private func episodeAlerts(episode: Int) -> [Alert] {
    [
        Alert(rule: .authFailuresPerIP, phase: .open, key: "203.0.113.9", client: "203.0.113.9",
              priority: .warning, count: 5, threshold: 5, window: 600,
              firstSeen: firstSeen, lastSeen: firstSeen + 20, episode: episode),
        Alert(rule: .authFailuresPerIP, phase: .update, key: "203.0.113.9", client: "203.0.113.9",
              priority: .crit, count: 9, threshold: 5, window: 600,
              firstSeen: firstSeen, lastSeen: firstSeen + 90, episode: episode),
        Alert(rule: .authFailuresPerIP, phase: .close, key: "203.0.113.9", client: "203.0.113.9",
              priority: .crit, count: 12, threshold: 5, window: 600,
              firstSeen: firstSeen, lastSeen: lastSeen, episode: episode),
        Alert(rule: .serverErrorBurst, phase: .open, key: "shop.example", virtualHost: "shop.example",
              priority: .err, count: 60, threshold: 10, window: 300,
              firstSeen: firstSeen, lastSeen: lastSeen, episode: episode + 1, requests: 400),
        Alert(rule: .newClientForUser, phase: .open, key: "greta", client: "2001:db8::7", user: "gre\nta",
              priority: .crit, count: 1, threshold: 1, window: 0,
              firstSeen: lastSeen, lastSeen: lastSeen, episode: episode + 2),
    ]
}

@Suite(.enabled(if: TestJournal.mustRun, "no journald answers on /run/systemd/journal/socket; start /lib/systemd/systemd-journald"),
       .serialized)
struct JournalReaderTests {
    @Test func alertFieldsReadBack() throws {
        try TestJournal.require()
        let logPath = JournalWriter.uniqueLogPath()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let since = JournalWriter.now
        try JournalWriter.send(episodeAlerts(episode: episode), logPath: logPath)
        let until = JournalWriter.now + 1

        let alerts = try readAlerts(logPath: logPath, since: since, until: until, count: 5)
        try #require(alerts.count == 5)
        #expect(alerts.map(\.phase) == [.open, .update, .close, .open, .open])
        #expect(alerts.map(\.rule) == [.authFailuresPerIP, .authFailuresPerIP, .authFailuresPerIP,
                                       .serverErrorBurst, .newClientForUser])

        let close = alerts[2]
        #expect(close.episode == episode)
        #expect(close.client == "203.0.113.9")
        #expect(close.user == nil)
        #expect(close.virtualHost == nil)
        #expect(close.priority == .crit)
        #expect(close.count == 12)
        #expect(close.threshold == 5)
        #expect(close.window == 600)
        #expect(close.firstSeen == firstSeen)
        #expect(close.lastSeen == lastSeen)
        #expect(close.requests == nil)
        #expect(close.logPath == logPath)
        #expect(close.hostname == hostname())
        #expect(close.realtime >= UInt64(since) * 1_000_000)
        #expect(close.realtime < UInt64(until) * 1_000_000)
        #expect(close.key == "203.0.113.9")

        let burst = alerts[3]
        #expect(burst.virtualHost == "shop.example")
        #expect(burst.key == "shop.example")
        #expect(burst.requests == 400)
        #expect(burst.priority == .err)
        #expect(burst.window == 300)

        let newClient = alerts[4]
        // The journal field carries the user with its newline escaped.
        #expect(newClient.user == "gre\\x0ata")
        #expect(newClient.client == "2001:db8::7")
        #expect(newClient.alert.key == "gre\\x0ata")
        #expect(newClient.alert.rule == .newClientForUser)

        let realtimes = alerts.map(\.realtime)
        #expect(realtimes == realtimes.sorted())
    }

    @Test func periodExcludesOtherTimes() throws {
        try TestJournal.require()
        let logPath = JournalWriter.uniqueLogPath()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let since = JournalWriter.now
        try JournalWriter.send(Array(episodeAlerts(episode: episode).prefix(1)), logPath: logPath)
        let until = JournalWriter.now + 1
        try #require(try readAlerts(logPath: logPath, since: since, until: until, count: 1).count == 1)

        let reader = try JournalReader()
        #expect(try reader.alerts(since: since - 3600, until: since).filter { $0.logPath == logPath }.isEmpty)
        #expect(try reader.alerts(since: until, until: until + 3600).filter { $0.logPath == logPath }.isEmpty)
        #expect(try reader.alerts(since: until, until: since).isEmpty)
    }

    @Test func invalidEntrySkipped() throws {
        try TestJournal.require()
        let logPath = JournalWriter.uniqueLogPath()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let since = JournalWriter.now
        var fields = episodeAlerts(episode: episode)[0].journalFields(logPath: logPath, maxMessageLength: 512)
        fields = fields.map { field in
            field.name == "LEAFWATCH_FIRST_SEEN" ? JournalField(field.name, "2026-12-01 08:15:02") : field
        }
        try Journal.send(fields)
        try JournalWriter.send([episodeAlerts(episode: episode)[1]], logPath: logPath)
        let until = JournalWriter.now + 1

        let alerts = try readAlerts(logPath: logPath, since: since, until: until, count: 1)
        #expect(alerts.map(\.phase) == [.update])
        let reader = try JournalReader()
        _ = try reader.alerts(since: since, until: until)
        #expect(reader.skippedEntries >= 1)
    }

    @Test func directoryModeReadsCopiedFiles() throws {
        try TestJournal.require()
        let logPath = JournalWriter.uniqueLogPath()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let since = JournalWriter.now
        try JournalWriter.send(episodeAlerts(episode: episode), logPath: logPath)
        let until = JournalWriter.now + 1
        try #require(try readAlerts(logPath: logPath, since: since, until: until, count: 5).count == 5)

        // The journal files of this machine, copied as systemd-journal-remote
        // would leave them in a collecting host's directory.
        let folder = try TemporaryFolder()
        let machineID = try String(contentsOfFile: "/etc/machine-id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var copied = 0
        for root in ["/var/log/journal/", "/run/log/journal/"] {
            let directory = root + machineID
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where name.hasSuffix(".journal") {
                try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: folder.path + "/\(copied)-" + name)
                copied += 1
            }
        }
        try #require(copied > 0, "no journal files found under /var/log/journal or /run/log/journal")

        let alerts = try JournalReader(source: .directory(folder.path)).alerts(since: since, until: until)
            .filter { $0.logPath == logPath }
        #expect(alerts.map(\.phase) == [.open, .update, .close, .open, .open])
        #expect(alerts.allSatisfy { $0.hostname == hostname() })
        #expect(alerts.first?.episode == episode)
        let episodes = JournalReader.episodes(from: alerts)
        #expect(episodes.count == 3)
        #expect(episodes.first { $0.rule == .authFailuresPerIP }?.phase == .close)
    }

    @Test func missingDirectoryFails() throws {
        let folder = try TemporaryFolder()
        let error = #expect(throws: SystemError.self) {
            _ = try JournalReader(source: .directory(folder.path + "/missing"))
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.path == folder.path + "/missing")
    }

    @Test func emptyDirectoryFails() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("notes.txt", "not a journal\n")
        let error = #expect(throws: SystemError.self) {
            _ = try JournalReader(source: .directory(folder.path))
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("no journal file") == true)
    }
}

@Suite struct JournalEpisodeTests {
    private func entry(_ phase: Alert.Phase, episode: Int, rule: Rule = .authFailuresPerUser, host: String = "web1",
                       count: Int, realtime: UInt64, firstSeen: Int64 = 100) -> JournalAlert {
        let alert = Alert(rule: rule, phase: phase, key: "u\(episode)", user: "u\(episode)", priority: .warning,
                          count: count, threshold: 3, window: 3600, firstSeen: firstSeen, lastSeen: firstSeen + 60,
                          episode: episode)
        return JournalAlert(alert: alert, hostname: host, realtime: realtime)
    }

    @Test func lastAlertOfEpisodeKept() {
        let episodes = JournalReader.episodes(from: [
            entry(.open, episode: 1, count: 3, realtime: 1),
            entry(.update, episode: 1, count: 7, realtime: 2),
        ])
        #expect(episodes.count == 1)
        #expect(episodes.first?.phase == .update)
        #expect(episodes.first?.count == 7)
    }

    @Test func closeWinsOverLaterUpdate() {
        // A restart may replay an update after the close.
        let episodes = JournalReader.episodes(from: [
            entry(.open, episode: 1, count: 3, realtime: 1),
            entry(.close, episode: 1, count: 9, realtime: 2),
            entry(.update, episode: 1, count: 5, realtime: 3),
        ])
        #expect(episodes.map(\.phase) == [.close])
        #expect(episodes.first?.count == 9)
    }

    @Test func sameNumberOnTwoHostsKeptApart() {
        let episodes = JournalReader.episodes(from: [
            entry(.open, episode: 4, host: "web1", count: 3, realtime: 1),
            entry(.open, episode: 4, host: "web2", count: 5, realtime: 2),
        ])
        #expect(episodes.map(\.hostname) == ["web1", "web2"])
    }

    @Test func sameNumberForTwoRulesKeptApart() {
        let episodes = JournalReader.episodes(from: [
            entry(.open, episode: 4, rule: .authFailuresPerUser, count: 3, realtime: 1),
            entry(.open, episode: 4, rule: .newClientForUser, count: 1, realtime: 2),
        ])
        #expect(episodes.map(\.rule) == [.authFailuresPerUser, .newClientForUser])
    }

    @Test func orderedByFirstEvent() {
        let episodes = JournalReader.episodes(from: [
            entry(.open, episode: 1, count: 3, realtime: 1, firstSeen: 500),
            entry(.open, episode: 2, count: 3, realtime: 2, firstSeen: 100),
        ])
        #expect(episodes.map(\.episode) == [2, 1])
    }
}

import Foundation
import Testing
import LeafwatchCore
@testable import LeafwatchSystem

/// The local journal for the tests that write entries and read them back.
/// Without a journald these tests are skipped, unless `$CI` is set: there
/// they run and fail, so that a missing journal cannot pass unnoticed.
enum TestJournal {
    /// True when a process has bound journald's socket. The socket file
    /// stays behind when journald ends, and connecting to it then fails.
    static let isAvailable: Bool = {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Journal.socketPath.utf8) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }()

    static var mustRun: Bool {
        isAvailable || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// Fails the test at once when no journald runs, in place of waiting
    /// for entries that cannot arrive.
    static func require() throws {
        try #require(isAvailable, "no journald answers on \(Journal.socketPath); start /lib/systemd/systemd-journald")
    }

    static let journalctl = ["/usr/bin/journalctl", "/bin/journalctl"].first(where: { (path: String) in access(path, X_OK) == 0 }) ?? "journalctl"

    /// Returns the entries that match every `FIELD=value` in `matches`, as
    /// journalctl's JSON output has them, once there are `count` of them or
    /// 10 seconds have passed. journald stores an entry shortly after it is
    /// sent, so the query repeats until the entries are there.
    static func entries(matching matches: [String], count: Int = 1) throws -> [[String: JournalValue]] {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let found = try query(matches)
            if found.count >= count || Date() > deadline { return found }
            usleep(50_000)
        }
    }

    private static func query(_ matches: [String]) throws -> [[String: JournalValue]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: journalctl)
        process.arguments = ["--output=json", "--all", "--no-pager", "--quiet"] + matches
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        var entries: [[String: JournalValue]] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] ?? [:]
            entries.append(object.compactMapValues(JournalValue.init))
        }
        return entries
    }
}

/// One field value in journalctl's JSON output: a string, or an array of
/// byte values for a value that is not printable UTF-8.
struct JournalValue: Equatable, CustomStringConvertible {
    var bytes: [UInt8]

    init?(_ json: Any) {
        if let text = json as? String {
            bytes = Array(text.utf8)
        } else if let numbers = json as? [Int] {
            bytes = numbers.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            return nil
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
    var description: String { text }
}

/// Returns a random value that marks one test's entries.
private func uniqueMark() -> String {
    UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
}

private func sampleAlert(episode: Int, user: String? = "alice") -> Alert {
    Alert(rule: .newClientForUser, phase: .update, key: user ?? "-", client: "192.0.2.7", user: user,
          virtualHost: "shop.example", priority: .crit, count: 4, threshold: 3, window: 600,
          firstSeen: 1_796_112_902, lastSeen: 1_796_113_030, episode: episode, requests: 250)
}

/// A pipe whose read end collects what an `EventLog` writes as its standard error.
private final class ErrorPipe {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EIO) }
        readEnd = ends[0]
        writeEnd = ends[1]
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Returns the lines written so far.
    func lines() -> [String] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

@Suite struct JournalFieldNameTests {
    @Test(arguments: ["MESSAGE", "A", "LEAFWATCH_CLIENT_IP", "X9_", String(repeating: "N", count: 64)])
    func validNameAccepted(_ name: String) {
        #expect(Journal.isValidFieldName(name))
    }

    @Test(arguments: ["", "_PID", "9LIVES", "message", "LEAFWATCH-RULE", "LEAFWATCH RULE", "NAME=", "ÄRGER",
                      String(repeating: "N", count: 65)])
    func invalidNameRejected(_ name: String) {
        #expect(!Journal.isValidFieldName(name))
    }

    @Test func sendRejectsInvalidName() {
        let error = #expect(throws: SystemError.self) {
            try Journal.send([JournalField("MESSAGE", "x"), JournalField("_PID", "1")])
        }
        #expect(error?.errno == EINVAL)
        #expect(error?.description.contains("'_PID'") == true)
    }

    @Test func sendRejectsEmptyEntry() {
        let error = #expect(throws: SystemError.self) { try Journal.send([]) }
        #expect(error?.errno == EINVAL)
    }

    @Test func sendReportsMissingSocket() throws {
        let folder = try TemporaryFolder()
        let error = #expect(throws: SystemError.self) {
            try Journal.send([JournalField("MESSAGE", "x")], socketPath: folder.path + "/socket")
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.path == folder.path + "/socket")
    }
}

@Suite struct JournalTextTests {
    @Test func controlCharactersEscaped() {
        #expect(JournalText.message("a\nb\tc\u{1b}[31m\u{7f}\u{85}d", maxBytes: 512) == "a\\x0ab\\x09c\\x1b[31m\\x7f\\xc2\\x85d")
    }

    @Test func printableTextUnchanged() {
        let text = "WARNING auth-failures-per-ip: 5 failed logins from 192.0.2.7, user 'j\\x0ar' Grüße ✓"
        #expect(JournalText.message(text, maxBytes: 512) == text)
        #expect(JournalText.fieldValue(text) == text)
    }

    @Test func backslashKeptInFieldValue() {
        #expect(JournalText.fieldValue("DOMAIN\\user") == "DOMAIN\\user")
    }

    @Test func textAtLimitNotCut() {
        let text = String(repeating: "a", count: 64)
        #expect(JournalText.message(text, maxBytes: 64) == text)
    }

    @Test func longTextCutWithMarker() {
        let cut = JournalText.message(String(repeating: "a", count: 65), maxBytes: 64)
        #expect(cut == String(repeating: "a", count: 61) + "...")
        #expect(cut.utf8.count == 64)
    }

    @Test func cutKeepsWholeCharacters() {
        // "é" is two bytes and "✓" three: no cut position may split them.
        for limit in 64...80 {
            let text = String(repeating: "é✓", count: 40)
            let cut = JournalText.message(text, maxBytes: limit)
            #expect(cut.utf8.count <= limit)
            #expect(cut.hasSuffix("..."))
            #expect(String(validating: Array(cut.utf8), as: UTF8.self) != nil)
            #expect(text.hasPrefix(String(cut.dropLast(3))))
            #expect(cut.utf8.count > limit - 3 - 3, "cut more than one character too early at limit \(limit)")
        }
    }

    @Test func cutKeepsWholeEscapes() {
        // Each newline becomes the four bytes \x0a; a cut never leaves part of one.
        let cut = JournalText.message("ab" + String(repeating: "\n", count: 40), maxBytes: 64)
        #expect(cut == "ab" + String(repeating: "\\x0a", count: 14) + "...")
    }

    @Test func statusTextOnOneLine() {
        #expect(ServiceManager.statusText("a\nb\u{0}c") == "a b c")
    }
}

@Suite struct AlertJournalFieldTests {
    @Test func fieldsInContractOrder() {
        let fields = sampleAlert(episode: 17).journalFields(logPath: "/var/log/apache2/access.log", maxMessageLength: 512)
        #expect(fields.map(\.name) == [
            "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "MESSAGE_ID", "LEAFWATCH_RULE", "LEAFWATCH_EPISODE",
            "LEAFWATCH_EPISODE_ID", "LEAFWATCH_CLIENT_IP", "LEAFWATCH_USER", "LEAFWATCH_COUNT", "LEAFWATCH_THRESHOLD",
            "LEAFWATCH_WINDOW_SEC", "LEAFWATCH_FIRST_SEEN", "LEAFWATCH_LAST_SEEN", "LEAFWATCH_LOG_PATH",
            "LEAFWATCH_VHOST", "LEAFWATCH_REQUESTS",
        ])
        #expect(fields.allSatisfy { Journal.isValidFieldName($0.name) })
    }

    @Test func absentValuesLeaveFieldsOut() {
        let alert = Alert(rule: .requestFlood, phase: .close, key: "198.51.100.4", client: "198.51.100.4",
                          priority: .warning, count: 900, threshold: 600, window: 60,
                          firstSeen: 0, lastSeen: 59, episode: 1)
        let names = alert.journalFields(logPath: nil, maxMessageLength: 512).map(\.name)
        #expect(!names.contains("LEAFWATCH_USER"))
        #expect(!names.contains("LEAFWATCH_VHOST"))
        #expect(!names.contains("LEAFWATCH_LOG_PATH"))
        #expect(!names.contains("LEAFWATCH_REQUESTS"))
        #expect(names.contains("LEAFWATCH_CLIENT_IP"))
    }

    @Test func eventFieldsWithLocation() {
        let event = DaemonEvent(.reloadFailed, message: "configuration not reloaded: invalid value 'x' for Threshold=",
                                configFile: "/etc/leafwatch/leafwatch.conf", configLine: 12)
        let fields = Dictionary(uniqueKeysWithValues: event.journalFields(maxMessageLength: 512).map { ($0.name, $0.text) })
        #expect(fields["LEAFWATCH_EVENT"] == "reload-failed")
        #expect(fields["PRIORITY"] == "3")
        #expect(fields["LEAFWATCH_CONFIG_FILE"] == "/etc/leafwatch/leafwatch.conf")
        #expect(fields["LEAFWATCH_CONFIG_LINE"] == "12")
        #expect(fields["LEAFWATCH_LOG_PATH"] == nil)
        #expect(fields["ERRNO"] == nil)
    }
}

@Suite(.enabled(if: TestJournal.mustRun, "no journald answers on /run/systemd/journal/socket; start /lib/systemd/systemd-journald"))
struct JournalRoundTripTests {
    @Test func sendvFieldsReadBack() throws {
        try TestJournal.require()
        let mark = uniqueMark()
        try Journal.send([
            JournalField("MESSAGE", "leafwatch journal test"),
            JournalField("SYSLOG_IDENTIFIER", "leafwatch-test"),
            JournalField("LEAFWATCH_TEST_ID", mark),
            JournalField("LEAFWATCH_TEST_MULTILINE", "first\nsecond\n"),
            JournalField("LEAFWATCH_TEST_BINARY", bytes: [0x00, 0x01, 0xFF, 0x0A, 0x41]),
            JournalField("LEAFWATCH_TEST_EMPTY", ""),
        ])

        let entries = try TestJournal.entries(matching: ["LEAFWATCH_TEST_ID=\(mark)"])
        try #require(entries.count == 1)
        let entry = entries[0]
        #expect(entry["MESSAGE"]?.text == "leafwatch journal test")
        #expect(entry["SYSLOG_IDENTIFIER"]?.text == "leafwatch-test")
        #expect(entry["LEAFWATCH_TEST_MULTILINE"]?.text == "first\nsecond\n")
        #expect(entry["LEAFWATCH_TEST_BINARY"]?.bytes == [0x00, 0x01, 0xFF, 0x0A, 0x41])
        #expect(entry["LEAFWATCH_TEST_EMPTY"]?.text == "")
        #expect(entry["_PID"]?.text == String(getpid()))
    }

    @Test func alertFieldsReadBack() throws {
        try TestJournal.require()
        // The episode number is random, so that this run's entry is the only match.
        let episode = Int.random(in: 1_000_000...999_999_999)
        let user = "ad\u{1b}[31mmin\nroot"
        let alert = sampleAlert(episode: episode, user: user)
        let errors = try ErrorPipe()
        let log = EventLog(target: .journal, maxMessageLength: 512, errorDescriptor: errors.writeEnd)
        log.write(alert, logPath: "/var/log/apache2/shop_access.log")

        let entries = try TestJournal.entries(matching: [
            "_PID=\(getpid())", "MESSAGE_ID=\(Rule.newClientForUser.messageID)", "LEAFWATCH_EPISODE_ID=\(episode)",
        ])
        try #require(entries.count == 1)
        let entry = entries[0]
        #expect(entry["MESSAGE"]?.text == alert.sentence())
        #expect(entry["MESSAGE"]?.text.contains("ad\\x1b[31mmin\\x0aroot") == true)
        #expect(entry["PRIORITY"]?.text == "2")
        #expect(entry["SYSLOG_IDENTIFIER"]?.text == "leafwatch")
        #expect(entry["MESSAGE_ID"]?.text == "ce76e333ceb74e5a9d18ee1ef93f907c")
        #expect(entry["LEAFWATCH_RULE"]?.text == "new-client-for-user")
        #expect(entry["LEAFWATCH_EPISODE"]?.text == "update")
        #expect(entry["LEAFWATCH_EPISODE_ID"]?.text == String(episode))
        #expect(entry["LEAFWATCH_CLIENT_IP"]?.text == "192.0.2.7")
        #expect(entry["LEAFWATCH_USER"]?.text == "ad\\x1b[31mmin\\x0aroot")
        #expect(entry["LEAFWATCH_COUNT"]?.text == "4")
        #expect(entry["LEAFWATCH_THRESHOLD"]?.text == "3")
        #expect(entry["LEAFWATCH_WINDOW_SEC"]?.text == "600")
        #expect(entry["LEAFWATCH_FIRST_SEEN"]?.text == "2026-12-01T08:15:02Z")
        #expect(entry["LEAFWATCH_LAST_SEEN"]?.text == "2026-12-01T08:17:10Z")
        #expect(entry["LEAFWATCH_LOG_PATH"]?.text == "/var/log/apache2/shop_access.log")
        #expect(entry["LEAFWATCH_VHOST"]?.text == "shop.example")
        #expect(entry["LEAFWATCH_REQUESTS"]?.text == "250")
        #expect(errors.lines().isEmpty)

        let ownFields = Set(entry.keys.filter { $0.hasPrefix("LEAFWATCH_") || !$0.hasPrefix("_") })
        #expect(ownFields == [
            "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "MESSAGE_ID", "LEAFWATCH_RULE", "LEAFWATCH_EPISODE",
            "LEAFWATCH_EPISODE_ID", "LEAFWATCH_CLIENT_IP", "LEAFWATCH_USER", "LEAFWATCH_COUNT", "LEAFWATCH_THRESHOLD",
            "LEAFWATCH_WINDOW_SEC", "LEAFWATCH_FIRST_SEEN", "LEAFWATCH_LAST_SEEN", "LEAFWATCH_LOG_PATH",
            "LEAFWATCH_VHOST", "LEAFWATCH_REQUESTS",
        ])
    }

    @Test func alertOptionalFieldsAbsent() throws {
        try TestJournal.require()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let alert = Alert(rule: .authFailuresPerIP, phase: .close, key: "203.0.113.9", client: "203.0.113.9",
                          priority: .warning, count: 12, threshold: 5, window: 600,
                          firstSeen: 1_796_112_902, lastSeen: 1_796_113_030, episode: episode)
        EventLog(target: .journal).write(alert, logPath: nil)

        let entries = try TestJournal.entries(matching: [
            "_PID=\(getpid())", "MESSAGE_ID=\(Rule.authFailuresPerIP.messageID)", "LEAFWATCH_EPISODE_ID=\(episode)",
        ])
        try #require(entries.count == 1)
        let entry = entries[0]
        #expect(entry["LEAFWATCH_EPISODE"]?.text == "close")
        #expect(entry["PRIORITY"]?.text == "4")
        #expect(entry["LEAFWATCH_CLIENT_IP"]?.text == "203.0.113.9")
        #expect(entry["LEAFWATCH_USER"] == nil)
        #expect(entry["LEAFWATCH_LOG_PATH"] == nil)
        #expect(entry["LEAFWATCH_VHOST"] == nil)
        #expect(entry["LEAFWATCH_REQUESTS"] == nil)
    }

    @Test func alertMessageBounded() throws {
        try TestJournal.require()
        let episode = Int.random(in: 1_000_000...999_999_999)
        let user = String(repeating: "é", count: 100)
        let alert = Alert(rule: .authFailuresPerUser, phase: .open, key: user, user: user, priority: .warning,
                          count: 3, threshold: 3, window: 3600, firstSeen: 0, lastSeen: 10, episode: episode)
        EventLog(target: .journal, maxMessageLength: 64).write(alert, logPath: "/var/log/apache2/error.log")

        let entries = try TestJournal.entries(matching: [
            "_PID=\(getpid())", "MESSAGE_ID=\(Rule.authFailuresPerUser.messageID)", "LEAFWATCH_EPISODE_ID=\(episode)",
        ])
        try #require(entries.count == 1)
        let message = try #require(entries[0]["MESSAGE"]?.text)
        #expect(message.utf8.count <= 64)
        #expect(message.hasSuffix("..."))
        #expect(alert.sentence().hasPrefix(String(message.dropLast(3))))
        // The user field keeps the whole name; only MESSAGE is bounded by MaxMessageLength=.
        #expect(entries[0]["LEAFWATCH_USER"]?.text == user)
    }

    @Test func daemonEventFieldsReadBack() throws {
        try TestJournal.require()
        let path = "/tmp/leafwatch-test-\(uniqueMark())/access.log"
        EventLog(target: .journal).write(DaemonEvent(.fileUnreadable, message: "failed to open '\(path)': Permission denied",
                                                     path: path, errno: EACCES))

        let entries = try TestJournal.entries(matching: ["_PID=\(getpid())", "LEAFWATCH_LOG_PATH=\(path)"])
        try #require(entries.count == 1)
        let entry = entries[0]
        #expect(entry["MESSAGE"]?.text == "failed to open '\(path)': Permission denied")
        #expect(entry["PRIORITY"]?.text == "3")
        #expect(entry["SYSLOG_IDENTIFIER"]?.text == "leafwatch")
        #expect(entry["MESSAGE_ID"]?.text == "83a97df668564b8dba1d4aacc0723dbc")
        #expect(entry["LEAFWATCH_EVENT"]?.text == "file-unreadable")
        #expect(entry["ERRNO"]?.text == "13")
        #expect(entry["LEAFWATCH_CONFIG_FILE"] == nil)
    }

    @Test func journalAfterOutageReported() throws {
        try TestJournal.require()
        // The journal counts as missing while the socket path does not exist;
        // once it exists, entries go to the real journal again.
        let folder = try TemporaryFolder()
        let socket = folder.path + "/socket"
        let errors = try ErrorPipe()
        let log = EventLog(target: .journal, errorDescriptor: errors.writeEnd, journalSocket: socket)
        let mark = uniqueMark()
        log.write(DaemonEvent(.stateReset, message: "first \(mark)"))
        _ = try folder.write("socket", "")
        log.write(DaemonEvent(.stateReset, message: "second \(mark)"))

        let lines = errors.lines()
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("leafwatch: failed to send journal entry to '\(socket)': No such file or directory") == true)
        #expect(lines.dropFirst().first == "leafwatch: first \(mark)")
        #expect(lines.last == "leafwatch: the journal accepts entries again, after 1 entry went to standard error")
        let entries = try TestJournal.entries(matching: ["_PID=\(getpid())", "MESSAGE=second \(mark)"])
        #expect(entries.count == 1)
    }
}

@Suite struct EventLogTests {
    @Test func stderrTargetWritesLines() throws {
        let errors = try ErrorPipe()
        let log = EventLog(target: .stderr, errorDescriptor: errors.writeEnd)
        let alert = sampleAlert(episode: 3, user: "bob\u{1b}]0;x")
        log.write(alert, logPath: "/var/log/apache2/access.log")
        log.write(DaemonEvent(.fileMissing, message: "no file matches /var/log/apache2/other.log yet",
                              path: "/var/log/apache2/other.log"))

        let lines = errors.lines()
        #expect(lines == [
            "leafwatch: " + alert.sentence(),
            "leafwatch: no file matches /var/log/apache2/other.log yet",
        ])
        #expect(lines[0].contains("bob\\x1b]0;x"))
    }

    @Test func stderrLineBounded() throws {
        let errors = try ErrorPipe()
        let log = EventLog(target: .stderr, maxMessageLength: 100, errorDescriptor: errors.writeEnd)
        log.write(DaemonEvent(.stateReset, message: String(repeating: "x", count: 300) + "\nforged line"))
        let lines = errors.lines()
        #expect(lines == ["leafwatch: " + String(repeating: "x", count: 97) + "..."])
    }

    @Test func reloadChangesMessageLimit() throws {
        let errors = try ErrorPipe()
        let log = EventLog(target: .stderr, maxMessageLength: 512, errorDescriptor: errors.writeEnd)
        log.maxMessageLength = 64
        #expect(log.maxMessageLength == 64)
        log.write(DaemonEvent(.started, message: String(repeating: "y", count: 100)))
        #expect(errors.lines() == ["leafwatch: " + String(repeating: "y", count: 61) + "..."])
    }

    @Test func missingJournalFallsBackOnce() throws {
        let folder = try TemporaryFolder()
        let socket = folder.path + "/missing/socket"
        let errors = try ErrorPipe()
        let log = EventLog(target: .journal, errorDescriptor: errors.writeEnd, journalSocket: socket)
        let alert = sampleAlert(episode: 5)
        log.write(alert, logPath: nil)
        log.write(DaemonEvent(.fileDeleted, message: "/var/log/apache2/access.log.1 was deleted", path: "/var/log/apache2/access.log.1"))
        log.write(alert, logPath: nil)

        let lines = errors.lines()
        #expect(lines == [
            "leafwatch: failed to send journal entry to '\(socket)': No such file or directory, "
                + "writing entries to standard error until the journal accepts them again",
            "leafwatch: " + alert.sentence(),
            "leafwatch: /var/log/apache2/access.log.1 was deleted",
            "leafwatch: " + alert.sentence(),
        ])
    }

    @Test func automaticTargetChoice() {
        #expect(EventLog.automaticTarget(stderrIsJournalStream: true, stderrIsTerminal: false, journalSocketExists: true) == .journal)
        #expect(EventLog.automaticTarget(stderrIsJournalStream: true, stderrIsTerminal: true, journalSocketExists: false) == .journal)
        #expect(EventLog.automaticTarget(stderrIsJournalStream: false, stderrIsTerminal: true, journalSocketExists: true) == .stderr)
        #expect(EventLog.automaticTarget(stderrIsJournalStream: false, stderrIsTerminal: false, journalSocketExists: true) == .journal)
        #expect(EventLog.automaticTarget(stderrIsJournalStream: false, stderrIsTerminal: false, journalSocketExists: false) == .stderr)
    }

    @Test func explicitTargetKept() {
        #expect(EventLog.resolve(.journal, journalSocket: "/nonexistent/socket") == .journal)
        #expect(EventLog.resolve(.stderr) == .stderr)
    }

    @Test func automaticTargetForPipe() throws {
        let errors = try ErrorPipe()
        #expect(EventLog.resolve(.auto, errorDescriptor: errors.writeEnd, journalSocket: "/nonexistent/socket") == .stderr)
        let folder = try TemporaryFolder()
        let socket = try folder.write("socket", "")
        #expect(EventLog.resolve(.auto, errorDescriptor: errors.writeEnd, journalSocket: socket) == .journal)
    }

    @Test func journalStreamMatchesDescriptor() throws {
        let errors = try ErrorPipe()
        var status = stat()
        try #require(fstat(errors.writeEnd, &status) == 0)
        let identity = "\(status.st_dev):\(status.st_ino)"
        #expect(EventLog.isJournalStream(errors.writeEnd, journalStream: identity))
        #expect(!EventLog.isJournalStream(errors.writeEnd, journalStream: "\(status.st_dev):\(status.st_ino + 1)"))
        #expect(!EventLog.isJournalStream(errors.writeEnd, journalStream: nil))
        #expect(!EventLog.isJournalStream(errors.readEnd + 1000, journalStream: identity))
    }

    @Test func journalStreamParsed() {
        #expect(EventLog.parseJournalStream("8:12345")! == (8, 12345))
        #expect(EventLog.parseJournalStream("8:") == nil)
        #expect(EventLog.parseJournalStream("8") == nil)
        #expect(EventLog.parseJournalStream("8:1:2") == nil)
        #expect(EventLog.parseJournalStream("x:1") == nil)
    }

    @Test func journalStreamGetsPriorityPrefix() throws {
        // A journald stream on standard error reads `<N>` as the line's priority;
        // JOURNAL_STREAM naming the pipe makes the log treat it as one.
        let errors = try ErrorPipe()
        var status = stat()
        try #require(fstat(errors.writeEnd, &status) == 0)
        let log = EventLog(target: .stderr, errorDescriptor: errors.writeEnd,
                           journalStream: "\(status.st_dev):\(status.st_ino)")
        log.write(DaemonEvent(.stopping, message: "Stopping."))
        #expect(errors.lines() == ["<5>leafwatch: Stopping."])
    }
}

@Suite struct CatalogTests {
    /// The catalog's entries: MESSAGE_ID and the header lines of each.
    static func catalogEntries() throws -> [(id: String, headers: [String])] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("systemd/leafwatch.catalog"), encoding: .utf8)
        var entries: [(id: String, headers: [String])] = []
        var inHeader = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- ") {
                entries.append((String(line.dropFirst(3)), []))
                inHeader = true
            } else if line.isEmpty {
                inHeader = false
            } else if inHeader {
                entries[entries.count - 1].headers.append(String(line))
            }
        }
        return entries
    }

    @Test func everyMessageIDHasOneEntry() throws {
        let ids = try Self.catalogEntries().map(\.id)
        let expected = Rule.allCases.map(\.messageID) + DaemonEvent.Kind.allCases.map(\.messageID)
        for id in expected {
            #expect(ids.filter { $0 == id }.count == 1, "MESSAGE_ID \(id) needs exactly one catalog entry")
        }
        #expect(Set(ids) == Set(expected), "the catalog has entries for unknown MESSAGE_IDs")
        #expect(Set(expected).count == expected.count, "two kinds share a MESSAGE_ID")
    }

    @Test func entriesHaveSubjectAndDefiner() throws {
        for entry in try Self.catalogEntries() {
            #expect(entry.headers.contains { $0.hasPrefix("Subject: ") }, "entry \(entry.id) has no Subject:")
            #expect(entry.headers.contains("Defined-By: leafwatch"), "entry \(entry.id) has no Defined-By: leafwatch")
        }
    }

    @Test func messageIDsAreLowerCaseHex() {
        let ids = Rule.allCases.map(\.messageID) + DaemonEvent.Kind.allCases.map(\.messageID)
        for id in ids {
            #expect(id.utf8.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) }, "invalid MESSAGE_ID \(id)")
        }
    }
}

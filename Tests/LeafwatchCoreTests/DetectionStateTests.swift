import Foundation
import Testing
@testable import LeafwatchCore

// MARK: - Traffic stream

private let t0: Int64 = 1_773_136_800  // 2026-03-10T10:00:00Z

private func address(_ text: String) -> ClientAddress {
    guard let parsed = ClientAddress.parse(text) else { fatalError("invalid test address \(text)") }
    return parsed
}

/// One input of the engine, in arrival order.
private enum Step {
    case observe(Observation)
    /// Event time moved forward by the daemon's clock while logs are quiet.
    case advance(Int64)
}

/// Every rule on, with small thresholds and few tracked keys, so that a
/// short stream opens, updates, evicts and closes episodes of every rule.
private let streamSettings: DetectionSettings = {
    var settings = DetectionSettings()
    settings.learningPeriod = 3600
    settings.requestFlood.threshold = 40
    settings.episodes.maxTrackedKeys = 8
    return settings
}()

/// A deterministic stream: background requests, logins, attacks from IPv4,
/// IPv6 and host-name clients, failures in both logs, a 5xx burst, a flood,
/// late and too-late lines, clock advances, and a second wave after a quiet
/// period. Host names are interned in `names`.
private struct TrafficStream {
    var steps: [Step] = []
    var names = HostNameTable()
    private var arrivals: [(arrival: Int64, step: Step)] = []

    init() {
        var random = SplitMix(state: 42)
        let crawler = hostName("crawler.example.com")
        let regulars = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "2001:db8:1::7"].map(address) + [hostName("gw.example.net")]

        // Background requests every 5 s over 2.5 hours, with the clock advancing every 5 minutes.
        for second in stride(from: Int64(0), to: 9000, by: 5) {
            let client = regulars[Int(random.next() % UInt64(regulars.count))]
            let status = [200, 200, 200, 304, 404][Int(random.next() % 5)]
            let host = random.next() % 2 == 0 ? "www.example.org" : "shop.example.org"
            add(Observation(kind: .request(status: status), time: t0 + second, client: client, virtualHost: host))
            if second % 300 == 0 { arrivals.append((t0 + second + 1, .advance(t0 + second + 1))) }
        }

        // Users log in from home. bob's second address is in the same /64.
        for second in stride(from: Int64(0), to: 9000, by: 600) {
            add(success("alice", from: "198.51.100.10", at: second))
        }
        add(success("bob", from: "2001:db8:5:6::1", at: 0))
        add(success("bob", from: "2001:db8:5:6:aaaa::2", at: 1800))

        // Attack A: failed logins for three users, each also in the error log a second later.
        for (number, second) in stride(from: Int64(1000), through: 1400, by: 20).enumerated() {
            let user = ["carol", "dave", "erin"][number % 3]
            add(failure(user, from: "203.0.113.7", at: second))
            let errorLine = Observation(kind: .authenticationFailure, time: t0 + second + 1, client: address("203.0.113.7"), user: user)
            add(errorLine, delay: number % 5 == 0 ? 150 : 0)
        }
        // Attack B: denials from a second address while attack A goes on.
        for second in stride(from: Int64(1100), through: 1200, by: 10) { add(denial("203.0.113.8", at: second)) }
        // Late lines of attack A, and one later than the lateness tolerance.
        add(failure("carol", from: "203.0.113.7", at: 1405), delay: 200)
        add(failure("carol", from: "203.0.113.7", at: 1406), delay: 1000)

        // alice forgets her password at home, then someone else tries it.
        for second: Int64 in [1500, 1510, 1520, 1530] { add(failure("alice", from: "198.51.100.10", at: second)) }
        add(failure("alice", from: "203.0.113.99", at: 1540))

        // frank's password is tried from an unknown address, then he mistypes it at home:
        // the episode opens at the severest priority in its window.
        add(success("frank", from: "198.51.100.20", at: 1600))
        add(failure("frank", from: "203.0.113.60", at: 1700))
        for second: Int64 in [1710, 1720] { add(failure("frank", from: "198.51.100.20", at: second)) }

        // A 5xx burst on one virtual host.
        for second in Int64(2000)..<2025 {
            add(Observation(kind: .request(status: 500), time: t0 + second, client: address("198.51.100.2"), virtualHost: "shop.example.org"))
        }

        // A crawler known by host name floods, then slows down.
        for second in Int64(2500)..<2560 { add(Observation(kind: .request(status: 200), time: t0 + second, client: crawler)) }
        for second in stride(from: Int64(2560), to: 2700, by: 2) {
            add(Observation(kind: .request(status: 200), time: t0 + second, client: crawler))
        }

        // Denials from an IPv6 client, half of them in both logs.
        for (number, second) in stride(from: Int64(3000), through: 3100, by: 10).enumerated() {
            add(Observation(kind: .request(status: 403), time: t0 + second, client: address("2001:db8:bad::1")))
            if number % 2 == 0 {
                add(Observation(kind: .authorizationDenied, time: t0 + second + 2, client: address("2001:db8:bad::1")))
            }
        }

        // One virtual host fails 7 of its 61 requests: the ratio rule opens for it alone.
        for second in Int64(6000)...6060 {
            let status = second % 9 == 0 ? 503 : 200
            add(Observation(kind: .request(status: status), time: t0 + second, client: address("198.51.100.3"), virtualHost: "api.example.org"))
        }

        // bob logs in from a new address after the learning period.
        for second: Int64 in [4000, 4030, 4100] { add(success("bob", from: "203.0.113.50", at: second)) }

        // An attacker opens an episode, then many addresses push it out of the tracked keys.
        for second in Int64(4990)..<4995 { add(denial("192.0.2.100", at: second)) }
        for number in 1...12 {
            add(denial("192.0.2.\(number)", at: 5000 + Int64(number) * 3))
            add(denial("192.0.2.\(number)", at: 5001 + Int64(number) * 3))
        }

        // After a quiet hour, attack A comes back.
        for second in stride(from: Int64(8500), through: 8560, by: 10) { add(failure("carol", from: "203.0.113.7", at: second)) }

        steps = arrivals.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }.map(\.element.step)
    }

    private mutating func hostName(_ name: String) -> ClientAddress {
        Array(name.utf8).withUnsafeBufferPointer { names.address(for: $0) }
    }

    private mutating func add(_ observation: Observation, delay: Int64 = 0) {
        arrivals.append((observation.time + delay, .observe(observation)))
    }

    private func success(_ user: String, from client: String, at second: Int64) -> Observation {
        Observation(kind: .request(status: 200), time: t0 + second, client: address(client), user: user, virtualHost: "www.example.org")
    }

    private func failure(_ user: String, from client: String, at second: Int64) -> Observation {
        Observation(kind: .request(status: 401), time: t0 + second, client: address(client), user: user, virtualHost: "www.example.org")
    }

    private func denial(_ client: String, at second: Int64) -> Observation {
        Observation(kind: .request(status: 403), time: t0 + second, client: address(client), virtualHost: "www.example.org")
    }
}

/// The result of running a stream through an engine to its end.
private struct RunResult {
    var alerts: [Alert]
    var engine: DetectionEngine
    /// Open episodes after each step.
    var openEpisodes: [Int]
}

/// Runs the stream and calls `interrupt` before each step whose index is
/// in `cuts`, which may replace the engine and the host-name table.
private func run(
    _ stream: TrafficStream, settings: DetectionSettings = streamSettings, cuts: Set<Int> = [],
    interrupt: (inout DetectionEngine, inout HostNameTable, inout [Alert]) throws -> Void = { _, _, _ in }
) throws -> RunResult {
    var engine = DetectionEngine(settings: settings)
    var names = stream.names
    var alerts: [Alert] = []
    var openEpisodes: [Int] = []
    for (index, step) in stream.steps.enumerated() {
        if cuts.contains(index) { try interrupt(&engine, &names, &alerts) }
        switch step {
        case .observe(let observation): engine.process(observation, names: names, alerts: &alerts)
        case .advance(let time): engine.advance(to: time, alerts: &alerts)
        }
        openEpisodes.append(engine.openEpisodeCount)
    }
    engine.finish(alerts: &alerts)
    return RunResult(alerts: alerts, engine: engine, openEpisodes: openEpisodes)
}

/// Saves engine and table as JSON and reads them back, as a daemon restart does.
private func restart(_ engine: inout DetectionEngine, _ names: inout HostNameTable, _ alerts: inout [Alert]) throws {
    let state = try JSONEncoder().encode(engine)
    let table = try JSONEncoder().encode(names)
    engine = try JSONDecoder().decode(DetectionEngine.self, from: state)
    names = try JSONDecoder().decode(HostNameTable.self, from: table)
}

/// Detection state survives a save and restore anywhere in a stream, and
/// new settings replace only the detectors they change.
@Suite struct DetectionStateTests {
    private let stream = TrafficStream()

    /// Checks that the stream exercises what the round-trip tests rely on.
    @Test func streamCoversEveryRule() throws {
        let result = try run(stream)
        for rule in Rule.allCases {
            #expect(result.alerts.contains { $0.rule == rule && $0.phase == .open }, "no episode of \(rule)")
        }
        #expect(result.alerts.contains { $0.phase == .update })
        #expect(result.alerts.contains { $0.key == "crawler.example.com" })
        #expect(result.alerts.contains { $0.key == "frank" && $0.phase == .open && $0.priority == .crit })
        #expect(result.alerts.contains { $0.key == "api.example.org" && $0.requests != nil })
        #expect(result.engine.tooLate > 0)
        #expect(result.engine.duplicateFailures > 0)
        #expect(result.engine.evictions[.authFailuresPerIP, default: 0] > 0)
        #expect(result.engine.evictions[.requestFlood, default: 0] > 0)
        #expect(result.openEpisodes.max() ?? 0 >= 3)
    }

    @Test func restartInMiddleOfEpisodes() throws {
        let uninterrupted = try run(stream)
        // The step after which the most episodes are open, and a few others.
        let busiest = uninterrupted.openEpisodes.indices.max { uninterrupted.openEpisodes[$0] < uninterrupted.openEpisodes[$1] }!
        #expect(uninterrupted.openEpisodes[busiest] >= 3)
        let count = stream.steps.count
        for cut in [busiest + 1, count / 4, count / 2, count * 3 / 4] {
            let restarted = try run(stream, cuts: [cut], interrupt: restart)
            #expect(restarted.alerts == uninterrupted.alerts, "cut before step \(cut)")
        }
    }

    @Test func restartEveryFewSteps() throws {
        let uninterrupted = try run(stream)
        let restarted = try run(stream, cuts: Set(stride(from: 1, to: stream.steps.count, by: 5)), interrupt: restart)
        #expect(restarted.alerts == uninterrupted.alerts)
        #expect(restarted.engine.tooLate == uninterrupted.engine.tooLate)
        #expect(restarted.engine.duplicateFailures == uninterrupted.engine.duplicateFailures)
        #expect(restarted.engine.evictions == uninterrupted.engine.evictions)
        #expect(restarted.engine.watermark == uninterrupted.engine.watermark)
    }

    @Test func restartKeepsLatenessCheck() throws {
        var engine = DetectionEngine(settings: streamSettings)
        var names = HostNameTable()
        var alerts: [Alert] = []
        engine.process(Observation(kind: .request(status: 200), time: t0 + 1000, client: address("198.51.100.1")),
                       names: names, alerts: &alerts)
        try restart(&engine, &names, &alerts)
        #expect(engine.watermark == t0 + 1000)

        // 301 s behind the watermark is beyond the 300 s lateness tolerance.
        engine.process(Observation(kind: .request(status: 200), time: t0 + 699, client: address("198.51.100.1")),
                       names: names, alerts: &alerts)
        #expect(engine.tooLate == 1)
    }

    @Test func freshEngineRoundTrips() throws {
        // Watermark and last close check are Int64.min before the first observation.
        var engine = try JSONDecoder().decode(DetectionEngine.self, from: JSONEncoder().encode(DetectionEngine(settings: streamSettings)))
        #expect(engine.watermark == .min)
        #expect(engine.settings == streamSettings)
        var alerts: [Alert] = []
        for second: Int64 in 0..<5 {
            engine.process(Observation(kind: .request(status: 403), time: t0 + second, client: address("203.0.113.7")),
                           names: HostNameTable(), alerts: &alerts)
        }
        #expect(alerts.map(\.episode) == [1])
    }

    @Test func unchangedSettingsKeepState() throws {
        let uninterrupted = try run(stream)
        var reloadAlerts: [Alert] = []
        let reloaded = try run(stream, cuts: Set(stride(from: 1, to: stream.steps.count, by: 97))) { engine, _, alerts in
            let before = alerts.count
            engine.reconfigure(streamSettings, alerts: &alerts)
            reloadAlerts += alerts[before...]
        }
        #expect(reloadAlerts.isEmpty)
        #expect(reloaded.alerts == uninterrupted.alerts)
    }
}

// MARK: - Corrupt state

extension DetectionStateTests {
    /// One way saved state can be inconsistent.
    enum Corruption: String, CaseIterable, CustomTestStringConvertible {
        case truncatedDocument, unknownFormat, unsortedSeconds, negativeCount, secondsWithoutCount, invalidPackedText
        case repeatedKey, columnLengthMismatch, openKeyOutOfRange, episodeNumberAboveLast, repeatedEpisodeNumber
        case invalidPriority, prefixLengthOutOfRange, stringLengthMismatch, watermarkOutOfRange, unknownAddressKind
        case tooManyKeys

        var testDescription: String { rawValue }
    }

    /// Encoded state from the middle of attacks A and B, with two open
    /// per-IP episodes and several keys per detector.
    private func savedState() throws -> Data {
        var saved: Data? = nil
        let cut = try #require(stream.steps.firstIndex {
            if case .observe(let observation) = $0 { observation.time >= t0 + 1300 } else { false }
        })
        _ = try run(stream, cuts: [cut]) { engine, _, _ in
            #expect(engine.perIP.openEpisodes.count == 2)
            saved = try JSONEncoder().encode(engine)
        }
        return try #require(saved)
    }

    private static func integers(_ text: Any?) throws -> [Int64] {
        let text = try #require(text as? String)
        return text.split(separator: " ").map { Int64($0)! }
    }

    private static func text(_ values: [Int64]) -> String {
        values.map(String.init).joined(separator: " ")
    }

    /// Returns `state` changed by `corruption`.
    private static func corrupt(_ state: Data, _ corruption: Corruption) throws -> Data {
        if corruption == .truncatedDocument { return state.prefix(state.count / 2) }
        var object = try #require(try JSONSerialization.jsonObject(with: state) as? [String: Any])
        var perIP = try #require(object["authFailuresPerIP"] as? [String: Any])
        var settings = try #require(object["settings"] as? [String: Any])
        let counts = try integers(perIP["secondCounts"])
        var seconds = try integers(perIP["seconds"])
        // The first key with at least two kept seconds.
        let keyIndex = try #require(counts.firstIndex { $0 >= 2 })
        let firstPair = Int(counts[..<keyIndex].reduce(0, +)) * 2

        switch corruption {
        case .truncatedDocument:
            break
        case .unknownFormat:
            object["format"] = 2
        case .unsortedSeconds:
            seconds.swapAt(firstPair, firstPair + 2)
            perIP["seconds"] = text(seconds)
        case .negativeCount:
            seconds[firstPair + 1] = -1
            perIP["seconds"] = text(seconds)
        case .secondsWithoutCount:
            perIP["seconds"] = text(seconds.dropLast())
        case .invalidPackedText:
            perIP["seconds"] = "1 2x"
        case .repeatedKey:
            var column = try #require(perIP["keys"] as? [String: Any])
            var fields = try integers(column["fields"])
            try #require(fields.count >= 6)
            fields.replaceSubrange(3..<6, with: fields[0..<3])
            column["fields"] = text(fields)
            perIP["keys"] = column
        case .columnLengthMismatch:
            perIP["severest"] = text(try integers(perIP["severest"]).dropLast())
        case .openKeyOutOfRange:
            var openKeys = try integers(perIP["openKeys"])
            try #require(!openKeys.isEmpty)
            openKeys[0] = Int64(counts.count)
            perIP["openKeys"] = text(openKeys)
        case .episodeNumberAboveLast:
            object["lastEpisode"] = 0
        case .repeatedEpisodeNumber:
            // The second open episode takes the number of the first.
            var episodes = try #require(perIP["openEpisodes"] as? [String: Any])
            var numbers = try integers(episodes["numbers"])
            try #require(numbers.count == 14)
            numbers[7] = numbers[0]
            episodes["numbers"] = text(numbers)
            perIP["openEpisodes"] = episodes
        case .invalidPriority:
            var detector = try #require(settings["authFailuresPerIP"] as? [String: Any])
            detector["priority"] = 9
            settings["authFailuresPerIP"] = detector
        case .prefixLengthOutOfRange:
            settings["ipv6PrefixLength"] = 200
        case .stringLengthMismatch:
            var history = try #require(object["history"] as? [String: Any])
            var users = try #require(history["users"] as? [String: Any])
            let lengths = try integers(users["lengths"])
            users["lengths"] = text(lengths.map { $0 + 1 })
            history["users"] = users
            object["history"] = history
        case .watermarkOutOfRange:
            object["watermark"] = Int64.max
        case .unknownAddressKind:
            var column = try #require(perIP["keys"] as? [String: Any])
            var fields = try integers(column["fields"])
            fields[0] = 7
            column["fields"] = text(fields)
            perIP["keys"] = column
        case .tooManyKeys:
            var episodes = try #require(settings["episodes"] as? [String: Any])
            episodes["maxTrackedKeys"] = 1
            settings["episodes"] = episodes
        }
        object["authFailuresPerIP"] = perIP
        object["settings"] = settings
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func unchangedStateDecodes() throws {
        let state = try savedState()
        let object = try JSONSerialization.jsonObject(with: state)
        let rewritten = try JSONSerialization.data(withJSONObject: object)
        let engine = try JSONDecoder().decode(DetectionEngine.self, from: rewritten)
        #expect(engine.openEpisodeCount > 0)
    }

    @Test(arguments: Corruption.allCases)
    func corruptStateThrows(_ corruption: Corruption) throws {
        let state = try Self.corrupt(try savedState(), corruption)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(DetectionEngine.self, from: state)
        }
    }

    @Test func repeatedHostNameThrows() {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(HostNameTable.self, from: Data(#"["a.example", "b.example", "a.example"]"#.utf8))
        }
    }
}

// MARK: - Reconfiguration

extension DetectionStateTests {
    /// Per-IP and per-user rules on, with updates at most once a minute.
    private static var loginSettings: DetectionSettings {
        var settings = DetectionSettings()
        settings.newClientForUser.enabled = false
        settings.serverErrorBurst.base.enabled = false
        settings.requestFlood.enabled = false
        settings.episodes.updateInterval = 60
        return settings
    }

    private static func failures(from client: String, at seconds: [Int64], engine: inout DetectionEngine) -> [Alert] {
        var alerts: [Alert] = []
        for second in seconds {
            engine.process(Observation(kind: .request(status: 401), time: t0 + second, client: address(client), user: "carol"),
                           names: HostNameTable(), alerts: &alerts)
        }
        return alerts
    }

    @Test func changedThresholdReplacesRule() throws {
        var engine = DetectionEngine(settings: Self.loginSettings)
        let before = Self.failures(from: "203.0.113.7", at: [0, 10, 20, 30, 40], engine: &engine)
        let perUserOpen = try #require(before.first { $0.rule == .authFailuresPerUser && $0.phase == .open })
        let perIPOpen = try #require(before.first { $0.rule == .authFailuresPerIP && $0.phase == .open })
        #expect(engine.openEpisodeCount == 2)

        var changed = Self.loginSettings
        changed.authFailuresPerIP.threshold = 8
        var reloadAlerts: [Alert] = []
        engine.reconfigure(changed, alerts: &reloadAlerts)
        #expect(reloadAlerts.map(\.phase) == [.close])
        #expect(reloadAlerts.first?.rule == .authFailuresPerIP)
        #expect(reloadAlerts.first?.episode == perIPOpen.episode)
        #expect(reloadAlerts.first?.count == 5)
        #expect(reloadAlerts.first?.threshold == 5)
        #expect(engine.openEpisodeCount == 1)

        // The per-IP rule starts over and opens at the eighth failure after the reload.
        var after = Self.failures(from: "203.0.113.7", at: [50, 60, 70, 80, 90, 100, 110], engine: &engine)
        #expect(!after.contains { $0.rule == .authFailuresPerIP })
        after += Self.failures(from: "203.0.113.7", at: [120], engine: &engine)
        engine.finish(alerts: &after)
        let newOpen = try #require(after.first { $0.rule == .authFailuresPerIP && $0.phase == .open })
        #expect(newOpen.threshold == 8)
        #expect(newOpen.count == 8)
        #expect(newOpen.firstSeen == t0 + 50)
        #expect(newOpen.episode > max(perIPOpen.episode, perUserOpen.episode))

        // The per-user episode went on through the reload.
        let perUser = after.filter { $0.rule == .authFailuresPerUser }
        #expect(perUser.contains { $0.phase == .update })
        #expect(perUser.last?.phase == .close)
        #expect(perUser.allSatisfy { $0.episode == perUserOpen.episode })
        #expect(perUser.last?.count == 13)
    }

    @Test func disabledRuleClosesEpisodes() {
        var engine = DetectionEngine(settings: Self.loginSettings)
        _ = Self.failures(from: "203.0.113.7", at: [0, 10, 20], engine: &engine)
        var changed = Self.loginSettings
        changed.authFailuresPerUser.enabled = false
        var alerts: [Alert] = []
        engine.reconfigure(changed, alerts: &alerts)
        #expect(alerts.map(\.rule) == [.authFailuresPerUser])
        #expect(alerts.map(\.phase) == [.close])

        alerts = Self.failures(from: "203.0.113.8", at: [30, 40, 50, 60, 70], engine: &engine)
        #expect(alerts.map(\.rule) == [.authFailuresPerIP])
    }

    @Test func changedEpisodeSettingsReplaceAll() {
        var engine = DetectionEngine(settings: Self.loginSettings)
        _ = Self.failures(from: "203.0.113.7", at: [0, 10, 20, 30, 40], engine: &engine)
        var changed = Self.loginSettings
        changed.episodes.maxLateness = 60
        var alerts: [Alert] = []
        engine.reconfigure(changed, alerts: &alerts)
        #expect(Set(alerts.map(\.rule)) == [.authFailuresPerIP, .authFailuresPerUser])
        #expect(alerts.allSatisfy { $0.phase == .close })
        #expect(engine.openEpisodeCount == 0)
    }

    @Test func shorterPrefixMergesNetworks() {
        var settings = DetectionSettings()
        settings.learningPeriod = 0
        var engine = DetectionEngine(settings: settings)
        var alerts: [Alert] = []
        engine.process(Observation(kind: .request(status: 200), time: t0, client: address("2001:db8:5:6::1"), user: "bob"),
                       names: HostNameTable(), alerts: &alerts)
        var shorter = settings
        shorter.ipv6PrefixLength = 48
        engine.reconfigure(shorter, alerts: &alerts)
        #expect(engine.history.isKnown(user: "bob", address: address("2001:db8:5:7::1"), at: t0 + 60))

        engine.process(Observation(kind: .request(status: 200), time: t0 + 60, client: address("2001:db8:5:7::1"), user: "bob"),
                       names: HostNameTable(), alerts: &alerts)
        #expect(alerts.isEmpty)
    }
}

// MARK: - Building blocks

extension DetectionStateTests {
    @Test func hostNameTableKeepsIndices() throws {
        var table = HostNameTable()
        let first = Array("gw.example.net".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        let second = Array("crawler.example.com".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        var decoded = try JSONDecoder().decode(HostNameTable.self, from: JSONEncoder().encode(table))
        #expect(decoded.text(for: first) == "gw.example.net")
        #expect(decoded.text(for: second) == "crawler.example.com")
        #expect(Array("CRAWLER.example.com".utf8).withUnsafeBufferPointer { decoded.address(for: $0) } == second)
    }

    @Test func packedIntegersRoundTrip() throws {
        let values: [Int64] = [0, 1, -1, 42, Int64.max, Int64.min, -1_773_136_800]
        let data = try JSONEncoder().encode(PackedIntegers(values))
        #expect(try JSONDecoder().decode(PackedIntegers.self, from: data).values == values)
        #expect(try JSONDecoder().decode(PackedIntegers.self, from: Data(#""""#.utf8)).values == [])
    }

    @Test(arguments: ["1  2", "1 ", " 1", "-", "1-2", "9223372036854775808", "-9223372036854775809", "+1", "1\t2"])
    func packedIntegersRejectText(_ text: String) throws {
        let data = try JSONEncoder().encode(text)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(PackedIntegers.self, from: data) }
    }

    @Test func stringColumnKeepsNilAndUnicode() throws {
        let strings: [String?] = ["carol", nil, "", "zoë", "a\nb\"c", nil, "日本"]
        let data = try JSONEncoder().encode(StringColumn(strings))
        #expect(try JSONDecoder().decode(StringColumn.self, from: data).optionalStrings() == strings)
    }

    @Test func stringColumnRejectsSplitCharacter() throws {
        // "ë" is two bytes in UTF-8, and lengths 3 and 1 split it.
        let column = try JSONDecoder().decode(StringColumn.self, from: Data(#"{"lengths": "3 1", "text": "zoë"}"#.utf8))
        #expect(throws: InvalidDetectionState.self) { _ = try column.optionalStrings() }
    }

    @Test func restoredMapKeepsRecency() {
        var map = BoundedKeyMap<String, Int>(maxKeys: 3)
        let added = [map.appendAsNewest("a", 1), map.appendAsNewest("b", 2), map.appendAsNewest("a", 3),
                     map.appendAsNewest("c", 3), map.appendAsNewest("d", 4)]
        #expect(added == [true, true, false, true, false])
        #expect(map.entries.map(\.key) == ["a", "b", "c"])
        #expect(map.peek("a") == 1)

        // The oldest restored key is the first evicted.
        var evicted: [String] = []
        map.withValue(for: "d", make: { 4 }, evicted: { key, _ in evicted.append(key) }) { _ in }
        #expect(evicted == ["a"])
    }
}

import Testing
@testable import LeafwatchCore

// MARK: - Helpers

private let t0: Int64 = 1_773_136_800  // 2026-03-10T10:00:00Z

private func address(_ text: String) -> ClientAddress {
    guard let parsed = ClientAddress.parse(text) else { fatalError("invalid test address \(text)") }
    return parsed
}

private func denial(_ client: String, at time: Int64) -> Observation {
    Observation(kind: .request(status: 403), time: time, client: address(client))
}

private func failedLogin(_ user: String, from client: String, at time: Int64) -> Observation {
    Observation(kind: .request(status: 401), time: time, client: address(client), user: user)
}

private func success(_ user: String, from client: String, at time: Int64, status: Int = 200) -> Observation {
    Observation(kind: .request(status: status), time: time, client: address(client), user: user)
}

private func request(_ client: String, at time: Int64, status: Int = 200, virtualHost: String? = nil) -> Observation {
    Observation(kind: .request(status: status), time: time, client: address(client), virtualHost: virtualHost)
}

/// Settings with every rule off except the ones a test turns on.
private func onlySettings(_ change: (inout DetectionSettings) -> Void) -> DetectionSettings {
    var settings = DetectionSettings()
    settings.authFailuresPerIP.enabled = false
    settings.authFailuresPerUser.enabled = false
    settings.newClientForUser.enabled = false
    settings.serverErrorBurst.base.enabled = false
    settings.requestFlood.enabled = false
    change(&settings)
    return settings
}

/// Settings for per-IP tests: 5 failures within 600 s, 300 s lateness.
private let perIPSettings = onlySettings { $0.authFailuresPerIP.enabled = true }

/// Runs `observations` through `engine` and returns the alerts, without `finish`.
private func run(_ engine: inout DetectionEngine, _ observations: [Observation]) -> [Alert] {
    var alerts: [Alert] = []
    for observation in observations {
        engine.process(observation, names: HostNameTable(), alerts: &alerts)
    }
    return alerts
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The detection core: windows, key limits, episodes, priorities, user
/// history, ignored paths and X-Forwarded-For. Every test feeds event times
/// directly, so none reads the clock or sleeps.
@Suite struct DetectionTests {}

// MARK: - SecondCounts

extension DetectionTests {
    @Suite struct SecondCountsTests {
        @Test func windowHoldsLastLengthSeconds() {
            var counts = SecondCounts()
            for second: Int64 in [100, 101, 700] { counts.add(second) }
            let window = counts.count(windowEndingAt: 700, length: 600)
            #expect(window.count == 2)
            #expect(window.first == 101)
            #expect(counts.count(windowEndingAt: 699, length: 600).count == 2)
            #expect(counts.count(windowEndingAt: 699, length: 600).first == 100)
        }

        @Test func sameSecondShareEntry() {
            var counts = SecondCounts()
            for _ in 0..<5 { counts.add(42) }
            #expect(counts.kept.count == 1)
            #expect(counts.total == 5)
            #expect(counts.count(windowEndingAt: 42, length: 1).count == 5)
        }

        @Test func lateEventInsertedInOrder() {
            var counts = SecondCounts()
            counts.add(10)
            counts.add(30)
            counts.add(20)
            counts.add(5)
            counts.add(10)
            #expect(counts.kept.map(\.second) == [5, 10, 20, 30])
            #expect(counts.kept.map(\.count) == [1, 2, 1, 1])
            #expect(counts.latest == 30)
            #expect(counts.total == 5)
        }

        @Test func removeBeforeDropsOldSeconds() {
            var counts = SecondCounts()
            for second: Int64 in 0..<100 { counts.add(second, count: 2) }
            counts.removeBefore(50)
            #expect(counts.total == 100)
            #expect(counts.kept.first?.second == 50)
            #expect(counts.count(windowEndingAt: 99, length: 1000).count == 100)

            counts.add(100)
            counts.add(60)
            #expect(counts.count(windowEndingAt: 100, length: 51).count == 102)

            counts.removeBefore(101)
            #expect(counts.isEmpty)
            #expect(counts.total == 0)
            #expect(counts.latest == nil)
        }

        @Test func manyRemovalsKeepCounts() {
            // Drops one second at a time, as the server-wide counter does, past
            // the point where dropped entries are compacted away.
            var counts = SecondCounts()
            for second: Int64 in 0..<1000 {
                counts.add(second)
                counts.removeBefore(second - 59)
                #expect(counts.total == Int(min(second + 1, 60)))
            }
            #expect(counts.kept.first?.second == 940)
            #expect(counts.count(windowEndingAt: 999, length: 60).count == 60)
        }

        @Test func maxCountFindsLaterWindow() {
            // Events at 0, 400, 599 and 700; a late event at 300 completes the
            // window ending at 599 (seconds 0…599) with four events.
            var counts = SecondCounts()
            for second: Int64 in [0, 400, 599, 700] { counts.add(second) }
            counts.add(300)
            let best = counts.maxCount(windowsContaining: 300, length: 600)
            #expect(best.count == 4)
            #expect(best.end == 599)
            #expect(best.first == 0)
        }
    }
}

// MARK: - BoundedKeyMap

extension DetectionTests {
    @Suite struct BoundedKeyMapTests {
        private func insert(_ key: String, into map: inout BoundedKeyMap<String, Int>, evicted: inout [String]) {
            map.withValue(for: key, make: { 0 }, evicted: { key, _ in evicted.append(key) }) { $0 += 1 }
        }

        @Test func evictsLeastRecentlyUsed() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 3)
            var evicted: [String] = []
            for key in ["a", "b", "c", "a", "d"] { insert(key, into: &map, evicted: &evicted) }
            #expect(evicted == ["b"])
            #expect(map.entries.map(\.key) == ["c", "a", "d"])
            #expect(map.peek("a") == 2)
            #expect(map.peek("b") == nil)
        }

        @Test func peekDoesNotMarkUse() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 2)
            var evicted: [String] = []
            insert("a", into: &map, evicted: &evicted)
            insert("b", into: &map, evicted: &evicted)
            _ = map.peek("a")
            map.update("a") { $0 = 10 }
            insert("c", into: &map, evicted: &evicted)
            #expect(evicted == ["a"])
            #expect(map.entries.map(\.key) == ["b", "c"])
        }

        @Test func countsEvictions() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 4)
            var evicted: [String] = []
            for number in 0..<10 { insert("k\(number)", into: &map, evicted: &evicted) }
            #expect(map.evictions == 6)
            #expect(map.count == 4)
            #expect(evicted == ["k0", "k1", "k2", "k3", "k4", "k5"])
            #expect(map.entries.map(\.key) == ["k6", "k7", "k8", "k9"])
        }

        @Test func removeStaleStopsAtFreshEntry() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 10)
            var evicted: [String] = []
            for key in ["a", "b", "c", "d"] { insert(key, into: &map, evicted: &evicted) }
            map.update("a") { $0 = 0 }
            map.update("b") { $0 = 0 }
            map.update("d") { $0 = 0 }
            let removed = map.removeStale(limit: 5) { $0 == 0 }
            #expect(removed == 2)
            #expect(map.entries.map(\.key) == ["c", "d"])
            #expect(map.evictions == 0)
        }

        @Test func removeStaleHonoursLimit() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 10)
            var evicted: [String] = []
            for key in ["a", "b", "c"] { insert(key, into: &map, evicted: &evicted) }
            #expect(map.removeStale(limit: 2) { _ in true } == 2)
            #expect(map.entries.map(\.key) == ["c"])
        }

        @Test func removeKeepsRecencyOrder() {
            var map = BoundedKeyMap<String, Int>(maxKeys: 4)
            var evicted: [String] = []
            for key in ["a", "b", "c", "d"] { insert(key, into: &map, evicted: &evicted) }
            map.remove("b")
            #expect(map.entries.map(\.key) == ["a", "c", "d"])
            insert("a", into: &map, evicted: &evicted)
            insert("e", into: &map, evicted: &evicted)
            insert("f", into: &map, evicted: &evicted)
            #expect(evicted == ["c"])
            #expect(map.entries.map(\.key) == ["d", "a", "e", "f"])
            #expect(map.peek("a") == 2)
            #expect(map.evictions == 1)
        }
    }
}

// MARK: - Episodes

extension DetectionTests {
    @Suite struct EpisodeTests {
        @Test func opensAtThreshold() {
            var engine = DetectionEngine(settings: perIPSettings)
            let below = run(&engine, (0..<4).map { denial("203.0.113.7", at: t0 + $0 * 10) })
            #expect(below.isEmpty)

            let alerts = run(&engine, [denial("203.0.113.7", at: t0 + 40)])
            #expect(alerts.count == 1)
            #expect(alerts.first?.phase == .open)
            #expect(alerts.first?.rule == .authFailuresPerIP)
            #expect(alerts.first?.key == "203.0.113.7")
            #expect(alerts.first?.count == 5)
            #expect(alerts.first?.firstSeen == t0)
            #expect(alerts.first?.lastSeen == t0 + 40)
            #expect(alerts.first?.priority == .warning)
        }

        @Test func fiveSpanningWindowStayQuiet() {
            // The first and the fifth are exactly 600 s apart: never within one window.
            var engine = DetectionEngine(settings: perIPSettings)
            var alerts = run(&engine, (0..<5).map { denial("203.0.113.7", at: t0 + $0 * 150) })
            engine.finish(alerts: &alerts)
            #expect(alerts.isEmpty)
        }

        @Test func updatesOncePerWindow() {
            var engine = DetectionEngine(settings: perIPSettings)
            // A denial every 10 s from t0 to t0 + 700: opens at t0 + 40.
            let alerts = run(&engine, stride(from: Int64(0), through: 700, by: 10).map { denial("203.0.113.7", at: t0 + $0) })
            #expect(alerts.map(\.phase) == [.open, .update])
            #expect(alerts.last?.lastSeen == t0 + 640)
            #expect(alerts.last?.count == 65)
            #expect(alerts.first?.episode == alerts.last?.episode)
        }

        @Test func closesAfterWindowPlusLateness() {
            var engine = DetectionEngine(settings: perIPSettings)
            var alerts = run(&engine, (0..<6).map { denial("203.0.113.7", at: t0 + $0 * 10) })
            #expect(alerts.map(\.phase) == [.open])

            // Last event t0 + 50; the quiet span is 600 + 300 s.
            engine.advance(to: t0 + 50 + 899, alerts: &alerts)
            #expect(alerts.count == 1)
            engine.advance(to: t0 + 50 + 900, alerts: &alerts)
            #expect(alerts.map(\.phase) == [.open, .close])
            #expect(alerts.last?.count == 6)
            #expect(alerts.last?.lastSeen == t0 + 50)
        }

        @Test func newEpisodeAfterClose() {
            var engine = DetectionEngine(settings: perIPSettings)
            var alerts = run(&engine, (0..<5).map { denial("203.0.113.7", at: t0 + $0) })
            alerts += run(&engine, (0..<5).map { denial("203.0.113.7", at: t0 + 2000 + $0) })
            #expect(alerts.map(\.phase) == [.open, .close, .open])
            #expect(alerts[0].episode != alerts[2].episode)
            #expect(alerts[2].count == 5)
            #expect(alerts[2].firstSeen == t0 + 2000)
        }

        @Test func finishClosesOpenEpisodes() {
            var engine = DetectionEngine(settings: perIPSettings)
            var alerts = run(&engine, (0..<7).map { denial("203.0.113.7", at: t0 + $0) })
            engine.finish(alerts: &alerts)
            #expect(alerts.map(\.phase) == [.open, .close])
            #expect(alerts.last?.count == 7)
        }

        @Test func lateEventCompletesWindow() {
            var engine = DetectionEngine(settings: perIPSettings)
            let inOrder: [Int64] = [0, 240, 540]
            var alerts = run(&engine, inOrder.map { denial("203.0.113.7", at: t0 + $0) })
            alerts += run(&engine, [request("198.51.100.50", at: t0 + 570)])
            alerts += run(&engine, [denial("203.0.113.7", at: t0 + 360), denial("203.0.113.7", at: t0 + 300)])
            #expect(alerts.count == 1)
            #expect(alerts.first?.count == 5)
            #expect(alerts.first?.firstSeen == t0)
            #expect(alerts.first?.lastSeen == t0 + 540)
            #expect(engine.tooLate == 0)
        }

        @Test func tooLateBeyondMaxLateness() {
            var engine = DetectionEngine(settings: perIPSettings)
            var alerts = run(&engine, [request("198.51.100.50", at: t0 + 1000)])
            alerts += run(&engine, [denial("203.0.113.7", at: t0 + 699)])
            #expect(engine.tooLate == 1)
            alerts += run(&engine, [denial("203.0.113.7", at: t0 + 700)])
            #expect(engine.tooLate == 1)
            alerts += run(&engine, (1...3).map { denial("203.0.113.7", at: t0 + 700 + $0) })
            #expect(alerts.isEmpty)
            alerts += run(&engine, [denial("203.0.113.7", at: t0 + 1000)])
            #expect(alerts.first?.count == 5)
            #expect(alerts.first?.firstSeen == t0 + 700)
        }

        @Test func evictionClosesOpenEpisode() {
            var settings = onlySettings { $0.authFailuresPerIP.enabled = true }
            settings.authFailuresPerIP.threshold = 1
            settings.episodes.maxTrackedKeys = 2
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                denial("203.0.113.1", at: t0),
                denial("203.0.113.2", at: t0 + 1),
                denial("203.0.113.3", at: t0 + 2),
            ])
            #expect(alerts.map(\.phase) == [.open, .open, .close, .open])
            #expect(alerts[2].key == "203.0.113.1")
            #expect(alerts[2].episode == alerts[0].episode)
            #expect(engine.evictions[.authFailuresPerIP] == 1)
        }

        @Test func expiredKeysFreeRoomWithoutEviction() {
            var settings = perIPSettings
            settings.episodes.maxTrackedKeys = 2
            var engine = DetectionEngine(settings: settings)
            // 203.0.113.1's denial is past window plus lateness when the others come.
            let alerts = run(&engine, [
                denial("203.0.113.1", at: t0),
                denial("203.0.113.2", at: t0 + 1000),
                denial("203.0.113.3", at: t0 + 1001),
            ])
            #expect(alerts.isEmpty)
            #expect(engine.evictions[.authFailuresPerIP] == 0)
        }

        @Test func evictedKeyStartsOver() {
            var settings = perIPSettings
            settings.episodes.maxTrackedKeys = 2
            var engine = DetectionEngine(settings: settings)
            var alerts = run(&engine, (0..<4).map { denial("203.0.113.1", at: t0 + $0) })
            alerts += run(&engine, [denial("203.0.113.2", at: t0 + 5), denial("203.0.113.3", at: t0 + 6)])
            alerts += run(&engine, [denial("203.0.113.1", at: t0 + 7)])
            #expect(alerts.isEmpty)
            #expect(engine.evictions[.authFailuresPerIP] == 2)
        }
    }
}

// MARK: - Priorities and users

extension DetectionTests {
    @Suite struct EscalationTests {
        private var settings: DetectionSettings {
            onlySettings {
                $0.authFailuresPerUser.enabled = true
                $0.newClientForUser.enabled = true
            }
        }

        @Test func knownAddressStaysWarning() {
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                success("alice", from: "198.51.100.10", at: t0),
                failedLogin("alice", from: "198.51.100.10", at: t0 + 60),
                failedLogin("alice", from: "198.51.100.10", at: t0 + 70),
                failedLogin("alice", from: "198.51.100.10", at: t0 + 80),
            ])
            #expect(alerts.count == 1)
            #expect(alerts.first?.priority == .warning)
        }

        @Test func unknownAddressOpensCrit() {
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, (0..<3).map { failedLogin("alice", from: "203.0.113.9", at: t0 + $0 * 10) })
            #expect(alerts.count == 1)
            #expect(alerts.first?.priority == .crit)
        }

        @Test func escalatesSameEpisode() {
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                success("carol", from: "198.51.100.30", at: t0),
                failedLogin("carol", from: "198.51.100.30", at: t0 + 60),
                failedLogin("carol", from: "198.51.100.30", at: t0 + 70),
                failedLogin("carol", from: "198.51.100.30", at: t0 + 80),
                failedLogin("carol", from: "203.0.113.98", at: t0 + 90),
            ])
            #expect(alerts.map(\.phase) == [.open, .update])
            #expect(alerts.map(\.priority) == [.warning, .crit])
            #expect(alerts[0].episode == alerts[1].episode)
            #expect(alerts[1].count == 4)
        }

        @Test func opensAtSeverestInWindow() {
            // Two failures from an unknown address, then the third from the known one.
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                success("dave", from: "198.51.100.40", at: t0),
                failedLogin("dave", from: "203.0.113.97", at: t0 + 60),
                failedLogin("dave", from: "203.0.113.97", at: t0 + 70),
                failedLogin("dave", from: "198.51.100.40", at: t0 + 80),
            ])
            #expect(alerts.count == 1)
            #expect(alerts.first?.priority == .crit)
        }

        @Test func severeEventOutsideWindowIgnored() {
            // The failure from an unknown address lies more than one window before the other three.
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                success("dave", from: "198.51.100.40", at: t0),
                failedLogin("dave", from: "203.0.113.97", at: t0 + 60),
                failedLogin("dave", from: "198.51.100.40", at: t0 + 3700),
                failedLogin("dave", from: "198.51.100.40", at: t0 + 3710),
                failedLogin("dave", from: "198.51.100.40", at: t0 + 3720),
            ])
            #expect(alerts.count == 1)
            #expect(alerts.first?.priority == .warning)
            #expect(alerts.first?.count == 3)
        }

        @Test func failureInBothLogsCountsOnce() {
            var settings = self.settings
            settings.authFailuresPerUser.threshold = 2
            var engine = DetectionEngine(settings: settings)
            var alerts = run(&engine, [
                failedLogin("alice", from: "198.51.100.10", at: t0),
                Observation(kind: .authenticationFailure, time: t0 + 2, client: address("198.51.100.10"), user: "alice"),
            ])
            #expect(alerts.isEmpty)
            #expect(engine.duplicateFailures == 1)

            // 3 s apart is beyond the pairing tolerance: two failures.
            alerts += run(&engine, [
                failedLogin("alice", from: "198.51.100.10", at: t0 + 100),
                Observation(kind: .authenticationFailure, time: t0 + 103, client: address("198.51.100.10"), user: "alice"),
            ])
            #expect(engine.duplicateFailures == 1)
            #expect(alerts.count == 1)
            #expect(alerts.first?.count == 2)
            #expect(alerts.first?.firstSeen == t0)
        }

        @Test func denialInBothLogsCountsOnce() {
            var settings = perIPSettings
            settings.authFailuresPerIP.threshold = 2
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                Observation(kind: .authorizationDenied, time: t0, client: address("203.0.113.7")),
                denial("203.0.113.7", at: t0 + 2),
            ])
            #expect(alerts.isEmpty)
            #expect(engine.duplicateFailures == 1)
        }

        @Test func challengeIsNoFailure() {
            var engine = DetectionEngine(settings: onlySettings {
                $0.authFailuresPerIP.enabled = true
                $0.authFailuresPerIP.threshold = 1
            })
            let alerts = run(&engine, [request("198.51.100.10", at: t0, status: 401)])
            #expect(alerts.isEmpty)
        }

        @Test func newClientAfterLearningPeriod() {
            var settings = self.settings
            settings.learningPeriod = 86_400
            var engine = DetectionEngine(settings: settings)
            var alerts = run(&engine, [
                success("bob", from: "198.51.100.20", at: t0),
                success("bob", from: "203.0.113.5", at: t0 + 3600),
            ])
            #expect(alerts.isEmpty)

            alerts += run(&engine, [
                success("bob", from: "203.0.113.6", at: t0 + 86_400),
                success("bob", from: "203.0.113.6", at: t0 + 86_405, status: 302),
            ])
            engine.finish(alerts: &alerts)
            #expect(alerts.map(\.phase) == [.open, .close])
            #expect(alerts.first?.rule == .newClientForUser)
            #expect(alerts.first?.client == "203.0.113.6")
            #expect(alerts.first?.priority == .notice)
            #expect(alerts.last?.count == 2)
        }

        @Test func newClientThresholdAboveOne() {
            var settings = self.settings
            settings.learningPeriod = 0
            settings.newClientForUser.threshold = 3
            var engine = DetectionEngine(settings: settings)
            let alerts = run(&engine, [
                success("bob", from: "198.51.100.20", at: t0),
                success("bob", from: "203.0.113.6", at: t0 + 100),
                success("bob", from: "203.0.113.6", at: t0 + 200),
                success("bob", from: "203.0.113.6", at: t0 + 300),
            ])
            #expect(alerts.count == 1)
            #expect(alerts.first?.count == 3)
            #expect(alerts.first?.firstSeen == t0 + 100)
        }
    }
}

// MARK: - Server errors

extension DetectionTests {
    @Suite struct ServerErrorTests {
        @Test func countRulePerVirtualHost() {
            var engine = DetectionEngine(settings: onlySettings { $0.serverErrorBurst.base.enabled = true })
            var alerts = run(&engine, (0..<12).map { request("192.0.2.1", at: t0 + $0, status: 502, virtualHost: "shop.example.org") })
            alerts += run(&engine, (0..<8).map { request("192.0.2.1", at: t0 + 20 + $0, status: 503, virtualHost: "blog.example.org") })
            #expect(alerts.count == 1)
            #expect(alerts.first?.key == "*")
            #expect(alerts.first?.count == 20)
            #expect(alerts.first?.virtualHost == nil)
        }

        @Test func ratioRuleAtExactShare() {
            var engine = DetectionEngine(settings: onlySettings {
                $0.serverErrorBurst.base.enabled = true
                $0.serverErrorBurst.ratio = 0.07
            })
            var alerts = run(&engine, (0..<93).map { request("192.0.2.1", at: t0 + $0) })
            alerts += run(&engine, (0..<6).map { request("192.0.2.1", at: t0 + 100 + $0, status: 500) })
            #expect(alerts.isEmpty)
            alerts += run(&engine, [request("192.0.2.1", at: t0 + 110, status: 500)])
            #expect(alerts.count == 1)
            #expect(alerts.first?.count == 7)
            #expect(alerts.first?.requests == 100)
        }

        @Test func ratioNeedsMinimumRequests() {
            var engine = DetectionEngine(settings: onlySettings { $0.serverErrorBurst.base.enabled = true })
            let alerts = run(&engine, (0..<49).map { request("192.0.2.1", at: t0 + $0, status: $0 < 10 ? 500 : 200) })
            #expect(alerts.isEmpty)
        }
    }
}

// MARK: - UserHistory

extension DetectionTests {
    @Suite struct UserHistoryTests {
        @Test func groupsIPv6ByPrefix() {
            var history = UserHistory()
            history.recordSuccess(user: "bob", address: address("2001:db8:5:6::1"), at: t0)
            #expect(history.isKnown(user: "bob", address: address("2001:db8:5:6:aaaa::2"), at: t0 + 60))
            #expect(!history.isKnown(user: "bob", address: address("2001:db8:5:7::1"), at: t0 + 60))
            #expect(!history.isKnown(user: "alice", address: address("2001:db8:5:6::1"), at: t0 + 60))
        }

        @Test func keepsIPv4Whole() {
            var history = UserHistory()
            history.recordSuccess(user: "bob", address: address("192.0.2.1"), at: t0)
            #expect(history.isKnown(user: "bob", address: address("192.0.2.1"), at: t0))
            #expect(!history.isKnown(user: "bob", address: address("192.0.2.2"), at: t0))
        }

        @Test func prefixLengthIsSetting() {
            var history = UserHistory(ipv6PrefixLength: 128)
            history.recordSuccess(user: "bob", address: address("2001:db8:5:6::1"), at: t0)
            #expect(!history.isKnown(user: "bob", address: address("2001:db8:5:6::2"), at: t0))
        }

        @Test func forgetsAfterHistory() {
            var history = UserHistory(history: 1000)
            history.recordSuccess(user: "bob", address: address("192.0.2.1"), at: t0)
            #expect(history.isKnown(user: "bob", address: address("192.0.2.1"), at: t0 + 1000))
            #expect(!history.isKnown(user: "bob", address: address("192.0.2.1"), at: t0 + 1001))
        }

        @Test func expireDropsOldNetworksAndUsers() {
            var history = UserHistory(history: 1000)
            history.recordSuccess(user: "bob", address: address("192.0.2.1"), at: t0)
            history.recordSuccess(user: "bob", address: address("192.0.2.2"), at: t0 + 500)
            history.recordSuccess(user: "carol", address: address("192.0.2.3"), at: t0)
            history.expire(before: t0 + 1001)
            #expect(history.users["bob"]?.networks.count == 1)
            #expect(history.users["bob"]?.firstSeen == t0)
            #expect(history.users["carol"] == nil)
        }

        @Test func firstSeenIsEarliestSuccess() {
            var history = UserHistory()
            history.recordSuccess(user: "bob", address: address("192.0.2.1"), at: t0 + 100)
            history.recordSuccess(user: "bob", address: address("192.0.2.1"), at: t0)
            #expect(history.firstSeen(user: "bob") == t0)
            #expect(history.firstSeen(user: "alice") == nil)
        }
    }
}

// MARK: - PathPattern

extension DetectionTests {
    @Suite struct PathPatternTests {
        @Test func suffixIgnoresCase() {
            let pattern = PathPattern("*.png")
            #expect(pattern.matches("/logo.png"))
            #expect(pattern.matches("/img/LOGO.PNG"))
            #expect(!pattern.matches("/logo.png.txt"))
            #expect(!pattern.matches("png"))
        }

        @Test func starCrossesSlashes() {
            let pattern = PathPattern("/static/*")
            #expect(pattern.matches("/static/a/b/site.css"))
            #expect(pattern.matches("/static/"))
            #expect(!pattern.matches("/staticfiles"))
        }

        @Test func questionMatchesOneByte() {
            let pattern = PathPattern("/img/?.gif")
            #expect(pattern.matches("/img/a.gif"))
            #expect(!pattern.matches("/img/ab.gif"))
            #expect(!pattern.matches("/img/.gif"))
        }

        @Test func bracketSetsAndNegation() {
            #expect(PathPattern("/v[0-9]/*").matches("/v2/users"))
            #expect(!PathPattern("/v[0-9]/*").matches("/vx/users"))
            #expect(PathPattern("/[!a]*").matches("/b"))
            #expect(!PathPattern("/[!a]*").matches("/a"))
            #expect(PathPattern("/[abc].txt").matches("/C.txt"))
        }

        @Test func unclosedBracketIsLiteral() {
            #expect(PathPattern("/a[b*").matches("/a[bcd"))
            #expect(!PathPattern("/a[b*").matches("/ab"))
        }

        @Test func backtracksAfterStar() {
            #expect(PathPattern("*/admin/*.php").matches("/x/admin/y/admin/z.php"))
            #expect(!PathPattern("*/admin/*.php").matches("/x/admin/z.phps"))
        }
    }
}

// MARK: - ObservationBuilder

extension DetectionTests {
    @Suite struct ForwardedForTests {
        private let format = "%h %l %u %t \"%r\" %>s %b \"%{X-Forwarded-For}i\""

        private func makeBuilder(trusting networks: [String]) -> ObservationBuilder {
            ObservationBuilder(trustedProxies: networks.compactMap { Configuration.IPNetwork($0) })
        }

        /// Parses one access-log line with an X-Forwarded-For field and returns its client's text.
        private func client(of line: String, trusting networks: [String]) throws -> String {
            var parser = AccessLogParser(format: try LogFormat(format), timeZone: .utc)
            var builder = makeBuilder(trusting: networks)
            let lineBytes = bytes(line)
            let observation = lineBytes.withUnsafeBufferPointer { buffer -> Observation? in
                guard parser.parse(buffer) else { return nil }
                return builder.observation(parser, line: buffer)
            }
            let parsed = try #require(observation)
            return builder.hostNames.text(for: parsed.client)
        }

        @Test func trustedPeerUsesForwardedClient() throws {
            let line = "192.0.2.10 - - [10/Mar/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 403 199 \"203.0.113.50\""
            #expect(try client(of: line, trusting: ["192.0.2.10"]) == "203.0.113.50")
        }

        @Test func untrustedPeerIgnoresHeader() throws {
            let line = "198.51.100.99 - - [10/Mar/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 403 199 \"203.0.113.50\""
            #expect(try client(of: line, trusting: ["192.0.2.10"]) == "198.51.100.99")
        }

        @Test func noTrustedProxiesIgnoresHeader() throws {
            let line = "192.0.2.10 - - [10/Mar/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 403 199 \"203.0.113.50\""
            #expect(try client(of: line, trusting: []) == "192.0.2.10")
        }

        @Test func rightMostUntrustedHop() {
            let builder = makeBuilder(trusting: ["192.0.2.0/28"])
            #expect(builder.forwardedClient(bytes("198.51.100.23, 203.0.113.50, 192.0.2.11")) == address("203.0.113.50"))
            #expect(builder.forwardedClient(bytes("203.0.113.50,192.0.2.11 ,  192.0.2.12")) == address("203.0.113.50"))
        }

        @Test func allHopsTrusted() {
            let builder = makeBuilder(trusting: ["192.0.2.0/28"])
            #expect(builder.forwardedClient(bytes("192.0.2.3, 192.0.2.11")) == address("192.0.2.3"))
        }

        @Test func unknownHopStopsWalk() {
            let builder = makeBuilder(trusting: ["192.0.2.0/28"])
            #expect(builder.forwardedClient(bytes("unknown")) == nil)
            #expect(builder.forwardedClient(bytes("203.0.113.9, unknown, 192.0.2.11")) == address("192.0.2.11"))
            #expect(builder.forwardedClient(bytes("-")) == nil)
        }

        @Test func hopsWithPorts() {
            let builder = makeBuilder(trusting: ["192.0.2.10"])
            #expect(builder.forwardedClient(bytes("203.0.113.50:51234")) == address("203.0.113.50"))
            #expect(builder.forwardedClient(bytes("[2001:db8::7]:51234")) == address("2001:db8::7"))
            #expect(builder.forwardedClient(bytes("[2001:db8::7]")) == address("2001:db8::7"))
            #expect(builder.forwardedClient(bytes("2001:db8::7")) == address("2001:db8::7"))
        }

        @Test func portOnTrustedHop() {
            let builder = makeBuilder(trusting: ["192.0.2.10"])
            #expect(builder.forwardedClient(bytes("203.0.113.50, 192.0.2.10:8080")) == address("203.0.113.50"))
        }
    }
}

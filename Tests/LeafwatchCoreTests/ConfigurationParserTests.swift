import Foundation
import Testing
@testable import LeafwatchCore

/// Parses one file named `t.conf`.
private func parse(_ text: String) throws(ConfigurationErrors) -> Configuration {
    try ConfigurationParser.parse([("t.conf", text)])
}

/// Returns the error lines (`path:line: message`) that parsing `files` throws, or none when it succeeds.
private func errors(_ files: [(path: String, text: String)]) -> [String] {
    do {
        _ = try ConfigurationParser.parse(files)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

private func errors(_ text: String) -> [String] {
    errors([("t.conf", text)])
}

/// The package root, found from this file's path: Tests/LeafwatchCoreTests/ is two levels down.
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func shippedConfiguration() throws -> String {
    try String(contentsOf: packageRoot.appendingPathComponent("config/leafwatch.conf"), encoding: .utf8)
}

/// A file that sets every key to a value other than its default.
private let everyKeyText = """
    [Input]
    AccessLog=/srv/www/*/logs/access.log
    AccessLog=/var/log/nginx/access.log
    ErrorLog=/var/log/nginx/error.log
    LogFormat=nginx
    IgnorePaths=*.css *.js
    TrustedProxies=192.0.2.10 10.0.0.0/8 2001:db8::/32
    TimeZone=Europe/Berlin
    MaxLineLength=1M
    StartAt=beginning

    [AuthFailuresPerIP]
    Enabled=no
    Threshold=8
    Window=15min
    Priority=err
    EscalatedPriority=alert

    [AuthFailuresPerUser]
    Enabled=false
    Threshold=4
    Window=2h
    Priority=notice
    EscalatedPriority=emerg

    [NewClientForUser]
    Enabled=off
    Threshold=2
    Window=30min
    Priority=info
    History=180d
    LearningPeriod=30d
    IPv6PrefixLength=56

    [ServerErrorBurst]
    Enabled=0
    Threshold=50
    Window=2min
    Priority=crit
    Ratio=25%
    RatioWindow=10min
    RatioMinimumRequests=100
    PerVirtualHost=no

    [RequestFlood]
    Enabled=no
    Threshold=1200
    Window=30s
    Priority=debug

    [Alerts]
    MaxLateness=1min
    MaxTrackedKeys=5000
    UpdateInterval=15min
    MaxMessageLength=1024

    [Report]
    To=ops@example.com security@example.com
    To=boss@example.com
    From=leafwatch@www.example.com
    Sendmail=/usr/lib/sendmail -t
    TimeZone=America/New_York
    CheckInDay=monday
    Period=14d

    [State]
    Directory=/srv/leafwatch
    CheckpointInterval=30s
    """

/// The configuration `everyKeyText` must parse to.
private func everyKeyConfiguration() throws -> Configuration {
    var expected = Configuration.defaults
    expected.input.accessLogs = ["/srv/www/*/logs/access.log", "/var/log/nginx/access.log"]
    expected.input.errorLogs = ["/var/log/nginx/error.log"]
    expected.input.logFormat = try LogFormat("nginx")
    expected.input.ignorePaths = ["*.css", "*.js"]
    expected.input.trustedProxies = [
        try #require(Configuration.IPNetwork("192.0.2.10")),
        try #require(Configuration.IPNetwork("10.0.0.0/8")),
        try #require(Configuration.IPNetwork("2001:db8::/32")),
    ]
    expected.input.timeZone = "Europe/Berlin"
    expected.input.maxLineLength = 1 << 20
    expected.input.startAt = .beginning

    expected.authFailuresPerIP.enabled = false
    expected.authFailuresPerIP.threshold = 8
    expected.authFailuresPerIP.window = 900
    expected.authFailuresPerIP.priority = .err
    expected.authFailuresPerIP.escalatedPriority = .alert

    expected.authFailuresPerUser.enabled = false
    expected.authFailuresPerUser.threshold = 4
    expected.authFailuresPerUser.window = 7200
    expected.authFailuresPerUser.priority = .notice
    expected.authFailuresPerUser.escalatedPriority = .emerg

    expected.newClientForUser.enabled = false
    expected.newClientForUser.threshold = 2
    expected.newClientForUser.window = 1800
    expected.newClientForUser.priority = .info
    expected.newClientForUser.history = 180 * 86_400
    expected.newClientForUser.learningPeriod = 30 * 86_400
    expected.newClientForUser.ipv6PrefixLength = 56

    expected.serverErrorBurst.enabled = false
    expected.serverErrorBurst.threshold = 50
    expected.serverErrorBurst.window = 120
    expected.serverErrorBurst.priority = .crit
    expected.serverErrorBurst.ratioPercent = 25
    expected.serverErrorBurst.ratioWindow = 600
    expected.serverErrorBurst.ratioMinimumRequests = 100
    expected.serverErrorBurst.perVirtualHost = false

    expected.requestFlood.enabled = false
    expected.requestFlood.threshold = 1200
    expected.requestFlood.window = 30
    expected.requestFlood.priority = .debug

    expected.alerts.maxLateness = 60
    expected.alerts.maxTrackedKeys = 5000
    expected.alerts.updateInterval = 900
    expected.alerts.maxMessageLength = 1024

    expected.report.recipients = ["ops@example.com", "security@example.com", "boss@example.com"]
    expected.report.sender = "leafwatch@www.example.com"
    expected.report.sendmailCommand = "/usr/lib/sendmail -t"
    expected.report.timeZone = "America/New_York"
    expected.report.checkInDay = .monday
    expected.report.period = 14 * 86_400

    expected.state.directory = "/srv/leafwatch"
    expected.state.checkpointInterval = 30
    return expected
}

/// One line in a section and the exact error it must give as line 2 of `t.conf`.
struct InvalidValueCase: Sendable, CustomTestStringConvertible {
    var section: String
    var line: String
    var message: String

    var testDescription: String { "[\(section)] \(line)" }
}

private let spanExpected = "expected a time span such as 30s, 10min, 1h or 14d, from 1s to 400d"
private let priorityExpected = "expected a priority name (emerg, alert, crit, err, warning, notice, info, debug) or a number from 0 to 7"

let invalidValueCases: [InvalidValueCase] = [
    InvalidValueCase(section: "AuthFailuresPerIP", line: "Threshold=ten",
                     message: "invalid value 'ten' for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1"),
    InvalidValueCase(section: "AuthFailuresPerIP", line: "Threshold=0",
                     message: "invalid value '0' for Threshold= in [AuthFailuresPerIP]: it is out of range; expected a whole number from 1"),
    InvalidValueCase(section: "AuthFailuresPerIP", line: "Threshold=-5",
                     message: "invalid value '-5' for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1"),
    InvalidValueCase(section: "AuthFailuresPerIP", line: "Threshold=",
                     message: "missing value for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1"),
    InvalidValueCase(section: "AuthFailuresPerUser", line: "Window=5mins",
                     message: "invalid value '5mins' for Window= in [AuthFailuresPerUser]: unknown unit 'mins'; use us, ms, s, min, h, d, w, M (months) or y; \(spanExpected)"),
    InvalidValueCase(section: "AuthFailuresPerUser", line: "Window=0",
                     message: "invalid value '0' for Window= in [AuthFailuresPerUser]: a span of 0 is too short; \(spanExpected)"),
    InvalidValueCase(section: "NewClientForUser", line: "History=401d",
                     message: "invalid value '401d' for History= in [NewClientForUser]: it is longer than 400d; \(spanExpected)"),
    InvalidValueCase(section: "ServerErrorBurst", line: "Window=1500ms",
                     message: "invalid value '1500ms' for Window= in [ServerErrorBurst]: it is not a whole number of seconds; \(spanExpected)"),
    InvalidValueCase(section: "RequestFlood", line: "Priority=warn",
                     message: "invalid value 'warn' for Priority= in [RequestFlood]; \(priorityExpected); did you mean 'warning'?"),
    InvalidValueCase(section: "RequestFlood", line: "Priority=8",
                     message: "invalid value '8' for Priority= in [RequestFlood]; \(priorityExpected)"),
    InvalidValueCase(section: "RequestFlood", line: "Enabled=maybe",
                     message: "invalid value 'maybe' for Enabled= in [RequestFlood]; expected yes or no (also true/false, on/off, 1/0)"),
    InvalidValueCase(section: "Input", line: "MaxLineLength=32M",
                     message: "invalid value '32M' for MaxLineLength= in [Input]: it is out of range; expected a size in bytes from 1K to 16M, such as 64K (K is 1024 bytes, M is 1024K)"),
    InvalidValueCase(section: "Input", line: "MaxLineLength=64KB",
                     message: "invalid value '64KB' for MaxLineLength= in [Input]; expected a size in bytes from 1K to 16M, such as 64K (K is 1024 bytes, M is 1024K)"),
    InvalidValueCase(section: "Input", line: "StartAt=begin",
                     message: "invalid value 'begin' for StartAt= in [Input]; expected end or beginning; did you mean 'beginning'?"),
    InvalidValueCase(section: "Input", line: "TimeZone=Mars/Olympus",
                     message: "invalid value 'Mars/Olympus' for TimeZone= in [Input]: the time zone is unknown; expected an IANA time zone name such as Europe/Berlin, or nothing for the system's zone"),
    InvalidValueCase(section: "Input", line: "LogFormat=%h %Z",
                     message: "invalid value '%h %Z' for LogFormat= in [Input]: unknown directive '%Z' at byte offset 3; expected a nickname (common, combined, vhost_combined, combinedio, nginx), an Apache LogFormat string or an nginx log_format string"),
    InvalidValueCase(section: "Input", line: "LogFormat=combine",
                     message: "invalid value 'combine' for LogFormat= in [Input]: it is not a known nickname; expected a nickname (common, combined, vhost_combined, combinedio, nginx), an Apache LogFormat string or an nginx log_format string; did you mean 'combined'?"),
    InvalidValueCase(section: "Input", line: "TrustedProxies=192.0.2.1 proxy.example.com",
                     message: "invalid value '192.0.2.1 proxy.example.com' for TrustedProxies= in [Input]: 'proxy.example.com' is not an IP address; expected IP addresses or CIDR networks separated by spaces, such as 192.0.2.10 10.0.0.0/8 2001:db8::/32, or nothing"),
    InvalidValueCase(section: "Input", line: "TrustedProxies=10.0.0.0/33",
                     message: "invalid value '10.0.0.0/33' for TrustedProxies= in [Input]: '10.0.0.0/33' has an invalid prefix length; IPv4 allows 0 to 32 and IPv6 0 to 128; expected IP addresses or CIDR networks separated by spaces, such as 192.0.2.10 10.0.0.0/8 2001:db8::/32, or nothing"),
    InvalidValueCase(section: "Input", line: "AccessLog=access.log",
                     message: "invalid value 'access.log' for AccessLog= in [Input]: the path is not absolute; expected an absolute path or shell glob such as /var/log/apache2/*access.log"),
    InvalidValueCase(section: "NewClientForUser", line: "IPv6PrefixLength=129",
                     message: "invalid value '129' for IPv6PrefixLength= in [NewClientForUser]: it is out of range; expected a whole number from 1 to 128"),
    InvalidValueCase(section: "ServerErrorBurst", line: "Ratio=120%",
                     message: "invalid value '120%' for Ratio= in [ServerErrorBurst]: it is out of range; expected a percentage from 0% to 100% such as 10%, where 0 turns the ratio rule off"),
    InvalidValueCase(section: "ServerErrorBurst", line: "Ratio=ten%",
                     message: "invalid value 'ten%' for Ratio= in [ServerErrorBurst]; expected a percentage from 0% to 100% such as 10%, where 0 turns the ratio rule off"),
    InvalidValueCase(section: "Alerts", line: "MaxTrackedKeys=10000001",
                     message: "invalid value '10000001' for MaxTrackedKeys= in [Alerts]: it is out of range; expected a whole number from 1 to 10000000"),
    InvalidValueCase(section: "Alerts", line: "MaxMessageLength=8K",
                     message: "invalid value '8K' for MaxMessageLength= in [Alerts]: it is out of range; expected a size in bytes from 64 to 4096"),
    InvalidValueCase(section: "Alerts", line: "UpdateInterval=soon",
                     message: "invalid value 'soon' for UpdateInterval= in [Alerts]: missing number at 'soon'; \(spanExpected), or nothing for the detector's window"),
    InvalidValueCase(section: "Report", line: "To=ops@example.com bob",
                     message: "invalid value 'ops@example.com bob' for To= in [Report]: 'bob' is not a mail address; expected mail addresses separated by spaces, such as ops@example.com"),
    InvalidValueCase(section: "Report", line: "From=a@example.com b@example.com",
                     message: "invalid value 'a@example.com b@example.com' for From= in [Report]: it contains 2 addresses; expected one mail address such as leafwatch@example.com, or nothing for leafwatch@ and the host name"),
    InvalidValueCase(section: "Report", line: "Sendmail=sendmail -t",
                     message: "invalid value 'sendmail -t' for Sendmail= in [Report]; expected a command line that starts with an absolute path, such as /usr/sbin/sendmail -t -oi"),
    InvalidValueCase(section: "Report", line: "CheckInDay=Thursdy",
                     message: "invalid value 'Thursdy' for CheckInDay= in [Report]; expected an English weekday name such as Thursday; did you mean 'Thursday'?"),
    InvalidValueCase(section: "State", line: "Directory=var/lib/leafwatch",
                     message: "invalid value 'var/lib/leafwatch' for Directory= in [State]: the path is not absolute; expected an absolute path such as /var/lib/leafwatch"),
    InvalidValueCase(section: "State", line: "CheckpointInterval=2h",
                     message: "invalid value '2h' for CheckpointInterval= in [State]; expected a time span from 1s to 1h such as 5s"),
]

@Suite struct ConfigurationParserTests {
    // MARK: Values

    @Test func noFilesGiveDefaults() throws {
        #expect(try ConfigurationParser.parse([]) == Configuration.defaults)
        #expect(try parse("") == Configuration.defaults)
        #expect(try parse("[Input]\n[Report]\n") == Configuration.defaults)
    }

    @Test func defaultValues() {
        let defaults = Configuration.defaults
        #expect(defaults.input.accessLogs == ["/var/log/apache2/*access.log"])
        #expect(defaults.input.errorLogs == ["/var/log/apache2/*error.log"])
        #expect(defaults.input.logFormat.source == "combined")
        #expect(defaults.input.ignorePaths == ["*.gif", "*.jpg", "*.png", "*.swf", "*.ico"])
        #expect(defaults.input.trustedProxies.isEmpty)
        #expect(defaults.input.timeZone == nil)
        #expect(defaults.input.maxLineLength == 65_536)
        #expect(defaults.input.startAt == .end)
        #expect(defaults.authFailuresPerIP.threshold == 5)
        #expect(defaults.authFailuresPerIP.window == 600)
        #expect(defaults.authFailuresPerIP.escalatedPriority == .crit)
        #expect(defaults.authFailuresPerUser.window == 3600)
        #expect(defaults.newClientForUser.priority == .notice)
        #expect(defaults.newClientForUser.history == 90 * 86_400)
        #expect(defaults.newClientForUser.learningPeriod == 14 * 86_400)
        #expect(defaults.serverErrorBurst.ratioPercent == 10)
        #expect(defaults.serverErrorBurst.ratioWindow == 300)
        #expect(defaults.requestFlood.threshold == 600)
        #expect(defaults.alerts.updateInterval == nil)
        #expect(defaults.report.sendmailCommand == "/usr/sbin/sendmail -t -oi")
        #expect(defaults.report.checkInDay == .thursday)
        #expect(defaults.report.period == 7 * 86_400)
        #expect(defaults.state.directory == "/var/lib/leafwatch")
        #expect(defaults.state.checkpointInterval == 5)
    }

    @Test func everyKeySet() throws {
        #expect(try parse(everyKeyText) == everyKeyConfiguration())
    }

    @Test func everyKeyDiffersFromDefault() throws {
        // Guards the test above: a key left at its default there would not be checked.
        let set = try everyKeyConfiguration()
        for (section, defaultSection) in zip(Mirror(reflecting: set).children, Mirror(reflecting: Configuration.defaults).children) {
            for (value, defaultValue) in zip(Mirror(reflecting: section.value).children, Mirror(reflecting: defaultSection.value).children) {
                #expect(String(describing: value.value) != String(describing: defaultValue.value), "\(section.label!).\(value.label!)")
            }
        }
    }

    @Test func otherSpellings() throws {
        let configuration = try parse("""
            [AuthFailuresPerIP]
            Enabled=TRUE
            Priority=3
            EscalatedPriority=CRIT
            [Report]
            CheckInDay=fri
            [Input]
            StartAt=Beginning
            MaxLineLength=512k
            [ServerErrorBurst]
            Ratio=2.5
            """)
        #expect(configuration.authFailuresPerIP.enabled)
        #expect(configuration.authFailuresPerIP.priority == .err)
        #expect(configuration.authFailuresPerIP.escalatedPriority == .crit)
        #expect(configuration.report.checkInDay == .friday)
        #expect(configuration.input.startAt == .beginning)
        #expect(configuration.input.maxLineLength == 512 * 1024)
        #expect(configuration.serverErrorBurst.ratioPercent == 2.5)
    }

    @Test func ratioZeroAccepted() throws {
        #expect(try parse("[ServerErrorBurst]\nRatio=0").serverErrorBurst.ratioPercent == 0)
        #expect(try parse("[ServerErrorBurst]\nRatio=0%").serverErrorBurst.ratioPercent == 0)
        #expect(try parse("[ServerErrorBurst]\nRatio=100%").serverErrorBurst.ratioPercent == 100)
    }

    @Test func rangeLimitsAccepted() throws {
        let configuration = try parse("""
            [Input]
            MaxLineLength=1K
            [NewClientForUser]
            Window=400d
            IPv6PrefixLength=128
            [Alerts]
            MaxTrackedKeys=10000000
            MaxMessageLength=64
            [RequestFlood]
            Window=1s
            """)
        #expect(configuration.input.maxLineLength == 1024)
        #expect(configuration.newClientForUser.window == 400 * 86_400)
        #expect(configuration.newClientForUser.ipv6PrefixLength == 128)
        #expect(configuration.alerts.maxTrackedKeys == 10_000_000)
        #expect(configuration.alerts.maxMessageLength == 64)
        #expect(configuration.requestFlood.window == 1)
    }

    @Test func emptyValuesMeanDefaultBehaviour() throws {
        let configuration = try parse("""
            [Input]
            IgnorePaths=
            TimeZone=Europe/Berlin
            [Alerts]
            UpdateInterval=
            [Report]
            From=
            """)
        #expect(configuration.input.ignorePaths.isEmpty)
        #expect(configuration.alerts.updateInterval == nil)
        #expect(configuration.report.sender == nil)

        let reset = try ConfigurationParser.parse([
            ("main.conf", "[Input]\nTimeZone=Europe/Berlin\n"),
            ("main.conf.d/10-zone.conf", "[Input]\nTimeZone=\n"),
        ])
        #expect(reset.input.timeZone == nil)
    }

    @Test func customLogFormatCompiled() throws {
        let configuration = try parse(#"""
            [Input]
            LogFormat=%h %l %u %t "%r" %>s %b %D
            """#)
        #expect(configuration.input.logFormat == (try LogFormat(#"%h %l %u %t "%r" %>s %b %D"#)))
        #expect(configuration.input.logFormat.contains(.duration))
    }

    @Test func trustedProxiesMasked() throws {
        let configuration = try parse("[Input]\nTrustedProxies=10.1.2.3/8 2001:db8::1/32 ::ffff:192.0.2.0/120")
        #expect(configuration.input.trustedProxies.map(\.description) == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.0/24"])
    }

    @Test func networkContainment() throws {
        let network = try #require(Configuration.IPNetwork("192.0.2.0/24"))
        #expect(network.contains(try #require(ClientAddress.parse("192.0.2.200"))))
        #expect(!network.contains(try #require(ClientAddress.parse("192.0.3.1"))))
        #expect(!network.contains(try #require(ClientAddress.parse("2001:db8::1"))))

        let v6 = try #require(Configuration.IPNetwork("2001:db8:aa::/48"))
        #expect(v6.contains(try #require(ClientAddress.parse("2001:db8:aa:ffff::1"))))
        #expect(!v6.contains(try #require(ClientAddress.parse("2001:db8:ab::1"))))

        let everything = try #require(Configuration.IPNetwork("0.0.0.0/0"))
        #expect(everything.contains(try #require(ClientAddress.parse("203.0.113.66"))))

        let single = try #require(Configuration.IPNetwork("2001:db8::5"))
        #expect(single.prefixLength == 128)
        #expect(single.contains(try #require(ClientAddress.parse("2001:DB8:0::5"))))
        #expect(!single.contains(try #require(ClientAddress.parse("2001:db8::6"))))
    }

    @Test func networkSyntaxRejected() {
        for text in ["", "example.com", "10.0.0.0/", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/+8", "10.0.0.0/8/8", "::ffff:10.0.0.0/95"] {
            #expect(Configuration.IPNetwork(text) == nil, "\(text)")
        }
    }

    // MARK: Files and lists

    @Test func dropInOverrideOrder() throws {
        let configuration = try ConfigurationParser.parse([
            ("leafwatch.conf", "[AuthFailuresPerIP]\nThreshold=7\nWindow=20min\n[RequestFlood]\nThreshold=900\n"),
            ("leafwatch.conf.d/10-a.conf", "[AuthFailuresPerIP]\nThreshold=8\n"),
            ("leafwatch.conf.d/20-b.conf", "[AuthFailuresPerIP]\nThreshold=9\n"),
        ])
        #expect(configuration.authFailuresPerIP.threshold == 9)
        #expect(configuration.authFailuresPerIP.window == 1200)
        #expect(configuration.requestFlood.threshold == 900)
    }

    @Test func listAppendAndClear() throws {
        let appended = try parse("[Input]\nAccessLog=/a.log\nAccessLog=/b.log\n")
        #expect(appended.input.accessLogs == ["/a.log", "/b.log"])
        #expect(appended.input.errorLogs == ["/var/log/apache2/*error.log"])

        let cleared = try parse("[Input]\nAccessLog=/a.log\nAccessLog=\nAccessLog=/c.log\nErrorLog=\n")
        #expect(cleared.input.accessLogs == ["/c.log"])
        #expect(cleared.input.errorLogs == [])

        let acrossFiles = try ConfigurationParser.parse([
            ("main.conf", "[Input]\nAccessLog=/a.log\n[Report]\nTo=a@example.com\n"),
            ("main.conf.d/10.conf", "[Input]\nAccessLog=/b.log\n[Report]\nTo=b@example.com c@example.com\n"),
            ("main.conf.d/20.conf", "[Report]\nTo=\nTo=d@example.com\n"),
        ])
        #expect(acrossFiles.input.accessLogs == ["/a.log", "/b.log"])
        #expect(acrossFiles.report.recipients == ["d@example.com"])
    }

    @Test func errorsCollectedAcrossFiles() {
        let found = errors([
            ("main.conf", "[AuthFailuresPerIP]\nThreshold=ten\nWindow=forever\n"),
            ("main.conf.d/10.conf", "\n[Bogus]\n"),
        ])
        #expect(found == [
            "main.conf:2: invalid value 'ten' for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1",
            "main.conf:3: invalid value 'forever' for Window= in [AuthFailuresPerIP]: missing number at 'forever'; \(spanExpected)",
            "main.conf.d/10.conf:2: unknown section [Bogus]; valid sections are [Input], [AuthFailuresPerIP], [AuthFailuresPerUser], [NewClientForUser], [ServerErrorBurst], [RequestFlood], [Alerts], [Report], [State]",
        ])
    }

    // MARK: Errors

    @Test(arguments: invalidValueCases)
    func invalidValue(_ example: InvalidValueCase) {
        #expect(errors("[\(example.section)]\n\(example.line)\n") == ["t.conf:2: \(example.message)"])
    }

    @Test func unknownKeyHint() {
        #expect(errors("[AuthFailuresPerIP]\nEnabled=yes\nTreshold=5\n") == [
            "t.conf:3: unknown key 'Treshold' in [AuthFailuresPerIP]; did you mean 'Threshold'?",
        ])
    }

    @Test func unknownKeyCaseHint() {
        #expect(errors("[Input]\naccesslog=/a.log\n") == [
            "t.conf:2: unknown key 'accesslog' in [Input]; did you mean 'AccessLog'?",
        ])
    }

    @Test func reportPeriodOfSecondsRejected() {
        // A bare number is seconds, which a weekly report never means.
        #expect(errors("[Report]\nPeriod=7\n") == [
            "t.conf:2: invalid value '7' for Period= in [Report]: a report period shorter than 1h is too short; "
                + "expected a time span from 1h to 400d such as 7d",
        ])
        #expect(errors("[Report]\nPeriod=1h\n").isEmpty)
        #expect(errors("[Report]\nPeriod=400d\n").isEmpty)
    }

    @Test func keyOfAnotherSection() {
        #expect(errors("[Alerts]\nPeriod=7d\n") == [
            "t.conf:2: unknown key 'Period' in [Alerts]; Period= is a key of [Report]",
        ])
        #expect(errors("[Alerts]\nThreshold=7\n") == [
            "t.conf:2: unknown key 'Threshold' in [Alerts]; Threshold= is a key of [AuthFailuresPerIP], [AuthFailuresPerUser], [NewClientForUser], [ServerErrorBurst], [RequestFlood]",
        ])
    }

    @Test func unknownKeyWithoutHint() {
        #expect(errors("[State]\nFrobnicate=1\n") == [
            "t.conf:2: unknown key 'Frobnicate' in [State]; valid keys are Directory, CheckpointInterval",
        ])
        // Four edits away is too far for a hint.
        #expect(errors("[RequestFlood]\nWindowpane=1\n") == [
            "t.conf:2: unknown key 'Windowpane' in [RequestFlood]; valid keys are Enabled, Threshold, Window, Priority",
        ])
    }

    @Test func unknownSectionHint() {
        // The keys of an unknown section are skipped without errors of their own.
        #expect(errors("[Imput]\nAccessLog=/a.log\nBogus=1\n") == [
            "t.conf:1: unknown section [Imput]; did you mean [Input]?",
        ])
        #expect(errors("[alerts]\n") == ["t.conf:1: unknown section [alerts]; did you mean [Alerts]?"])
    }

    @Test func keyBeforeSection() {
        #expect(errors("# comment\nDirectory=/srv\n[State]\n") == [
            "t.conf:2: key 'Directory' appears before any [Section] header; put it under [State]",
        ])
        #expect(errors("Window=1h\n") == [
            "t.conf:1: key 'Window' appears before any [Section] header; put it under one of [AuthFailuresPerIP], [AuthFailuresPerUser], [NewClientForUser], [ServerErrorBurst], [RequestFlood]",
        ])
    }

    @Test func malformedLines() {
        #expect(errors("[Input]\njust some words\n=value\n[Report\n") == [
            "t.conf:2: invalid line 'just some words'; expected Key=value or a [Section] header",
            "t.conf:3: missing key name before '=' in '=value'",
            "t.conf:4: invalid section header '[Report'; expected a name in brackets such as [Input]",
        ])
    }

    @Test func controlCharactersEscaped() {
        #expect(errors("[AuthFailuresPerIP]\nThreshold=1\u{1B}[2J\n") == [
            "t.conf:2: invalid value '1\\x1b[2J' for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1",
        ])
    }

    @Test func extensionNamesIgnored() throws {
        let configuration = try parse("[X-Local]\nAnything=at all\n[Input]\nX-Owner=web team\nStartAt=beginning\n")
        #expect(configuration.input.startAt == .beginning)
    }

    // MARK: Duplicates

    @Test func duplicateKeyInOneFile() {
        #expect(errors("[AuthFailuresPerIP]\nThreshold=5\nWindow=1h\nThreshold=7\n") == [
            "t.conf:4: duplicate key Threshold= in [AuthFailuresPerIP] with value '7'; it is already set on line 2; remove one of them",
        ])
    }

    @Test func duplicateAcrossRepeatedSection() {
        #expect(errors("[Report]\nPeriod=7d\n[State]\n[Report]\nPeriod=14d\n") == [
            "t.conf:5: duplicate key Period= in [Report] with value '14d'; it is already set on line 2; remove one of them",
        ])
    }

    @Test func sameKeyInOtherSections() throws {
        let configuration = try parse("[AuthFailuresPerIP]\nThreshold=6\n[AuthFailuresPerUser]\nThreshold=4\n")
        #expect(configuration.authFailuresPerIP.threshold == 6)
        #expect(configuration.authFailuresPerUser.threshold == 4)
    }

    @Test func sameKeyInTwoFiles() throws {
        let configuration = try ConfigurationParser.parse([
            ("a.conf", "[Report]\nPeriod=7d\n"),
            ("b.conf", "[Report]\nPeriod=14d\n"),
        ])
        #expect(configuration.report.period == 14 * 86_400)
    }

    // MARK: Syntax

    @Test func commentsAndBlankLines() throws {
        let configuration = try parse("""
            # a comment
            ; another comment
               # an indented comment

            [Input]
            #StartAt=beginning
            IgnorePaths=*.gif #not-a-comment
            """)
        #expect(configuration.input.startAt == .end)
        #expect(configuration.input.ignorePaths == ["*.gif", "#not-a-comment"])
    }

    @Test func spacesAroundKeyAndValue() throws {
        let configuration = try parse("  [Input]  \n  StartAt  =  beginning  \n\tTimeZone\t=\tEurope/Berlin\n")
        #expect(configuration.input.startAt == .beginning)
        #expect(configuration.input.timeZone == "Europe/Berlin")
    }

    @Test func quotedValues() throws {
        let configuration = try parse(#"""
            [Input]
            LogFormat="%h %l %u %t \"%r\" %>s %b"
            TimeZone=""
            [Report]
            Sendmail="/usr/sbin/sendmail -t"
            """#)
        #expect(configuration.input.logFormat.source == #"%h %l %u %t "%r" %>s %b"#)
        #expect(configuration.input.timeZone == nil)
        #expect(configuration.report.sendmailCommand == "/usr/sbin/sendmail -t")
    }

    @Test func innerQuotesKept() throws {
        // Quotes at both ends that are not one quoted string stay part of the value.
        let configuration = try parse(#"""
            [Input]
            LogFormat="%r" %h "%{User-Agent}i"
            """#)
        #expect(configuration.input.logFormat.source == #""%r" %h "%{User-Agent}i""#)
    }

    @Test func continuationLines() throws {
        let configuration = try parse("""
            [Input]
            IgnorePaths=*.gif \\
            # a comment between continued lines is skipped
                *.png \\
                *.css
            StartAt=beginning
            """)
        #expect(configuration.input.ignorePaths == ["*.gif", "*.png", "*.css"])
        #expect(configuration.input.startAt == .beginning)
    }

    @Test func continuationErrorLine() {
        // The error names the line where the continued assignment starts.
        #expect(errors("[AuthFailuresPerIP]\nThreshold=\\\n  ten\nWindow=x\n") == [
            "t.conf:2: invalid value 'ten' for Threshold= in [AuthFailuresPerIP]; expected a whole number from 1",
            "t.conf:4: invalid value 'x' for Window= in [AuthFailuresPerIP]: missing number at 'x'; \(spanExpected)",
        ])
    }

    @Test func continuationAtEndOfFile() throws {
        #expect(try parse("[Input]\nIgnorePaths=*.gif \\").input.ignorePaths == ["*.gif"])
    }

    @Test func crlfLineEnds() throws {
        let text = everyKeyText.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        #expect(try parse(text) == everyKeyConfiguration())
        #expect(errors("[Input]\r\nStartAt=end\r\nStartAt=middle\r\n") == [
            "t.conf:3: duplicate key StartAt= in [Input] with value 'middle'; it is already set on line 2; remove one of them",
        ])
        #expect(try parse("[Input]\r\nIgnorePaths=*.gif \\\r\n *.png\r\n").input.ignorePaths == ["*.gif", "*.png"])
    }

    @Test func byteOrderMark() throws {
        #expect(try parse("\u{FEFF}[Input]\nStartAt=beginning\n").input.startAt == .beginning)
        #expect(errors("\u{FEFF}[Imput]\n") == ["t.conf:1: unknown section [Imput]; did you mean [Input]?"])
    }

    // MARK: Shipped file and rendering

    @Test func shippedConfigIsDefaults() throws {
        let text = try shippedConfiguration()
        #expect(try ConfigurationParser.parse([("config/leafwatch.conf", text)]) == Configuration.defaults)
    }

    @Test func shippedConfigUncommented() throws {
        // Every commented-out `#Key=value` line, made active, must state the default.
        let lines = try shippedConfiguration().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.first == "#" && line.dropFirst().first?.isLetter == true ? String(line.dropFirst()) : String(line)
        }
        let text = lines.joined(separator: "\n")
        #expect(text.contains("\nThreshold=5\n"))
        #expect(try ConfigurationParser.parse([("config/leafwatch.conf", text)]) == Configuration.defaults)
    }

    @Test func shippedConfigKeyOrder() throws {
        var shipped: [String] = []
        var section = ""
        for line in try shippedConfiguration().split(separator: "\n") {
            if line.hasPrefix("[") {
                section = String(line)
            } else if line.first == "#", line.dropFirst().first?.isLetter == true, let equals = line.firstIndex(of: "=") {
                shipped.append(section + line[line.index(after: line.startIndex)..<equals])
            }
        }
        let rendered = Configuration.defaults.renderedSections.flatMap { section in
            section.lines.map { "[\(section.name)]" + $0.key }
        }
        let schema = ConfigurationSchema.sections.flatMap { section in
            section.keys.map { "[\(section.name)]" + $0.name }
        }
        #expect(shipped == schema)
        #expect(rendered == schema)
    }

    @Test func renderedDefaults() {
        let text = Configuration.defaults.renderedText
        #expect(text.hasPrefix("[Input]\nAccessLog=/var/log/apache2/*access.log\nErrorLog=/var/log/apache2/*error.log\nLogFormat=combined\n"))
        #expect(text.contains("\nMaxLineLength=64K\n"))
        #expect(text.contains("\nTrustedProxies=\n"))
        #expect(text.contains("[AuthFailuresPerIP]\nEnabled=yes\nThreshold=5\nWindow=10min\nPriority=warning\nEscalatedPriority=crit\n"))
        #expect(text.contains("\nHistory=90d\nLearningPeriod=14d\n"))
        #expect(text.contains("\nRatio=10%\nRatioWindow=5min\n"))
        #expect(text.contains("\nUpdateInterval=\n"))
        #expect(text.contains("\nCheckInDay=Thursday\nPeriod=7d\n"))
        #expect(text.hasSuffix("[State]\nDirectory=/var/lib/leafwatch\nCheckpointInterval=5s\n"))
    }

    @Test func renderingRoundTrips() throws {
        for configuration in [Configuration.defaults, try everyKeyConfiguration()] {
            #expect(try parse(configuration.renderedText) == configuration)
        }
        var cleared = Configuration.defaults
        cleared.input.accessLogs = []
        cleared.input.ignorePaths = []
        cleared.input.logFormat = try LogFormat(#""%r" %h "%{User-Agent}i""#)
        cleared.report.sendmailCommand = #"/usr/local/bin/mail-it --tag "weekly" "#
        #expect(try parse(cleared.renderedText) == cleared)
    }
}

import Foundation
import Testing
@testable import LeafwatchCore

// MARK: - Helpers

/// `Tests/Fixtures/error`, found from this file's path.
private let errorFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
    .appendingPathComponent("error")

private let newYork = LocalTimeZone(identifier: "America/New_York")!

private func parse(_ line: String, zone: LocalTimeZone = .utc) -> ErrorLogRecord? {
    parse(Array(line.utf8), zone: zone)
}

private func parse(_ bytes: [UInt8], zone: LocalTimeZone = .utc) -> ErrorLogRecord? {
    var parser = ErrorLogParser(timeZone: zone)
    return bytes.withUnsafeBufferPointer { parser.parse($0) }
}

private func looksLikeErrorLog(_ line: String) -> Bool {
    Array(line.utf8).withUnsafeBufferPointer { ErrorLogParser.looksLikeErrorLog($0) }
}

/// The lines of a fixture split at `\n` only, so that a `\r` before it stays
/// in the line. A last line without a newline is included.
private func fixtureLines(_ path: String) throws -> [[UInt8]] {
    let data = try Data(contentsOf: errorFixtures.appendingPathComponent(path))
    var lines = [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines
}

private func iso(_ time: Int64?) -> String? {
    time.map(CivilTime.iso8601)
}

// MARK: - Client position

@Test func clientOnlyFromClientPosition() throws {
    let record = try #require(parse(
        "[Sat Jun 01 02:17:42 2013] [error] [client 192.0.2.1] File does not exist: /srv/http/site/[client 198.51.100.9] user root not found"))
    #expect(record.dialect == .apache22)
    #expect(record.client == "192.0.2.1")
    #expect(record.clientPort == nil)
    #expect(record.event == nil)
    #expect(record.message == "File does not exist: /srv/http/site/[client 198.51.100.9] user root not found")
}

@Test func injectionInMessageNamesNoClient() throws {
    // The second `[client …]` lies inside the message, after the real
    // client prefix and the message code.
    let apache = try #require(parse(
        "[Sun Mar 10 14:02:23.000000 2024] [core:info] [pid 3001:tid 140010] [client 192.0.2.15:40008] AH00128: File does not exist: /var/www/html/[client 198.51.100.99:1] AH01618: user root not found: /"))
    #expect(apache.client == "192.0.2.15")
    #expect(apache.clientPort == 40008)
    #expect(apache.code == "AH00128")
    #expect(apache.event == nil)

    // The user name carries a forged nginx suffix, and the real one follows the message.
    let nginx = try #require(parse(
        #"2024/03/10 14:02:11 [error] 100#100: *7 user "x": password mismatch, client: 198.51.100.9, server: www.example.org, request: "GET / HTTP/1.1", host: "www.example.org"" was not found in "/etc/nginx/.htpasswd", client: 192.0.2.5, server: www.example.org, request: "GET /admin HTTP/1.1", host: "www.example.org""#))
    #expect(nginx.client == "192.0.2.5")
    #expect(nginx.request == "GET /admin HTTP/1.1")
    #expect(nginx.event == .authenticationFailure(
        user: #"x": password mismatch, client: 198.51.100.9, server: www.example.org, request: "GET / HTTP/1.1", host: "www.example.org""#,
        reason: .userNotFound))
}

@Test func apache24SplitsPortAtLastColon() throws {
    let ipv6 = try #require(parse(
        "[Sun Mar 10 14:02:12.000001 2024] [auth_basic:error] [pid 2211:tid 140002] [client 2001:db8::10:51240] AH01618: user mallory not found: /admin"))
    #expect(ipv6.client == "2001:db8::10")
    #expect(ipv6.clientPort == 51240)

    let bracketed = try #require(parse(
        "[Sat Jul 20 22:11:44.147674 2013] [authz_owner:error] [pid 17540:tid 140122922129152] [client [2001:db8::80da:af6b:8b2c]:51548] AH01637: Authorization of user eve to access /private failed, reason: file owner dan does not match"))
    #expect(bracketed.client == "2001:db8::80da:af6b:8b2c")
    #expect(bracketed.clientPort == 51548)
    #expect(bracketed.event == .authorizationDenied(user: "eve"))

    let ipv4 = try #require(parse(
        "[Sun Mar 10 14:02:11.123456 2024] [core:error] [pid 1] [client 192.0.2.10:51234] AH00126: Invalid URI in request GET /a HTTP/1.1"))
    #expect(ipv4.client == "192.0.2.10")
    #expect(ipv4.clientPort == 51234)

    let mapped = try #require(parse(
        "[Sun Mar 10 14:02:11.123456 2024] [core:error] [pid 1] [client ::ffff:192.0.2.10:51234] AH00126: Invalid URI in request GET /a HTTP/1.1"))
    #expect(mapped.client == "::ffff:192.0.2.10")
    #expect(mapped.clientPort == 51234)
}

@Test func apache24ClientWithoutPortStaysWhole() throws {
    let ipv4 = try #require(parse(
        "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.7] File does not exist: /usr/local/apache2/htdocs/favicon.ico"))
    #expect(ipv4.client == "192.0.2.7")
    #expect(ipv4.clientPort == nil)

    let ipv6 = try #require(parse(
        "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708] [client 2001:db8::10] File does not exist: /x"))
    #expect(ipv6.client == "2001:db8::10")
    #expect(ipv6.clientPort == nil)
}

@Test func apache22KeepsIPv6Whole() throws {
    let record = try #require(parse(
        "[Wed Oct 11 14:33:01 2000] [error] [client 2001:db8::1:2] user bob: authentication failure for \"/admin\": Password Mismatch"))
    #expect(record.dialect == .apache22)
    #expect(record.client == "2001:db8::1:2")
    #expect(record.clientPort == nil)
}

@Test func remoteIsNotClient() throws {
    let record = try #require(parse(
        "[Sun Mar 10 14:02:22.000000 2024] [proxy:error] [pid 3001:tid 140009] [remote 127.0.0.1:8080] AH01084: pass request body failed to 127.0.0.1:8080 (127.0.0.1)"))
    #expect(record.client == nil)
    #expect(record.clientPort == nil)
    #expect(record.remote == "127.0.0.1")
    #expect(record.remotePort == 8080)
    #expect(record.code == "AH01084")
}

@Test func nginxEmptyServerKeepsClient() throws {
    let record = try #require(parse(
        #"2014/04/01 22:20:38 [error] 30708#0: *3 user "alice": password mismatch, client: 192.0.2.20, server: , request: "GET / HTTP/1.1", host: "localhost:8443""#))
    #expect(record.client == "192.0.2.20")
    #expect(record.server == "")
    #expect(record.request == "GET / HTTP/1.1")
    #expect(record.event == .authenticationFailure(user: "alice", reason: .passwordMismatch))
}

@Test func nginxFieldsAndReferrer() throws {
    let record = try #require(parse(
        #"2016/10/25 14:49:34 [error] 54053#0: *1 open() "/srv/www/favicon.ico" failed (2: No such file or directory), client: 2001:db8::5, server: _, request: "GET /favicon.ico HTTP/1.1", host: "www.example.org", referrer: "https://www.example.org/""#))
    #expect(record.dialect == .nginx)
    #expect(iso(record.time) == "2016-10-25T14:49:34Z")
    #expect(record.level == "error")
    #expect(record.pid == 54053)
    #expect(record.threadID == 0)
    #expect(record.connectionID == 1)
    #expect(record.client == "2001:db8::5")
    #expect(record.clientPort == nil)
    #expect(record.server == "_")
    #expect(record.request == "GET /favicon.ico HTTP/1.1")
    #expect(record.referer == "https://www.example.org/")
    #expect(record.message == #"open() "/srv/www/favicon.ico" failed (2: No such file or directory)"#)
    #expect(record.module == nil)
    #expect(record.code == nil)
    #expect(record.event == nil)
}

@Test func nginxQuoteInRequestKeepsClient() throws {
    // The quote in the request line fails the strict suffix check, so the
    // first candidate with a valid address is taken.
    let record = try #require(parse(
        #"2024/03/10 14:02:11 [error] 100#100: *9 open() "/srv/a"b" failed (2: No such file or directory), client: 192.0.2.30, server: www.example.org, request: "GET /a"b HTTP/1.1", host: "www.example.org""#))
    #expect(record.client == "192.0.2.30")
    #expect(record.request == #"GET /a"b HTTP/1.1"#)
}

@Test func nginxLineWithoutClient() throws {
    let record = try #require(parse("2024/03/10 14:02:11 [notice] 1#1: signal process started"))
    #expect(record.client == nil)
    #expect(record.connectionID == nil)
    #expect(record.pid == 1)
    #expect(record.level == "notice")
    #expect(record.message == "signal process started")
}

// MARK: - Line endings, bytes and timestamps

@Test func crlfAndNoFinalNewline() throws {
    let lines = try fixtureLines("loghub/Apache_2k.log")
    #expect(lines.count == 2000)
    #expect(lines.last?.last != UInt8(ascii: "\r"))

    var parser = ErrorLogParser(timeZone: .utc)
    var parsed = 0
    var withClient = 0
    for line in lines {
        guard let record = line.withUnsafeBufferPointer({ parser.parse($0) }) else { continue }
        parsed += 1
        #expect(!record.message.hasSuffix("\r"))
        #expect(record.dialect == .apache22)
        if record.client != nil { withClient += 1 }
    }
    #expect(parsed == 2000)
    #expect(withClient == 32)

    let last = try #require(parse(lines[lines.count - 1]))
    #expect(last.message == "mod_jk child workerEnv in error state 6")
    let first = try #require(parse(lines[0]))
    #expect(first.message == "workerEnv.init() ok /etc/httpd/conf/workers2.properties")
    #expect(iso(first.time) == "2005-12-04T04:47:44Z")
}

@Test func crlfStrippedBeforeReferer() throws {
    let record = try #require(parse(
        "[Mon Dec 26 16:22:00 2016] [error] [client 192.0.2.1] File does not exist: /var/www/favicon.ico, referer: http://www.example.org/\r"))
    #expect(record.referer == "http://www.example.org/")
}

@Test func timestampWithoutOffsetUsesZone() throws {
    let apache24 = "[Sun Mar 10 14:02:11.123456 2024] [auth_basic:error] [pid 2211] [client 192.0.2.10:51234] AH01617: user alice: authentication failure for \"/admin\": Password Mismatch"
    #expect(iso(parse(apache24, zone: .utc)?.time) == "2024-03-10T14:02:11Z")
    // Daylight saving time began in New York at 02:00 that day: UTC-4.
    #expect(iso(parse(apache24, zone: newYork)?.time) == "2024-03-10T18:02:11Z")

    let apache22 = "[Wed Jan 11 14:32:52 2000] [notice] Apache/2.2.34 (Unix) configured -- resuming normal operations"
    #expect(iso(parse(apache22, zone: .utc)?.time) == "2000-01-11T14:32:52Z")
    #expect(iso(parse(apache22, zone: newYork)?.time) == "2000-01-11T19:32:52Z")

    let nginx = "2024/07/01 09:00:00 [warn] 1#1: something"
    #expect(iso(parse(nginx, zone: .utc)?.time) == "2024-07-01T09:00:00Z")
    #expect(iso(parse(nginx, zone: newYork)?.time) == "2024-07-01T13:00:00Z")
}

@Test func spacePaddedDayParses() throws {
    let record = try #require(parse("[Sun Mar  3 14:02:11 2024] [notice] started"))
    #expect(iso(record.time) == "2024-03-03T14:02:11Z")
}

@Test func invalidDateIsNoTimestamp() {
    #expect(parse("[Sun Feb 30 14:02:11 2024] [notice] started") == nil)
    #expect(parse("2024/02/30 14:02:11 [error] 1#1: x") == nil)
}

@Test func nonUTF8BytesKept() throws {
    var bytes = Array("[Sun Mar 10 14:02:28.000000 2024] [core:error] [pid 3002:tid 140015] [client 192.0.2.19:40012] AH00135: Invalid method in request ".utf8)
    bytes += [0x16, 0x03, 0x01, 0xFF, 0xC3]
    let record = try #require(parse(bytes))
    #expect(record.client == "192.0.2.19")
    #expect(record.code == "AH00135")
    #expect(record.message == "Invalid method in request \u{16}\u{03}\u{01}\u{FFFD}\u{FFFD}")

    var nginxBytes = Array(#"2024/03/10 14:02:11 [error] 1#1: *2 user ""#.utf8)
    nginxBytes += [0xE9, 0x76, 0x65]
    nginxBytes += Array(#"" was not found in "/etc/nginx/.htpasswd", client: 192.0.2.4, server: a"#.utf8)
    let nginx = try #require(parse(nginxBytes))
    #expect(nginx.client == "192.0.2.4")
    #expect(nginx.event == .authenticationFailure(user: "\u{FFFD}ve", reason: .userNotFound))
}

@Test func emptyAndForeignLinesAreNil() {
    #expect(parse("") == nil)
    #expect(parse("\r") == nil)
    #expect(parse("PHP message: PHP Warning:  Declaration of A::b() should be compatible") == nil)
    #expect(parse(#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#) == nil)
    #expect(parse("[something] else") == nil)
    #expect(parse("apache2: Syntax error on line 3 of /etc/apache2/apache2.conf") == nil)
}

// MARK: - Prefixes

@Test func untimestampedCodeLineParses() throws {
    let record = try #require(parse(
        "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 127.0.1.1."))
    #expect(record.time == nil)
    #expect(record.dialect == .apache24)
    #expect(record.level == "")
    #expect(record.code == "AH00558")
    #expect(record.message == "apache2: Could not reliably determine the server's fully qualified domain name, using 127.0.1.1.")
}

@Test func syslogMessageWithoutTimestamp() throws {
    let apache24 = try #require(parse(
        "[authz_core:error] [pid 22034] [client 192.0.2.1:58585] AH01630: client denied by server configuration: /home/www/"))
    #expect(apache24.time == nil)
    #expect(apache24.dialect == .apache24)
    #expect(apache24.module == "authz_core")
    #expect(apache24.client == "192.0.2.1")
    #expect(apache24.event == .authorizationDenied(user: nil))

    let emptyModule = try #require(parse("[:error] [pid 18154:tid 140680873617152] [client 192.0.2.3:48154] AH01630: client denied"))
    #expect(emptyModule.module == nil)
    #expect(emptyModule.level == "error")
    #expect(emptyModule.threadID == 140680873617152)

    let apache22 = try #require(parse("[error] [client 127.0.0.1] user wrongusername not found: /basic/file"))
    #expect(apache22.dialect == .apache22)
    #expect(apache22.event == .authenticationFailure(user: "wrongusername", reason: .userNotFound))

    #expect(parse("[verbose] [client 127.0.0.1] x") == nil)
}

@Test func errnoBeforeAndAfterClient() throws {
    let apache24 = try #require(parse(
        "[Sun Mar 10 14:02:20.000000 2024] [proxy:error] [pid 3001:tid 140007] (111)Connection refused: [client 192.0.2.14:40006] AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (127.0.0.1) failed"))
    #expect(apache24.errno == 111)
    #expect(apache24.errnoDescription == "Connection refused")
    #expect(apache24.client == "192.0.2.14")
    #expect(apache24.code == "AH00957")
    #expect(apache24.message == "HTTP: attempt to connect to 127.0.0.1:8080 (127.0.0.1) failed")

    let apache22 = try #require(parse(
        "[Wed Oct 11 14:32:52 2000] [error] [client 192.0.2.1] (13)Permission denied: access to /x denied"))
    #expect(apache22.errno == 13)
    #expect(apache22.errnoDescription == "Permission denied")
    #expect(apache22.message == "access to /x denied")

    let resolver = try #require(parse(
        "[Wed Oct 11 14:32:52 2000] [warn] (EAI 2)Name or service not known: Failed to resolve server name"))
    #expect(resolver.errno == nil)
    #expect(resolver.errnoDescription == "Name or service not known")
    #expect(resolver.message == "Failed to resolve server name")
}

@Test func sourceLocationOnTraceLines() throws {
    let trace = try #require(parse(
        "[Wed Oct 20 19:20:59.121211 2021] [rewrite:trace3] [pid 121591:tid 140413273032448] mod_rewrite.c(470): [client 192.0.2.8:38350] 192.0.2.8 - - [www.example.org/sid#55a374e851c8][rid#7fb438083ac0/initial] applying pattern"))
    #expect(trace.sourceLocation == "mod_rewrite.c(470)")
    #expect(trace.client == "192.0.2.8")
    #expect(trace.clientPort == 38350)
    #expect(trace.level == "trace3")
    #expect(trace.module == "rewrite")

    // Only debug and trace lines carry a source location.
    let error = try #require(parse("[Wed Oct 20 19:20:59.121211 2021] [core:error] [pid 1] util.c(12): odd message"))
    #expect(error.sourceLocation == nil)
    #expect(error.message == "util.c(12): odd message")
}

@Test func refererSplitsOnlyRequestLines() throws {
    let withClient = try #require(parse(
        "[Sun Mar 10 14:02:21.000000 2024] [proxy_http:error] [pid 3001:tid 140008] (70007)The timeout specified has expired: [client 192.0.2.14:40007] AH01102: error reading status line from remote server 127.0.0.1:8080, referer: https://www.example.org/app/"))
    #expect(withClient.referer == "https://www.example.org/app/")
    #expect(withClient.message == "error reading status line from remote server 127.0.0.1:8080")

    let startup = try #require(parse("[Wed Oct 11 14:32:52 2000] [notice] text, referer: not one"))
    #expect(startup.referer == nil)
    #expect(startup.message == "text, referer: not one")
}

// MARK: - Events

@Test func apacheAuthenticationCodes() throws {
    let prefix = "[Sun Mar 10 14:02:11.123456 2024] [auth_basic:error] [pid 1] [client 192.0.2.10:1234] "
    let cases: [(String, ErrorLogEvent?)] = [
        ("AH01617: user alice: authentication failure for \"/admin\": Password Mismatch, referer: https://www.example.org/",
         .authenticationFailure(user: "alice", reason: .passwordMismatch)),
        ("AH01618: user  not found: /admin", .authenticationFailure(user: "", reason: .userNotFound)),
        // Apache 2.4 escapes the name as in the access log's %u.
        (#"AH01618: user j\xc3\xbcrgen not found: /private/"#, .authenticationFailure(user: "jürgen", reason: .userNotFound)),
        (#"AH01617: user back\\slash: authentication failure for "/": Password Mismatch"#,
         .authenticationFailure(user: #"back\slash"#, reason: .passwordMismatch)),
        ("AH01614: client used wrong authentication scheme: /admin", .authenticationFailure(user: nil, reason: .wrongScheme)),
        ("AH01781: client used wrong authentication scheme `Basic': /dav/", .authenticationFailure(user: nil, reason: .wrongScheme)),
        ("AH01790: user `carol' in realm `private' not found: /dav/", .authenticationFailure(user: "carol", reason: .userNotFound)),
        ("AH01792: user carol: password mismatch: /dav/", .authenticationFailure(user: "carol", reason: .passwordMismatch)),
        ("AH01794: user carol: password mismatch: /dav/", .authenticationFailure(user: "carol", reason: .passwordMismatch)),
        ("AH01788: realm mismatch - got `a' but expected `b'", .authenticationFailure(user: nil, reason: .other)),
        ("AH01776: invalid nonce abc received - hash is not def", nil),
        ("AH01630: client denied by server configuration: /var/www/private", .authorizationDenied(user: nil)),
        ("AH01797: client denied by server configuration: /var/www/private", .authorizationDenied(user: nil)),
        ("AH01631: user dave: authorization failure for \"/admin\": ", .authorizationDenied(user: "dave")),
        ("AH00128: File does not exist: /x", nil),
        ("client denied by server configuration: /path/index.php", nil),
    ]
    for (message, expected) in cases {
        let record = try #require(parse(prefix + message))
        #expect(record.event == expected, "\(message)")
    }
}

@Test func apache22AuthenticationWordings() throws {
    let prefix = "[Wed Jul 17 22:18:52 2013] [error] [client 192.0.2.10] "
    let cases: [(String, ErrorLogEvent?)] = [
        ("user alice: authentication failure for \"/basic/file\": Password Mismatch",
         .authenticationFailure(user: "alice", reason: .passwordMismatch)),
        ("user mallory not found: /admin", .authenticationFailure(user: "mallory", reason: .userNotFound)),
        ("user root not found", .authenticationFailure(user: "root", reason: .userNotFound)),
        ("user gg not found: /, referer: http://www.example.org/", .authenticationFailure(user: "gg", reason: .userNotFound)),
        ("client used wrong authentication scheme: /basic/file", .authenticationFailure(user: nil, reason: .wrongScheme)),
        ("Digest: user `carol' in realm `private' not found: /dav/", .authenticationFailure(user: "carol", reason: .userNotFound)),
        ("Digest: user carol: password mismatch: /dav/", .authenticationFailure(user: "carol", reason: .passwordMismatch)),
        ("Digest: realm mismatch - got `a' but expected `b'", .authenticationFailure(user: nil, reason: .other)),
        ("Digest: unknown algorithm `x' received: /digest/", .authenticationFailure(user: nil, reason: .other)),
        ("Digest: invalid nonce abc received - length is not 52", .authenticationFailure(user: nil, reason: .other)),
        ("Digest: invalid nonce abc received - user attempted time travel", .authenticationFailure(user: nil, reason: .other)),
        ("Digest: invalid nonce abc received - hash is not def", nil),
        ("Digest: user carol: nonce expired (40.00 seconds old - max lifetime 30.00) - sending new nonce", nil),
        ("client denied by server configuration: /var/www/private", .authorizationDenied(user: nil)),
        ("Authorization of user eve to access /x failed, reason: file owner dan does not match.", .authorizationDenied(user: "eve")),
        ("access to /x failed, reason: user 'eve' does not meet 'require'ments for user/valid-user to be allowed access",
         .authorizationDenied(user: "eve")),
        ("File does not exist: /var/www/favicon.ico", nil),
        ("Directory index forbidden by rule: /var/www/html/", nil),
    ]
    for (message, expected) in cases {
        let record = try #require(parse(prefix + message))
        #expect(record.event == expected, "\(message)")
    }
}

@Test func nginxAuthenticationWordings() throws {
    let prefix = "2012/04/09 11:53:29 [error] 2865#0: *66647 "
    let suffix = #", client: 192.0.2.43, server: www.example.org, request: "GET / HTTP/1.1", host: "www.example.org""#
    let cases: [(String, ErrorLogEvent?)] = [
        (#"user "xyz" was not found in "/var/www/.htpasswd""#, .authenticationFailure(user: "xyz", reason: .userNotFound)),
        (#"user "xyz": password mismatch"#, .authenticationFailure(user: "xyz", reason: .passwordMismatch)),
        (#"user "scriben dio": password mismatch"#, .authenticationFailure(user: "scriben dio", reason: .passwordMismatch)),
        (#"user "": password mismatch"#, .authenticationFailure(user: "", reason: .passwordMismatch)),
        ("PAM: user 'bob' - not authenticated: Authentication failure", .authenticationFailure(user: "bob", reason: .other)),
        ("access forbidden by rule", .authorizationDenied(user: nil)),
        ("no user/password was provided for basic authentication", nil),
        (#"open() "/srv/x" failed (2: No such file or directory)"#, nil),
    ]
    for (message, expected) in cases {
        let record = try #require(parse(prefix + message + suffix))
        #expect(record.client == "192.0.2.43", "\(message)")
        #expect(record.event == expected, "\(message)")
    }
}

// MARK: - Format detection

@Test func looksLikeErrorLogDetectsFormats() {
    #expect(looksLikeErrorLog("[Wed Oct 11 14:32:52 2000] [error] [client 192.0.2.10] x"))
    #expect(looksLikeErrorLog("[Sun Mar 10 14:02:11.123456 2024] [auth_basic:error] [pid 2211] x"))
    #expect(looksLikeErrorLog("2012/04/09 11:53:29 [error] 2865#0: *66647 x"))
    #expect(looksLikeErrorLog("AH00558: apache2: Could not reliably determine the server's name\r"))
    #expect(!looksLikeErrorLog(#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#))
    #expect(!looksLikeErrorLog(#"[10/Oct/2000:13:55:36 -0700] 192.0.2.1 TLSv1.2 ECDHE "GET / HTTP/1.1" 2326"#))
    #expect(!looksLikeErrorLog("PHP message: PHP Warning: x"))
    #expect(!looksLikeErrorLog(""))
}

// MARK: - Fixture files

@Test func elasticBeatsFixturesParse() throws {
    for name in ["apache-error-test.log", "apache-error-ubuntu-2.2.22.log", "apache-error-sublevel.log"] {
        for line in try fixtureLines("elastic-beats/" + name) where !line.isEmpty {
            #expect(parse(line) != nil, "\(name): \(String(decoding: line, as: UTF8.self))")
        }
    }

    let test = try fixtureLines("elastic-beats/apache-error-test.log").compactMap { parse($0) }
    #expect(test.map(\.dialect) == [.apache22, .apache24, .apache24])
    #expect(test.map(\.client) == ["192.168.33.1", nil, "72.15.99.187"])
    #expect(test[1].code == "AH00094")
    #expect(test[1].pid == 11379)
    #expect(test[2].threadID == 4328636416)

    let ubuntu = try fixtureLines("elastic-beats/apache-error-ubuntu-2.2.22.log").compactMap { parse($0) }
    #expect(ubuntu.count == 7)
    #expect(ubuntu[1].referer == "http://192.168.33.72/")
    #expect(ubuntu[1].message == "File does not exist: /var/www/favicon.ico")

    // Lines 4 and 5 continue line 3's FastCGI message and are no records.
    let nginxLines = try fixtureLines("elastic-beats/nginx-error.log")
    #expect(nginxLines.count == 6)
    let nginx = nginxLines.map { parse($0) }
    #expect(nginx.map { $0 == nil } == [false, false, false, true, true, false])
    #expect(nginx[0]?.client == "127.0.0.1")
    #expect(nginx[0]?.referer == "http://localhost:8080/")
    #expect(nginx[2]?.client == nil)
    #expect(nginx[2]?.connectionID == 180289)
    #expect(nginx[5]?.request == "GET /pysio HTTP/1.1")
}

/// One row of the expected table for the 2.2-versus-2.4 fixture.
private struct ExpectedRow {
    var dialect: ErrorLogRecord.Dialect
    var level: String
    var module: String?
    var client: String?
    var port: Int?
    var errno: Int?
    var code: String?
    var event: ErrorLogEvent?
}

private let apacheVersionRows: [ExpectedRow] = [
    // 1-6: httpd 2.2
    .init(dialect: .apache22, level: "error", client: "192.0.2.10",
          event: .authenticationFailure(user: "alice", reason: .passwordMismatch)),
    .init(dialect: .apache22, level: "error", client: "192.0.2.10",
          event: .authenticationFailure(user: "mallory", reason: .userNotFound)),
    .init(dialect: .apache22, level: "error", client: "2001:db8::10",
          event: .authenticationFailure(user: "bob", reason: .passwordMismatch)),
    .init(dialect: .apache22, level: "error", client: "192.0.2.11",
          event: .authenticationFailure(user: "carol", reason: .userNotFound)),
    .init(dialect: .apache22, level: "error", client: "192.0.2.12", event: .authorizationDenied(user: nil)),
    .init(dialect: .apache22, level: "notice"),
    // 7-21: httpd 2.4
    .init(dialect: .apache24, level: "error", module: "auth_basic", client: "192.0.2.10", port: 51234, code: "AH01617",
          event: .authenticationFailure(user: "alice", reason: .passwordMismatch)),
    .init(dialect: .apache24, level: "error", module: "auth_basic", client: "2001:db8::10", port: 51240, code: "AH01618",
          event: .authenticationFailure(user: "mallory", reason: .userNotFound)),
    .init(dialect: .apache24, level: "error", module: "auth_basic", client: "198.51.100.3", port: 40000, code: "AH01618",
          event: .authenticationFailure(user: "", reason: .userNotFound)),
    .init(dialect: .apache24, level: "error", module: "auth_basic", client: "192.0.2.10", port: 51250, code: "AH01614",
          event: .authenticationFailure(user: nil, reason: .wrongScheme)),
    .init(dialect: .apache24, level: "error", module: "auth_digest", client: "192.0.2.11", port: 40001, code: "AH01790",
          event: .authenticationFailure(user: "carol", reason: .userNotFound)),
    .init(dialect: .apache24, level: "error", module: "auth_digest", client: "192.0.2.11", port: 40002, code: "AH01792",
          event: .authenticationFailure(user: "carol", reason: .passwordMismatch)),
    .init(dialect: .apache24, level: "error", module: "authz_core", client: "192.0.2.12", port: 40003, code: "AH01630",
          event: .authorizationDenied(user: nil)),
    .init(dialect: .apache24, level: "error", module: "access_compat", client: "192.0.2.12", port: 40004, code: "AH01797",
          event: .authorizationDenied(user: nil)),
    .init(dialect: .apache24, level: "error", module: "authz_core", client: "192.0.2.13", port: 40005, code: "AH01631",
          event: .authorizationDenied(user: "dave")),
    .init(dialect: .apache24, level: "error", module: "proxy", client: "192.0.2.14", port: 40006, errno: 111, code: "AH00957"),
    .init(dialect: .apache24, level: "error", module: "proxy_http", client: "192.0.2.14", port: 40007, errno: 70007,
          code: "AH01102"),
    .init(dialect: .apache24, level: "error", module: "proxy", code: "AH01084"),
    .init(dialect: .apache24, level: "info", module: "core", client: "192.0.2.15", port: 40008, code: "AH00128"),
    .init(dialect: .apache24, level: "trace3", module: "rewrite", client: "192.0.2.16", port: 40009),
    .init(dialect: .apache24, level: "info", module: "ssl", client: "192.0.2.17", port: 40010, errno: 70014, code: "AH02006"),
    // 22: untimestamped startup message
    .init(dialect: .apache24, level: "", code: "AH00558"),
    // 23-25
    .init(dialect: .apache24, level: "notice", module: "mpm_event", code: "AH00489"),
    .init(dialect: .apache24, level: "error", module: "core", client: "192.0.2.18", port: 40011, code: "AH00126"),
    .init(dialect: .apache24, level: "error", module: "core", client: "192.0.2.19", port: 40012, code: "AH00135"),
]

private func apacheVersionRecords() throws -> [ErrorLogRecord?] {
    var parser = ErrorLogParser(timeZone: .utc)
    return try fixtureLines("tricky/09-apache-error-log-22-vs-24/input.log").map { line in
        line.withUnsafeBufferPointer { parser.parse($0) }
    }
}

@Test func apacheVersionsTableRows() throws {
    let records = try apacheVersionRecords()
    #expect(records.count == apacheVersionRows.count)
    for (index, (record, expected)) in zip(records, apacheVersionRows).enumerated() {
        let row = "line \(index + 1)"
        guard let record else {
            Issue.record("\(row) did not parse")
            continue
        }
        #expect(record.dialect == expected.dialect, "\(row)")
        #expect(record.level == expected.level, "\(row)")
        #expect(record.module == expected.module, "\(row)")
        #expect(record.client == expected.client, "\(row)")
        #expect(record.clientPort == expected.port, "\(row)")
        #expect(record.errno == expected.errno, "\(row)")
        #expect(record.code == expected.code, "\(row)")
        #expect(record.event == expected.event, "\(row)")
        #expect(record.time != nil || index == 21, "\(row)")
    }
}

@Test func apacheVersionsTableDetails() throws {
    let records = try apacheVersionRecords()
    #expect(iso(records[0]?.time) == "2000-10-11T14:32:52Z")
    #expect(iso(records[6]?.time) == "2024-03-10T14:02:11Z")
    #expect(records[21]?.time == nil)
    #expect(records[2]?.referer == "https://www.example.org/")
    #expect(records[2]?.message == "user bob: authentication failure for \"/admin\": Password Mismatch")
    #expect(records[6]?.pid == 2211)
    #expect(records[6]?.threadID == 140001)
    #expect(records[8]?.threadID == nil)
    #expect(records[15]?.errnoDescription == "Connection refused")
    #expect(records[16]?.referer == "https://www.example.org/app/")
    #expect(records[17]?.remote == "127.0.0.1")
    #expect(records[17]?.remotePort == 8080)
    #expect(records[19]?.sourceLocation == "mod_rewrite.c(477)")
    #expect(records[20]?.errnoDescription == "End of file found")
    #expect(records[24]?.message == #"Invalid method in request \x16\x03\x01"#)
}

@Test func apacheVersionsMustHoldCounts() throws {
    let records = try apacheVersionRecords().compactMap { $0 }
    var failures: [(line: Int, record: ErrorLogRecord)] = []
    for (index, record) in records.enumerated() {
        if case .authenticationFailure = record.event { failures.append((index + 1, record)) }
    }
    #expect(failures.map(\.line) == [1, 2, 3, 4, 7, 8, 9, 10, 11, 12])

    var perClient: [String: Int] = [:]
    var perUser: [String: Int] = [:]
    for failure in failures {
        perClient[failure.record.client ?? "-", default: 0] += 1
        if case .authenticationFailure(let user?, _) = failure.record.event { perUser[user, default: 0] += 1 }
    }
    #expect(perClient == ["192.0.2.10": 4, "2001:db8::10": 2, "192.0.2.11": 3, "198.51.100.3": 1])
    #expect(perUser == ["alice": 2, "mallory": 2, "bob": 1, "carol": 3, "": 1])

    // No client reaches 5 failures within 600 seconds: 192.0.2.10's four
    // are two in 2000 and two in 2024.
    for client in perClient.keys {
        let times = failures.filter { $0.record.client == client }.compactMap(\.record.time).sorted()
        var maximum = 0
        for (start, time) in times.enumerated() {
            maximum = max(maximum, times[start...].prefix { $0 - time < 600 }.count)
        }
        #expect(maximum < 5, "\(client)")
        if client == "192.0.2.10" { #expect(maximum == 2) }
    }

    // AH01631 is an authorization failure of an authenticated user, kept
    // apart from the authentication failures.
    let denials = records.filter { if case .authorizationDenied = $0.event { return true } else { return false } }
    #expect(denials.count == 4)
    #expect(records[14].event == .authorizationDenied(user: "dave"))
}

// MARK: - fail2ban annotations

/// What the parser returns for an annotated line where it deliberately
/// differs from fail2ban's filter, keyed by `file:line`.
private enum AnnotationException {
    /// A line fail2ban matches that is not an authentication or
    /// authorization event here. The client is still read.
    case clientWithoutEvent
    /// An `[remote …]` line: the event is read, but the address is not a client.
    case remoteWithEvent
    /// A line this parser does not read at all.
    case notParsed
}

private let annotationExceptions: [String: AnnotationException] = [
    // mod_ssl SNI mismatches (AH02031, AH02032, AH02033) are misdirected requests.
    "apache-auth:129": .clientWithoutEvent,
    "apache-auth:132": .clientWithoutEvent,
    "apache-auth:135": .clientWithoutEvent,
    // mod_evasive's uncoded denial, which fail2ban matches only in its aggressive mode.
    "apache-auth:146": .clientWithoutEvent,
    // httpd writes `[remote …]` for a connection without a scoreboard slot.
    "apache-auth:141": .remoteWithEvent,
    // nginx's own syslog header inside a journal message.
    "nginx-http-auth:25": .notParsed,
    // TLS handshake failures, which fail2ban matches in its fallback and aggressive modes.
    "nginx-http-auth:30": .clientWithoutEvent,
    "nginx-http-auth:32": .clientWithoutEvent,
    "nginx-http-auth:34": .clientWithoutEvent,
    "nginx-http-auth:39": .clientWithoutEvent,
    "nginx-http-auth:41": .clientWithoutEvent,
    "nginx-http-auth:43": .clientWithoutEvent,
    "nginx-http-auth:47": .clientWithoutEvent,
]

private struct Annotation {
    var location: String
    var match: Bool
    var host: String?
    var time: String?
    var line: [UInt8]
    /// The line came with a syslog or journal header, which was removed.
    var hadHeader: Bool
}

/// Reads `# failJSON: {…}` annotations with the log line after each. A
/// syslog or journal header (`host prog[pid]: `) is cut off, as a journal
/// reader would deliver only the message.
private func annotations(_ name: String) throws -> [Annotation] {
    let lines = try fixtureLines("fail2ban/" + name)
    let marker = Array("# failJSON: ".utf8)
    var result: [Annotation] = []
    for (index, line) in lines.enumerated() where line.starts(with: marker) && index + 1 < lines.count {
        let json = try #require(
            JSONSerialization.jsonObject(with: Data(line[marker.count...])) as? [String: Any], "\(name):\(index + 1)")
        var logLine = lines[index + 1]
        var hadHeader = false
        if let first = logLine.first, first != UInt8(ascii: "["), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
           let header = String(decoding: logLine, as: UTF8.self).range(of: "]: ") {
            let prefixLength = String(decoding: logLine, as: UTF8.self)[..<header.upperBound].utf8.count
            logLine = Array(logLine[prefixLength...])
            hadHeader = true
        }
        result.append(Annotation(
            location: "\(name):\(index + 2)", match: json["match"] as? Bool ?? false,
            host: json["host"] as? String, time: json["time"] as? String, line: logLine, hadHeader: hadHeader))
    }
    return result
}

@Test func fail2banAnnotations() throws {
    var checked = 0
    for name in ["apache-auth", "nginx-http-auth", "nginx-forbidden"] {
        for annotation in try annotations(name) {
            checked += 1
            let location = annotation.location
            let record = parse(annotation.line)
            if let time = annotation.time, !annotation.hadHeader {
                #expect(iso(record?.time) == time + "Z", "\(location)")
            }

            switch annotationExceptions[location] {
            case .notParsed:
                #expect(record == nil, "\(location)")
            case .clientWithoutEvent:
                #expect(record?.client == annotation.host, "\(location)")
                #expect(record?.event == nil, "\(location)")
            case .remoteWithEvent:
                #expect(record?.client == nil, "\(location)")
                #expect(record?.remote == annotation.host, "\(location)")
                #expect(record?.event != nil, "\(location)")
            case nil where annotation.match:
                #expect(record?.event != nil, "\(location)")
                #expect(record?.client == annotation.host, "\(location)")
            case nil:
                #expect(record?.event == nil, "\(location)")
            }
        }
    }
    #expect(checked == 45 + 18 + 2)
}

@Test func fail2banInjectionLineNamesRealClient() throws {
    let apache = try #require(try annotations("apache-auth").first { $0.location == "apache-auth:3" })
    let record = try #require(parse(apache.line))
    #expect(record.client == "192.168.33.1")
    #expect(record.event == nil)

    let nginx = try #require(try annotations("nginx-http-auth").first { $0.location == "nginx-http-auth:14" })
    let nginxRecord = try #require(parse(nginx.line))
    #expect(nginxRecord.client == "192.0.2.2")
    #expect(nginxRecord.event == .authenticationFailure(
        user: #"test": password mismatch, client: 127.0.0.1, server: test, request: "GET / HTTP/1.1", host: "localhost:8443""#,
        reason: .userNotFound))
}

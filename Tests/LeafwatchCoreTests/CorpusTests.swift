import Foundation
import Testing
@testable import LeafwatchCore

// MARK: - Fixture access

/// `Tests/Fixtures/access` of this package, found from this file's path.
private let accessFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
    .appendingPathComponent("access")

/// Returns the lines of a fixture without their `\n`. A last line without a
/// newline is included; a `\r` before the newline is kept for the parser.
private func fixtureLines(_ path: String) throws -> [[UInt8]] {
    let data = try Data(contentsOf: accessFixtures.appendingPathComponent(path))
    var lines = [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines
}

/// Returns the format string of a `LogFormat "…"` or `log_format name '…';`
/// line in a fixture's format.txt.
private func configuredFormat(_ path: String, line index: Int = 0) throws -> String {
    let text = try String(contentsOf: accessFixtures.appendingPathComponent(path), encoding: .utf8)
    let line = Array(text.split(separator: "\n")[index].utf8)
    if let open = line.firstIndex(of: UInt8(ascii: "'")), let close = line.lastIndex(of: UInt8(ascii: "'")), close > open {
        return String(decoding: line[(open + 1)..<close], as: UTF8.self)
    }
    // Apache: the first unescaped quote after the opening one closes the string.
    let open = try #require(line.firstIndex(of: UInt8(ascii: "\"")))
    var close = open + 1
    while close < line.count, line[close] != UInt8(ascii: "\"") || line[close - 1] == UInt8(ascii: "\\") { close += 1 }
    return String(decoding: line[(open + 1)..<close], as: UTF8.self)
}

/// Parses every line of a fixture with one format.
private func parseFixture(_ path: String, format: String = "combined", timeZone: LocalTimeZone = .utc) throws -> [ParsedAccessLine] {
    let compiled = try LogFormat(format)
    return try fixtureLines(path).map { parseAccessLine($0, format: compiled, timeZone: timeZone) }
}

/// Addresses of an X-Forwarded-For value, trimmed and without ports, in order.
private func forwardedForHosts(_ value: String?) -> [String] {
    guard let value else { return [] }
    return value.split(separator: ",").compactMap { entry in
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        }
        let colons = trimmed.filter { $0 == ":" }.count
        if colons == 1, let colon = trimmed.firstIndex(of: ":") { return String(trimmed[..<colon]) }
        return trimmed
    }
}

/// Returns the right-most address of X-Forwarded-For that is not a trusted
/// proxy, or the peer when the header names none, as a caller resolves the
/// client from the parser's fields.
private func effectiveClient(peer: String, forwardedFor: String?, trusted: Set<ClientAddress>) -> String {
    for host in forwardedForHosts(forwardedFor).reversed() {
        guard let address = ClientAddress.parse(host) else { continue }
        if !trusted.contains(address) { return address.ipText }
    }
    return peer
}

// MARK: - Tricky cases written for this project

@Suite struct TrickyCorpusTests {
    @Test func quoteAndBackslashEscapes() throws {
        let folder = "tricky/01-request-line-quote-backslash-escapes/input.log"
        let rows: [(client: String, request: String, method: String, target: String, protocolName: String?,
                    status: Int, bytes: Int64, referer: String?, userAgent: String?)] = [
            ("192.0.2.10", #"GET /search?q="admin" HTTP/1.1"#, "GET", #"/search?q="admin""#, "HTTP/1.1", 200, 512, nil, "curl/8.5.0"),
            ("192.0.2.10", #"GET /a\b HTTP/1.1"#, "GET", #"/a\b"#, "HTTP/1.1", 404, 209, nil, "curl/8.5.0"),
            ("192.0.2.10", #"GET /x\"y HTTP/1.1"#, "GET", #"/x\"y"#, "HTTP/1.1", 404, 209, nil, "curl/8.5.0"),
            ("192.0.2.10", "GET / HTTP/1.1", "GET", "/", "HTTP/1.1", 200, 512, nil, #"curl/8.5.0 \"#),
            ("192.0.2.10", "GET / HTTP/1.1", "GET", "/", "HTTP/1.1", 200, 512, #"\"#, #"""#),
            ("198.51.100.66", #"GET /" 200 1 "-" "fake HTTP/1.1"#, "GET", #"/" 200 1 "-" "fake"#, "HTTP/1.1", 404, 209, nil, "curl/8.5.0"),
            ("192.0.2.10", #"GET /share\"#, "GET", #"/share\"#, nil, 400, 226, nil, nil),
            ("192.0.2.10", #"GET /q?a=1&b="2"&c=\x41 HTTP/1.1"#, "GET", #"/q?a=1&b="2"&c=\x41"#, "HTTP/1.1", 200, 512,
             #"https://www.example.org/?r="1""#, "Mozilla/5.0 (X11; Linux x86_64)"),
        ]
        let parsed = try parseFixture(folder)
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == row.client, "line \(index + 1)")
            #expect(line.text(.request) == row.request, "line \(index + 1)")
            let parts = try #require(requestParts(line.logged(.request) ?? []), "line \(index + 1)")
            #expect(parts.method == row.method, "line \(index + 1)")
            #expect(parts.target == row.target, "line \(index + 1)")
            #expect(parts.protocolName == row.protocolName, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.responseBytes == row.bytes, "line \(index + 1)")
            #expect(line.text(.referer) == row.referer, "line \(index + 1)")
            #expect(line.text(.userAgent) == row.userAgent, "line \(index + 1)")
            #expect(line.time == utcSeconds(2024, 3, 10, 14, 2, 11 + index), "line \(index + 1)")
            #expect(line.status != 401, "line \(index + 1)")
        }
    }

    @Test func apacheEscapedControlBytes() throws {
        let parsed = try parseFixture("tricky/02-control-chars-and-non-utf8/apache-escaped.log")
        try #require(parsed.count == 6)
        for (index, line) in parsed.enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == "192.0.2.11", "line \(index + 1)")
            #expect(line.text(.user) == nil, "line \(index + 1)")
            #expect(line.status != 401, "line \(index + 1)")
        }
        #expect(try requestParts(#require(parsed[0].logged(.request)))?.target == "/a\tb")
        #expect(parsed[0].status == 400)
        #expect(parsed[1].decoded(.userAgent) == Array("Mozilla/5.0".utf8) + [0x01, 0x7F] + Array(" test".utf8))
        let forged = try #require(parsed[2].text(.userAgent))
        #expect(forged == "line1\nline2\r\n192.0.2.99 - admin [10/Mar/2024:14:05:03 +0000] \"GET /x HTTP/1.1\" 401 0")
        #expect(parsed[2].status == 200)
        #expect(try requestParts(#require(parsed[3].logged(.request)))?.target == "/café")
        let badPath = try #require(parsed[4].decoded(.request))
        #expect(badPath == Array("GET /bad".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1".utf8))
        #expect(parsed[4].status == 404)
        #expect(parsed[5].text(.userAgent) == "Mozilla/5.0 \u{200B}\u{FEFF}")
    }

    @Test func rawNonUTF8Bytes() throws {
        let parsed = try parseFixture("tricky/02-control-chars-and-non-utf8/raw-bytes.log")
        try #require(parsed.count == 8)
        for (index, line) in parsed.enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == "192.0.2.12", "line \(index + 1)")
        }
        #expect(parsed.map(\.status) == [200, 404, 200, 200, 200, 404, 401, 200])
        #expect(parsed[0].text(.userAgent) == "Mozilla/5.0 (édition spéciale)")
        #expect(parsed[1].responseBytes == 209)
        #expect(parsed[1].logged(.request) == Array("GET /caf".utf8) + [0xE9] + Array(" HTTP/1.1".utf8))
        #expect(parsed[2].logged(.referer) == Array("https://www.example.org/".utf8) + [0xFF, 0xFE])
        #expect(parsed[3].logged(.userAgent) == Array("nul".utf8) + [0x00] + Array("byte".utf8))
        #expect(try requestParts(#require(parsed[4].logged(.request)))?.target == "/crlf")
        #expect(parsed[4].text(.userAgent) == "Mozilla/5.0")
        #expect(parsed[5].logged(.request) == Array("GET /".utf8) + [0xC3, 0x28] + Array(" HTTP/1.1".utf8))
        let authFailures = parsed.filter { $0.status == 401 && $0.text(.user) != nil }
        #expect(authFailures.count == 1)
        #expect(authFailures.first?.text(.user) == "alice")
        #expect(try requestParts(#require(parsed[7].logged(.request)))?.target == "/last-line-without-newline")
    }

    @Test func nonHTTPBytesOnPlainPort() throws {
        let rows: [(client: String, http: (method: String, target: String, protocolName: String)?, status: Int, bytes: Int64)] = [
            ("203.0.113.5", nil, 400, 226),
            ("203.0.113.5", nil, 400, 226),
            ("203.0.113.5", nil, 400, 226),
            ("203.0.113.5", nil, 400, 226),
            ("203.0.113.5", nil, 408, -1),
            ("203.0.113.5", ("PRI", "*", "HTTP/2.0"), 400, 226),
            ("203.0.113.5", ("GET", "/", "HTTP/1.1"), 400, 362),
            ("203.0.113.6", nil, 400, 157),
            ("203.0.113.6", nil, 400, 157),
            ("203.0.113.6", nil, 400, 0),
        ]
        let path = "tricky/03-tls-handshake-and-binary-on-plain-port/input.log"
        let parsed = try parseFixture(path)
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == row.client, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.responseBytes == row.bytes, "line \(index + 1)")
            #expect(line.time == utcSeconds(2024, 3, 10, 14, 10, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8][index]), "line \(index + 1)")
            let parts = requestParts(line.logged(.request) ?? [])
            #expect(parts?.method == row.http?.method, "line \(index + 1)")
            #expect(parts?.target == row.http?.target, "line \(index + 1)")
            #expect(parts?.protocolName == row.http?.protocolName, "line \(index + 1)")
        }

        let preface = try #require(parsed[5].logged(.request))
        #expect(preface.withUnsafeBufferPointer { RequestLine.split($0)?.isHTTP2Preface } == true)
        #expect(parsed[0].decoded(.request)?.prefix(11) == [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        #expect(parsed[7].decoded(.request) == [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        #expect(try fixtureLines(path)[8].count > 1400)
        #expect(parsed[9].logged(.request) == [])
        #expect(!parsed.contains { $0.status >= 500 })
        #expect(!parsed.contains { $0.status == 401 })
    }

    @Test func dashesEmptyValuesAndExtraFields() throws {
        let rows: [(client: String, identity: String?, user: String?, request: String?, status: Int, bytes: Int64,
                    referer: String?, userAgent: String?)] = [
            ("192.0.2.20", nil, nil, nil, 408, -1, nil, nil),
            ("192.0.2.20", nil, nil, "GET / HTTP/1.1", 304, -1, nil, "Mozilla/5.0"),
            ("192.0.2.20", nil, nil, "HEAD / HTTP/1.1", 200, -1, nil, "curl/8.5.0"),
            ("192.0.2.20", nil, nil, "GET / HTTP/1.1", 200, 512, "", ""),
            ("192.0.2.21", "carol", nil, "GET / HTTP/1.1", 200, 512, nil, nil),
            ("192.0.2.21", "carol", "carol", "GET /private/ HTTP/1.1", 200, 512, nil, nil),
            ("192.0.2.22", nil, nil, "GET /common-format HTTP/1.1", 200, 10, nil, nil),
            ("192.0.2.22", nil, nil, "GET /extra HTTP/1.1", 200, 10, nil, "curl/8.5.0"),
            ("192.0.2.23", nil, nil, "POST /api/1/rest/foo HTTP/1.1", 200, -1, nil, nil),
            ("192.0.2.24", nil, nil, "GET / HTTP/1.1", 200, 512, nil, nil),
        ]
        let parsed = try parseFixture("tricky/04-dash-empty-ident-and-extra-fields/input.log")
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == row.client, "line \(index + 1)")
            #expect(line.text(.identity) == row.identity, "line \(index + 1)")
            #expect(line.text(.user) == row.user, "line \(index + 1)")
            #expect(line.text(.request) == row.request, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.responseBytes == row.bytes, "line \(index + 1)")
            #expect(line.text(.referer) == row.referer, "line \(index + 1)")
            #expect(line.text(.userAgent) == row.userAgent, "line \(index + 1)")
        }
        // The common-format line has no referer or user agent at all, unlike `-`.
        #expect(parsed[6].logged(.referer) == nil)
        #expect(parsed[6].logged(.userAgent) == nil)
        #expect(parsed[0].logged(.referer) == Array("-".utf8))
        #expect(!parsed.contains { $0.status == 401 })
    }

    @Test func remoteUserEdgeCases() throws {
        let rows: [(user: [UInt8]?, status: Int)] = [
            ([], 401),
            (Array("alice@example.org".utf8), 401),
            (Array("alice smith".utf8), 401),
            (Array(#"bob"x"#.utf8), 401),
            (Array(#"EXAMPLE\carol"#.utf8), 401),
            ([0xC3, 0xA9, 0x76, 0x65], 401),
            (Array("mallory[1]".utf8), 401),
            (nil, 401),
            (Array("alice".utf8), 200),
            (Array("Alice".utf8), 401),
        ]
        let parsed = try parseFixture("tricky/05-remote-user-edge-cases/input.log")
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == "192.0.2.30", "line \(index + 1)")
            #expect(line.text(.request) == "GET /admin/ HTTP/1.1", "line \(index + 1)")
            #expect(line.decoded(.user) == row.user, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.time == utcSeconds(2024, 3, 10, 14, 30, index), "line \(index + 1)")
        }
        // An authentication failure is a 401 with a user name, even an empty one; line 8 is the challenge.
        let failures = parsed.enumerated().filter { $0.element.status == 401 && $0.element.decoded(.user) != nil }.map { $0.offset + 1 }
        #expect(failures == [1, 2, 3, 4, 5, 6, 7, 10])
        let users = Set(parsed.compactMap { $0.decoded(.user) })
        #expect(users.count == 9)
    }

    @Test func vhostCombinedClients() throws {
        let folder = "tricky/06-vhost-combined-ipv6-hostnames"
        let format = try configuredFormat("\(folder)/format.txt")
        #expect(format == #"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#)
        let rows: [(vhost: String, port: String, client: String, kind: ClientAddress.Kind, canonical: String,
                    user: String?, status: Int, bytes: String)] = [
            ("www.example.org", "443", "2001:db8::1", .ipv6, "2001:db8::1", nil, 200, "5120"),
            ("www.example.org", "80", "::ffff:192.0.2.33", .ipv4, "192.0.2.33", nil, 301, "530"),
            ("example.net", "443", "192.0.2.44", .ipv4, "192.0.2.44", "alice", 200, "2048"),
            ("127.0.1.1", "80", "198.51.100.9", .ipv4, "198.51.100.9", nil, 200, "10918"),
            ("www.example.org", "443", "host-50.example.net", .hostName, "host-50.example.net", nil, 200, "120"),
            ("www.example.org", "8443", "2001:db8:0:0:1:0:0:2", .ipv6, "2001:db8::1:0:0:2", nil, 200, "5120"),
            ("localhost", "80", "::1", .ipv6, "::1", nil, 200, "812"),
            ("www.example.org", "80", "192.0.2.46", .ipv4, "192.0.2.46", nil, 408, "0"),
            ("www.example.org", "443", "2001:DB8::1", .ipv6, "2001:db8::1", "bob", 401, "381"),
        ]
        let parsed = try parseFixture("\(folder)/input.log", format: format)
        try #require(parsed.count == rows.count)
        var hostNames = HostNameTable()
        var clients: [ClientAddress] = []
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.virtualHost) == row.vhost, "line \(index + 1)")
            #expect(line.text(.serverPort) == row.port, "line \(index + 1)")
            #expect(line.text(.remoteHost) == row.client, "line \(index + 1)")
            #expect(line.text(.user) == row.user, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.text(.bytesSent) == row.bytes, "line \(index + 1)")
            let client = (line.logged(.remoteHost) ?? []).withUnsafeBufferPointer { hostNames.address(for: $0) }
            #expect(client.kind == row.kind, "line \(index + 1)")
            #expect(hostNames.text(for: client) == row.canonical, "line \(index + 1)")
            clients.append(client)
        }
        #expect(clients[0] == clients[8])
        let failures = parsed.filter { $0.status == 401 }
        #expect(failures.count == 1)
        #expect(failures.first?.text(.user) == "bob")
    }

    @Test func apacheForwardedForAndDuration() throws {
        let folder = "tricky/07-xff-and-timing-fields"
        let format = try configuredFormat("\(folder)/format.txt", line: 0)
        let trusted: Set = [try #require(ClientAddress.parse("192.0.2.5"))]
        let rows: [(forwardedFor: String?, hosts: [String], client: String, micros: Int64, status: Int)] = [
            ("198.51.100.7", ["198.51.100.7"], "198.51.100.7", 5321, 200),
            ("198.51.100.7, 203.0.113.8", ["198.51.100.7", "203.0.113.8"], "203.0.113.8", 4100, 200),
            (nil, [], "192.0.2.5", 87, 200),
            ("unknown, 198.51.100.7", ["unknown", "198.51.100.7"], "198.51.100.7", 4000, 200),
            ("2001:db8::7", ["2001:db8::7"], "2001:db8::7", 3900, 200),
            ("198.51.100.7:51234", ["198.51.100.7"], "198.51.100.7", 3800, 200),
            ("[2001:db8::7]:51234", ["2001:db8::7"], "2001:db8::7", 3700, 200),
            ("  198.51.100.7  ,203.0.113.8", ["198.51.100.7", "203.0.113.8"], "203.0.113.8", 3600, 200),
            ("198.51.100.7", ["198.51.100.7"], "198.51.100.7", 120_000_412, 504),
            ("", [], "192.0.2.5", 0, 200),
        ]
        let parsed = try parseFixture("\(folder)/apache-xff-last.log", format: format)
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == "192.0.2.5", "line \(index + 1)")
            #expect(line.text(.forwardedFor) == row.forwardedFor, "line \(index + 1)")
            #expect(forwardedForHosts(line.text(.forwardedFor)) == row.hosts, "line \(index + 1)")
            let client = effectiveClient(peer: "192.0.2.5", forwardedFor: line.text(.forwardedFor), trusted: trusted)
            #expect(client == row.client, "line \(index + 1)")
            #expect(line.durationMicroseconds == row.micros, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
        }
    }

    @Test func nginxForwardedForAndTimings() throws {
        let folder = "tricky/07-xff-and-timing-fields"
        let format = try configuredFormat("\(folder)/format.txt", line: 1)
        let trusted: Set = [try #require(ClientAddress.parse("192.0.2.5"))]
        let rows: [(client: String, micros: Int64, upstream: String, status: Int, user: String?)] = [
            ("198.51.100.7", 4_000, "0.004", 200, nil),
            ("198.51.100.7", 10_000, "0.004, 0.006", 502, nil),
            ("198.51.100.7", 9_000, "0.005 : 0.003", 200, nil),
            ("198.51.100.7", 0, "-", 200, nil),
            ("198.51.100.7", 1_000, "-", 401, "alice"),
        ]
        let parsed = try parseFixture("\(folder)/nginx-xff-timing.log", format: format)
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            let client = effectiveClient(peer: line.text(.remoteHost) ?? "", forwardedFor: line.text(.forwardedFor), trusted: trusted)
            #expect(client == row.client, "line \(index + 1)")
            #expect(line.durationMicroseconds == row.micros, "line \(index + 1)")
            #expect(line.extra("nginx:upstream_response_time") == row.upstream, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.text(.user) == row.user, "line \(index + 1)")
            #expect(line.text(.userAgent)?.hasPrefix("Mozilla/5.0") == true, "line \(index + 1)")
        }
        #expect(parsed.filter { $0.status >= 500 }.count == 1)
    }

    @Test func dstFallBack() throws {
        let parsed = try parseFixture("tricky/08-timezones-dst-and-ordering/dst-fallback.log")
        let expected = [(5, 57, 10), (5, 58, 20), (5, 59, 30), (6, 0, 40), (6, 1, 50)].map { utcSeconds(2024, 11, 3, $0.0, $0.1, $0.2) }
        #expect(parsed.map(\.time) == expected)
        #expect(parsed.allSatisfy { $0.matched })
        #expect(parsed.allSatisfy { $0.status == 401 })
        #expect(parsed.allSatisfy { $0.text(.user) == "alice" })
        #expect(parsed.allSatisfy { $0.text(.remoteHost) == "198.51.100.50" })
        #expect(expected[4] - expected[0] == 4 * 60 + 40)
    }

    @Test func sameInstantSevenOffsets() throws {
        let parsed = try parseFixture("tricky/08-timezones-dst-and-ordering/same-instant.log")
        #expect(parsed.count == 7)
        for (index, line) in parsed.enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(CivilTime.iso8601(line.time) == "2024-03-10T12:00:00Z", "line \(index + 1)")
        }
    }

    @Test func outOfOrderKept() throws {
        let parsed = try parseFixture("tricky/08-timezones-dst-and-ordering/out-of-order.log")
        #expect(parsed.map(\.time) == [
            utcSeconds(2024, 3, 10, 12, 0, 5), utcSeconds(2024, 3, 10, 12, 0, 6),
            utcSeconds(2024, 3, 10, 11, 59, 31), utcSeconds(2024, 3, 10, 12, 0, 7),
        ])
        #expect(parsed.allSatisfy { $0.matched })
        #expect(parsed[2].status == 500)
        #expect(parsed[2].text(.remoteHost) == "192.0.2.71")
    }

    @Test func calendarEdges() throws {
        let parsed = try parseFixture("tricky/08-timezones-dst-and-ordering/calendar.log")
        try #require(parsed.count == 14)
        for month in 1...12 {
            let day = month == 2 ? 29 : 15
            #expect(parsed[month - 1].time == utcSeconds(2024, month, day, 0, 0, 0), "month \(month)")
        }
        #expect(parsed[12].time == utcSeconds(2024, 12, 31, 23, 59, 59))
        #expect(parsed[13].time - parsed[12].time == 1)
    }

    @Test func oddMethodsTargetsAndLongLine() throws {
        let rows: [(client: String, method: String, target: String, protocolName: String?, status: Int, bytes: Int64, user: String?)] = [
            ("198.51.100.20", "CONNECT", "www.example.org:443", "HTTP/1.1", 405, 224, nil),
            ("198.51.100.20", "OPTIONS", "*", "HTTP/1.1", 200, -1, nil),
            ("192.0.2.30", "PROPFIND", "/dav/", "HTTP/1.1", 207, 1024, "alice"),
            ("198.51.100.20", "GET", "http://www.example.org/", "HTTP/1.1", 200, 512, nil),
            ("198.51.100.20", "get", "/", "HTTP/1.1", 501, 290, nil),
            ("198.51.100.20", "BREW", "/pot", "HTTP/1.1", 501, 290, nil),
            ("198.51.100.20", "GET", "/", nil, 200, 45, nil),
            ("198.51.100.20", "GET", "/%2e%2e/%2e%2e/etc/passwd", "HTTP/1.1", 400, 226, nil),
            ("198.51.100.20", "GET", "http://alice:XXXXXXXX@www.example.org/", "HTTP/1.1", 200, 512, nil),
            ("198.51.100.20", "GET", "/a b c", "HTTP/1.1", 400, 226, nil),
            ("192.0.2.31", "GET", "/search?q=" + String(repeating: "a", count: 7990), "HTTP/1.1", 200, 512, nil),
            ("192.0.2.31", "GET", "/after-long", "HTTP/1.1", 200, 512, nil),
            ("198.51.100.20", "M-SEARCH", "*", "HTTP/1.1", 501, 290, nil),
            ("198.51.100.20", "GET", "/cgi-bin/.%2e/.%2e/.%2e/bin/sh", "HTTP/1.1", 500, 531, nil),
        ]
        let parsed = try parseFixture("tricky/10-odd-methods-targets-long-lines/input.log")
        try #require(parsed.count == rows.count)
        for (index, (line, row)) in zip(parsed, rows).enumerated() {
            #expect(line.matched, "line \(index + 1)")
            #expect(line.text(.remoteHost) == row.client, "line \(index + 1)")
            let parts = try #require(requestParts(line.logged(.request) ?? []), "line \(index + 1)")
            #expect(parts.method == row.method, "line \(index + 1)")
            #expect(parts.target == row.target, "line \(index + 1)")
            #expect(parts.protocolName == row.protocolName, "line \(index + 1)")
            #expect(line.status == row.status, "line \(index + 1)")
            #expect(line.responseBytes == row.bytes, "line \(index + 1)")
            #expect(line.text(.user) == row.user, "line \(index + 1)")
        }
        #expect(parsed[6].logged(.userAgent) == nil)
        #expect(parsed[10].logged(.referer)?.count == 8000)
        #expect(parsed[10].logged(.userAgent)?.count == 8000)
        #expect(!parsed.contains { $0.status == 401 })
        #expect(parsed.filter { $0.status >= 500 }.count == 4)
    }
}

// MARK: - Public access logs

/// A public log file, the formats its lines were written in, and the lines
/// that are expected not to parse with the reason.
struct PublicAccessLog: Sendable, CustomTestStringConvertible {
    var path: String
    /// Tried in order; a line counts as parsed when one of them matches.
    var formats: [String]
    /// 1-based line numbers in the file, with the reason the line does not parse.
    var unparsed: [Int: String] = [:]
    /// fail2ban's logs: skip `#` comment lines and check `# failJSON` hosts.
    var fail2banAnnotations = false

    var testDescription: String { path }
}

/// Apache's combined format behind a virtual host, as several public samples mix in.
private let vhostCombined = #"%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#
private let nginxVhostCombined = #"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
/// nginx combined behind a syslog prefix; the yearless syslog time is kept as text fields.
private let nginxSyslogCombined = #"$syslog_month $syslog_day $syslog_time $syslog_host $syslog_tag $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
private let apacheErrorLine = "Apache error-log line, not an access-log line"
private let nginxErrorLine = "nginx error-log line, not an access-log line"

let publicAccessLogs: [PublicAccessLog] = [
    PublicAccessLog(path: "crowdsec-hub/apache-cve-2021-41773.log", formats: ["combined"], unparsed: [1: apacheErrorLine]),
    PublicAccessLog(path: "crowdsec-hub/apache-http-probing.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/apache2-logs.log", formats: [vhostCombined, "combined"],
                    unparsed: [8: apacheErrorLine, 9: apacheErrorLine]),
    PublicAccessLog(path: "crowdsec-hub/apache2-malformed.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/bunkerweb-logs.log", formats: [
        #"$host $remote_addr - $request_id $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
    ]),
    PublicAccessLog(path: "crowdsec-hub/calibre-web-logs.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/http-bf-wordpress-bf.log", formats: [nginxSyslogCombined]),
    PublicAccessLog(path: "crowdsec-hub/http-dos-invalid-http-versions.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/http-dos-switching-ua.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/http_dos_random_uri.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/ipv6-postoverflow.log", formats: ["combined"]),
    PublicAccessLog(path: "crowdsec-hub/nginx-http-generic-bf.log", formats: ["nginx"],
                    unparsed: Dictionary(uniqueKeysWithValues: (1...16).map { ($0, nginxErrorLine) })),
    PublicAccessLog(path: "crowdsec-hub/nginx-http-malformed.log", formats: ["nginx"]),
    PublicAccessLog(path: "crowdsec-hub/nginx-http-open-proxy.log", formats: ["nginx"]),
    PublicAccessLog(path: "crowdsec-hub/nginx_http-logs.log", formats: [nginxVhostCombined, "nginx"], unparsed: [
        8: "one `-` where nginx writes `- $remote_user`, so the user field is missing",
        9: nginxErrorLine,
    ]),
    PublicAccessLog(path: "elastic-beats/apache-access-darwin-2.4.23.log", formats: ["common"]),
    PublicAccessLog(path: "elastic-beats/apache-access-ssl-request.log", formats: [#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b"#]),
    PublicAccessLog(path: "elastic-beats/apache-access-test-vhost.log", formats: [vhostCombined]),
    PublicAccessLog(path: "elastic-beats/apache-access-test.log", formats: [vhostCombined, "combined"]),
    PublicAccessLog(path: "elastic-beats/nginx-access-access.log", formats: [nginxVhostCombined, "nginx"]),
    // Filebeat's samples put a list of addresses, quoted or not, before ` - `.
    PublicAccessLog(path: "elastic-beats/nginx-access-test.log", formats: [
        #""$http_x_forwarded_for" $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        "nginx",
    ]),
    PublicAccessLog(path: "elastic-beats/nginx-access-test-with-host.log", formats: [
        #"$host "$http_x_forwarded_for" $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        nginxVhostCombined,
    ]),
    PublicAccessLog(path: "elastic-examples/apache_logs.first8000", formats: ["combined"]),
    PublicAccessLog(path: "lnav/format-samples.log", formats: [
        vhostCombined,
        "combined",
        // lnav's "ts-first" samples; lnav leaves the field after the path unnamed.
        #"%{%Y-%m-%dT%H:%M:%S}t %h %u %m "%U" %{lnav_unnamed}e %>s %b "%{Referer}i" "%{User-Agent}i""#,
        #"%{%Y-%m-%dT%H:%M:%S}t %h %u %m %U %{lnav_unnamed}e %>s %b "%{Referer}i" "%{User-Agent}i""#,
        // Python's http.server.
        #"%h %l %u [%{%d/%b/%Y %H:%M:%S}t] "%r" %>s %b"#,
    ], unparsed: [
        10: "CUPS error-log line, not an access-log line",
        11: apacheErrorLine, 12: apacheErrorLine, 13: apacheErrorLine, 14: apacheErrorLine, 15: apacheErrorLine,
    ]),
    PublicAccessLog(path: "lnav/logfile_access_log.0", formats: ["combined"]),
    PublicAccessLog(path: "lnav/logfile_access_log.1", formats: ["combined"]),
    PublicAccessLog(path: "lnav/logfile_bad_access_log.0", formats: ["combined"],
                    unparsed: [2: "the `%l %u` fields are missing"]),
    PublicAccessLog(path: "lnav/logfile_regexp_access_log.0", formats: [#"%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#]),
    PublicAccessLog(path: "lnav/logfile_shop_access_log.0", formats: [#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i""#]),
    PublicAccessLog(path: "lnav/logfile_syslog_with_access_log.0",
                    formats: [#"%{syslog_month}e %{syslog_day}e %{syslog_time}e %{syslog_host}e %{syslog_tag}e %h %l %u "%r" %>s %b %T"#],
                    unparsed: [
                        1: "syslog line from sudo, not an access-log line",
                        4: "syslog line from automount, not an access-log line",
                        5: "syslog `last message repeated` line",
                    ]),
    PublicAccessLog(path: "fail2ban/apache-badbots", formats: [vhostCombined, "combined"], fail2banAnnotations: true),
    // Reconstructed from the lines' shape: a time without offset, a space before `]` and the vhost after it.
    PublicAccessLog(path: "fail2ban/apache-fakegooglebot", formats: [
        #"%h %l %u %{X-Forwarded-For}i [%{%d/%b/%Y:%H:%M:%S}t ] %v "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %X %I %O %D"#,
        vhostCombined,
    ], fail2banAnnotations: true),
    PublicAccessLog(path: "fail2ban/apache-pass", formats: ["combined"], fail2banAnnotations: true),
    PublicAccessLog(path: "fail2ban/nginx-bad-request", formats: ["nginx"], fail2banAnnotations: true),
    PublicAccessLog(path: "fail2ban/nginx-botsearch", formats: ["nginx"], unparsed: [
        26: nginxErrorLine, 29: nginxErrorLine, 32: nginxErrorLine, 35: nginxErrorLine,
        40: "journal line with an nginx error-log message", 43: "journal line with an nginx error-log message",
    ], fail2banAnnotations: true),
    PublicAccessLog(path: "fail2ban/php-url-fopen", formats: ["combined"], fail2banAnnotations: true),
]

@Suite struct PublicCorpusTests {
    @Test(arguments: publicAccessLogs)
    func everyAccessLineParses(_ log: PublicAccessLog) throws {
        let formats = try log.formats.map { try LogFormat($0) }
        let lines = try fixtureLines(log.path)
        var unparsed: [Int: String] = [:]
        var parsedCount = 0
        var expectedHost: String? = nil

        for (index, line) in lines.enumerated() {
            let number = index + 1
            if log.fail2banAnnotations, line.first == UInt8(ascii: "#") {
                expectedHost = failJSONHost(line)
                continue
            }
            if line.isEmpty || line == [0x0D] { continue }
            defer { expectedHost = nil }

            guard let parsed = formats.lazy.map({ parseAccessLine(line, format: $0) }).first(where: \.matched) else {
                unparsed[number] = String(decoding: line.prefix(120), as: UTF8.self)
                continue
            }
            parsedCount += 1
            #expect(parsed.time > 0 || !parsed.format.contains(.time), "\(log.path):\(number)")
            #expect((100...599).contains(parsed.status) || !parsed.format.contains(.finalStatus), "\(log.path):\(number)")
            if let expectedHost {
                #expect(parsed.text(.remoteHost) == expectedHost, "\(log.path):\(number)")
            }
        }

        #expect(Set(unparsed.keys) == Set(log.unparsed.keys), "unexpected results: \(unparsed.filter { log.unparsed[$0.key] == nil }), expected failures that parsed: \(log.unparsed.keys.filter { unparsed[$0] == nil }.sorted())")
        #expect(parsedCount > 0)
    }

    @Test func elasticExampleLineCount() throws {
        let parsed = try parseFixture("elastic-examples/apache_logs.first8000")
        #expect(parsed.count == 8000)
        #expect(parsed.allSatisfy { $0.matched })
        #expect(parsed.filter { $0.responseBytes == -1 }.count == 586)
        let http10 = parsed.filter { line in
            guard let logged = line.logged(.request), let parts = requestParts(logged) else { return false }
            return parts.protocolName == "HTTP/1.0"
        }
        #expect(http10.count == 585)
    }

    /// Returns the `host` of a `# failJSON: {…}` comment line, or nil.
    private func failJSONHost(_ line: [UInt8]) -> String? {
        let prefix = Array("# failJSON:".utf8)
        guard line.starts(with: prefix) else { return nil }
        let json = Data(line.dropFirst(prefix.count))
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return nil }
        return object["host"] as? String
    }
}

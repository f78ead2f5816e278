import Testing
@testable import LeafwatchCore

/// One directive, a line that contains it, and the decoded value the parser must find.
struct DirectiveCase: Sendable, CustomTestStringConvertible {
    var format: String
    var line: String
    var field: AccessField?
    var extraField: String? = nil
    var expected: String

    var testDescription: String { format }
}

let directiveCases: [DirectiveCase] = [
    DirectiveCase(format: "%h %>s", line: "192.0.2.1 200", field: .remoteHost, expected: "192.0.2.1"),
    DirectiveCase(format: "%a %>s", line: "2001:db8::1 200", field: .clientAddress, expected: "2001:db8::1"),
    DirectiveCase(format: "%{c}a %a", line: "192.0.2.5 198.51.100.7", field: .peerAddress, expected: "192.0.2.5"),
    DirectiveCase(format: "%{c}h %h", line: "192.0.2.5 198.51.100.7", field: .peerAddress, expected: "192.0.2.5"),
    DirectiveCase(format: "%A %>s", line: "198.51.100.1 200", field: .localAddress, expected: "198.51.100.1"),
    DirectiveCase(format: "%h %l %u %>s", line: "192.0.2.1 carol - 200", field: .identity, expected: "carol"),
    DirectiveCase(format: "%h %l %u %t", line: "192.0.2.1 - alice [10/Mar/2024:14:02:11 +0000]", field: .user, expected: "alice"),
    DirectiveCase(format: "\"%r\" %>s", line: "\"GET /a?b=1 HTTP/1.1\" 200", field: .request, expected: "GET /a?b=1 HTTP/1.1"),
    DirectiveCase(format: "%m %U %H", line: "PROPFIND /dav/ HTTP/1.1", field: .method, expected: "PROPFIND"),
    DirectiveCase(format: "%m %U %H", line: "GET /login HTTP/1.1", field: .path, expected: "/login"),
    DirectiveCase(format: "%m %U%q %H", line: "GET /search?q=1&r=2 HTTP/1.1", field: .query, expected: "?q=1&r=2"),
    DirectiveCase(format: "%m %U %H", line: "GET / HTTP/2.0", field: .protocolName, expected: "HTTP/2.0"),
    DirectiveCase(format: "%>s %b", line: "404 209", field: .finalStatus, expected: "404"),
    DirectiveCase(format: "%s %>s", line: "302 200", field: .originalStatus, expected: "302"),
    DirectiveCase(format: "%>s %b", line: "200 512", field: .responseBytes, expected: "512"),
    DirectiveCase(format: "%>s %B", line: "200 0", field: .responseBytes, expected: "0"),
    DirectiveCase(format: "%>s %O", line: "200 812", field: .bytesSent, expected: "812"),
    DirectiveCase(format: "%>s %I", line: "200 431", field: .bytesReceived, expected: "431"),
    DirectiveCase(format: "%>s %S", line: "200 1243", field: .bytesTransferred, expected: "1243"),
    DirectiveCase(format: "%>s %D", line: "200 5321", field: .duration, expected: "5321"),
    DirectiveCase(format: "%>s %T", line: "200 2", field: .duration, expected: "2"),
    DirectiveCase(format: "%v %h", line: "www.example.org 192.0.2.1", field: .virtualHost, expected: "www.example.org"),
    DirectiveCase(format: "%V %h", line: "example.net 192.0.2.1", field: .serverName, expected: "example.net"),
    DirectiveCase(format: "%h %p", line: "192.0.2.1 8443", field: .serverPort, expected: "8443"),
    DirectiveCase(format: "%h %{remote}p", line: "192.0.2.1 51234", field: .remotePort, expected: "51234"),
    DirectiveCase(format: "%h %{local}p", line: "192.0.2.1 443", field: .serverPort, expected: "443"),
    DirectiveCase(format: "%h %k", line: "192.0.2.1 3", field: .keepAliveRequests, expected: "3"),
    DirectiveCase(format: "%h %L", line: "192.0.2.1 ZeR0aB4c", field: .logID, expected: "ZeR0aB4c"),
    DirectiveCase(format: "%h %X", line: "192.0.2.1 +", field: .connectionStatus, expected: "+"),
    DirectiveCase(format: "%h \"%{Referer}i\"", line: "192.0.2.1 \"https://example.org/\"", field: .referer,
                  expected: "https://example.org/"),
    DirectiveCase(format: "%h \"%{user-agent}i\"", line: "192.0.2.1 \"curl/8.5.0\"", field: .userAgent, expected: "curl/8.5.0"),
    DirectiveCase(format: "%h \"%{X-Forwarded-For}i\"", line: "192.0.2.5 \"198.51.100.7, 203.0.113.8\"",
                  field: .forwardedFor, expected: "198.51.100.7, 203.0.113.8"),
    DirectiveCase(format: "%h %{Host}i", line: "192.0.2.1 www.example.org", field: .hostHeader, expected: "www.example.org"),
    DirectiveCase(format: "%h \"%{Cookie}i\"", line: "192.0.2.1 \"a=1; b=2\"", field: nil, extraField: "header:Cookie",
                  expected: "a=1; b=2"),
    DirectiveCase(format: "%h %{Location}o", line: "192.0.2.1 /next", field: nil, extraField: "response:Location",
                  expected: "/next"),
    DirectiveCase(format: "%h %{UNIQUE_ID}e", line: "192.0.2.1 ZeR0aB4c", field: nil, extraField: "env:UNIQUE_ID",
                  expected: "ZeR0aB4c"),
    DirectiveCase(format: "%h %{SSL_PROTOCOL}x", line: "192.0.2.1 TLSv1.3", field: nil, extraField: "ssl:SSL_PROTOCOL",
                  expected: "TLSv1.3"),
    DirectiveCase(format: "%400,501{Referer}i %h", line: "- 192.0.2.1", field: .remoteHost, expected: "192.0.2.1"),
    DirectiveCase(format: "%h %% %>s", line: "192.0.2.1 % 200", field: .finalStatus, expected: "200"),
    DirectiveCase(format: "client=%h status=%>s", line: "client=192.0.2.1 status=403", field: .remoteHost,
                  expected: "192.0.2.1"),
]

@Suite struct AccessLogParserTests {
    @Test(arguments: directiveCases)
    func directiveValue(_ testCase: DirectiveCase) throws {
        let parsed = try parseAccessLine(testCase.line, format: testCase.format)
        #expect(parsed.matched)
        if let field = testCase.field {
            #expect(parsed.text(field) == testCase.expected)
        }
        if let name = testCase.extraField {
            #expect(parsed.extra(name) == testCase.expected)
        }
    }

    @Test func statusBytesAndDurations() throws {
        let status = try parseAccessLine("302 200", format: "%s %>s")
        #expect(status.status == 200)
        let original = try parseAccessLine("302", format: "%s")
        #expect(original.status == 302)

        #expect(try parseAccessLine("200 -", format: "%>s %b").responseBytes == -1)
        #expect(try parseAccessLine("200 512", format: "%>s %b").responseBytes == 512)
        #expect(try parseAccessLine("200 5321", format: "%>s %D").durationMicroseconds == 5321)
        #expect(try parseAccessLine("200 120000412", format: "%>s %D").durationMicroseconds == 120_000_412)
        #expect(try parseAccessLine("200 2", format: "%>s %T").durationMicroseconds == 2_000_000)
        #expect(try parseAccessLine("200 15", format: "%>s %{ms}T").durationMicroseconds == 15_000)
        #expect(try parseAccessLine("200 15", format: "%>s %{us}T").durationMicroseconds == 15)
        #expect(try parseAccessLine("200 0.004", format: "$status $request_time").durationMicroseconds == 4_000)
        #expect(try parseAccessLine("200 -", format: "%>s %D").durationMicroseconds == -1)
    }

    @Test func invalidNumbersReject() throws {
        #expect(!(try parseAccessLine("20x 512", format: "%>s %b").matched))
        #expect(!(try parseAccessLine("2000 512", format: "%>s %b").matched))
        #expect(!(try parseAccessLine("200 5x2", format: "%>s %b").matched))
        #expect(!(try parseAccessLine("200 abc", format: "%>s %D").matched))
    }

    @Test func timeField() throws {
        let parsed = try parseAccessLine(#"192.0.2.1 - - [10/Mar/2024:14:02:11 +0100] "GET / HTTP/1.1" 200 5"#, format: "common")
        #expect(parsed.time == utcSeconds(2024, 3, 10, 13, 2, 11))
        #expect(parsed.logged(.time) == Array("10/Mar/2024:14:02:11 +0100".utf8))
    }

    @Test func timeWithoutBrackets() throws {
        // The time's shape ends the field, so its inner space does not end it.
        let parsed = try parseAccessLine("10/Mar/2024:14:02:11 +0000 192.0.2.1 200", format: "$time_local $remote_addr $status")
        #expect(parsed.matched)
        #expect(parsed.time == utcSeconds(2024, 3, 10, 14, 2, 11))
        #expect(parsed.text(.remoteHost) == "192.0.2.1")
        #expect(parsed.status == 200)
    }

    @Test func strftimeTimeWithSpace() throws {
        let parsed = try parseAccessLine("2024-03-10 14:02:11 192.0.2.1 401", format: "%{%Y-%m-%d %H:%M:%S}t %h %>s")
        #expect(parsed.matched)
        #expect(parsed.time == utcSeconds(2024, 3, 10, 14, 2, 11))
        #expect(parsed.text(.remoteHost) == "192.0.2.1")
        #expect(parsed.status == 401)
    }

    @Test func epochTimes() throws {
        #expect(try parseAccessLine("1710079331 200", format: "%{sec}t %>s").time == 1_710_079_331)
        #expect(try parseAccessLine("1710079331123 200", format: "%{msec}t %>s").time == 1_710_079_331)
        #expect(try parseAccessLine("1710079331123456 200", format: "%{usec}t %>s").time == 1_710_079_331)
        #expect(try parseAccessLine("1710079331.123 200", format: "$msec $status").time == 1_710_079_331)
    }

    @Test func pathAndQuerySplit() throws {
        let withQuery = try parseAccessLine("GET /search?q=a?b HTTP/1.1 200", format: "%m %U%q %H %>s")
        #expect(withQuery.matched)
        #expect(withQuery.text(.path) == "/search")
        #expect(withQuery.text(.query) == "?q=a?b")
        #expect(withQuery.text(.protocolName) == "HTTP/1.1")

        let withoutQuery = try parseAccessLine("GET /index.html HTTP/1.1 200", format: "%m %U%q %H %>s")
        #expect(withoutQuery.matched)
        #expect(withoutQuery.text(.path) == "/index.html")
        #expect(withoutQuery.logged(.query) == [])

        let nginx = try parseAccessLine("/a?x=1 200", format: "$uri$is_args$args $status")
        #expect(nginx.text(.path) == "/a")
        #expect(nginx.text(.query) == "?x=1")
    }

    @Test func vhostPortSplitsAtLastColon() throws {
        let format = "%v:%p %h %>s"
        let ipv6 = try parseAccessLine("2001:db8::80:443 192.0.2.1 200", format: format)
        #expect(ipv6.matched)
        #expect(ipv6.text(.virtualHost) == "2001:db8::80")
        #expect(ipv6.text(.serverPort) == "443")

        let name = try parseAccessLine("www.example.org:8443 192.0.2.1 200", format: format)
        #expect(name.text(.virtualHost) == "www.example.org")
        #expect(name.text(.serverPort) == "8443")
    }

    // MARK: Escapes

    @Test func escapedQuoteInRequest() throws {
        let parsed = try parseAccessLine(#"192.0.2.10 - - [10/Mar/2024:14:02:11 +0000] "GET /q?a=\"1\" HTTP/1.1" 200 5 "-" "-""#)
        #expect(parsed.text(.request) == #"GET /q?a="1" HTTP/1.1"#)
        #expect(parsed.status == 200)
    }

    @Test func escapedQuoteInUserAndHeaders() throws {
        let parsed = try parseAccessLine(#"192.0.2.10 - bob\"x [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 401 5 "\"r\"" "a\"b""#)
        #expect(parsed.text(.user) == #"bob"x"#)
        #expect(parsed.text(.referer) == #""r""#)
        #expect(parsed.text(.userAgent) == #"a"b"#)
    }

    @Test func escapedBackslash() throws {
        let parsed = try parseAccessLine(#"192.0.2.10 - EXAMPLE\\carol [10/Mar/2024:14:02:11 +0000] "GET /a\\b HTTP/1.1" 200 5 "\\" "ua \\""#)
        #expect(parsed.text(.user) == #"EXAMPLE\carol"#)
        #expect(parsed.text(.request) == #"GET /a\b HTTP/1.1"#)
        #expect(parsed.text(.referer) == #"\"#)
        #expect(parsed.text(.userAgent) == #"ua \"#)
    }

    @Test func hexEscapes() throws {
        let parsed = try parseAccessLine(#"192.0.2.10 - \xc3\xa9ve [10/Mar/2024:14:02:11 +0000] "GET /caf\xc3\xa9 HTTP/1.1" 200 5 "-" "\x01\x7F""#)
        #expect(parsed.decoded(.user) == [0xC3, 0xA9, 0x76, 0x65])
        #expect(parsed.text(.request) == "GET /café HTTP/1.1")
        #expect(parsed.decoded(.userAgent) == [0x01, 0x7F])
    }

    @Test func forgedRequestStaysInside() throws {
        let parsed = try parseAccessLine(#"198.51.100.66 - - [10/Mar/2024:14:02:16 +0000] "GET /\" 200 1 \"-\" \"fake HTTP/1.1" 404 209 "-" "curl/8.5.0""#)
        #expect(parsed.status == 404)
        #expect(parsed.responseBytes == 209)
        #expect(parsed.text(.request) == #"GET /" 200 1 "-" "fake HTTP/1.1"#)
    }

    @Test func rawNonUTF8BytesKept() throws {
        var line = Array(#"192.0.2.12 - - [10/Mar/2024:14:06:02 +0000] "GET /caf"#.utf8)
        line += [0xE9, 0xFF, 0x00]
        line += Array(#" HTTP/1.1" 404 209 "-" "Mozilla/5.0""#.utf8)
        let parsed = try parseAccessLine(line)
        #expect(parsed.matched)
        #expect(parsed.status == 404)
        #expect(parsed.logged(.request) == Array("GET /caf".utf8) + [0xE9, 0xFF, 0x00] + Array(" HTTP/1.1".utf8))
    }

    @Test func crlfEndingStripped() throws {
        let parsed = try parseAccessLine("192.0.2.12 - - [10/Mar/2024:14:06:05 +0000] \"GET /crlf HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\r")
        #expect(parsed.matched)
        #expect(parsed.text(.userAgent) == "Mozilla/5.0")
    }

    // MARK: Placeholders and shape

    @Test func dashMeansNotLogged() throws {
        let parsed = try parseAccessLine(#"192.0.2.20 - - [10/Mar/2024:14:20:00 +0000] "-" 408 - "-" "-""#)
        #expect(parsed.matched)
        #expect(parsed.logged(.request) == Array("-".utf8))
        #expect(parsed.text(.request) == nil)
        #expect(parsed.text(.user) == nil)
        #expect(parsed.text(.identity) == nil)
        #expect(parsed.text(.referer) == nil)
        #expect(parsed.responseBytes == -1)
    }

    @Test func emptyQuotesArePresent() throws {
        let parsed = try parseAccessLine(#"192.0.2.30 - "" [10/Mar/2024:14:30:00 +0000] "" 400 0 "" """#)
        #expect(parsed.matched)
        #expect(parsed.text(.user) == "")
        #expect(parsed.text(.request) == "")
        #expect(parsed.text(.referer) == "")
        #expect(parsed.text(.userAgent) == "")
    }

    @Test func userWithSpacesAndBrackets() throws {
        let spaced = try parseAccessLine(#"192.0.2.30 - alice smith [10/Mar/2024:14:30:02 +0000] "GET / HTTP/1.1" 401 381 "-" "-""#)
        #expect(spaced.text(.user) == "alice smith")
        let bracketed = try parseAccessLine(#"192.0.2.30 - mallory[1] [10/Mar/2024:14:30:06 +0000] "GET / HTTP/1.1" 401 381 "-" "-""#)
        #expect(bracketed.text(.user) == "mallory[1]")
    }

    @Test func commonLineUnderCombined() throws {
        let parsed = try parseAccessLine(#"192.0.2.22 - - [10/Mar/2024:14:20:06 +0000] "GET /common-format HTTP/1.1" 200 10"#)
        #expect(parsed.matched)
        #expect(parsed.responseBytes == 10)
        #expect(parsed.logged(.referer) == nil)
        #expect(parsed.logged(.userAgent) == nil)
    }

    @Test func extraTrailingFieldsIgnored() throws {
        let combined = try parseAccessLine(#"192.0.2.22 - - [10/Mar/2024:14:20:07 +0000] "GET /extra HTTP/1.1" 200 10 "-" "curl/8.5.0" 1234 "-" www.example.org"#)
        #expect(combined.matched)
        #expect(combined.text(.userAgent) == "curl/8.5.0")

        let common = try parseAccessLine(#"192.0.2.22 - - [10/Mar/2024:14:20:07 +0000] "GET /extra HTTP/1.1" 200 10 "-" "curl/8.5.0""#, format: "common")
        #expect(common.matched)
        #expect(common.responseBytes == 10)
    }

    @Test func repeatedSpacesMatch() throws {
        let parsed = try parseAccessLine(#"192.0.2.23 -  -  [10/Mar/2024:14:20:08 +0000] "POST /api HTTP/1.1" 200 - "-" "-"  293"#)
        #expect(parsed.matched)
        #expect(parsed.text(.user) == nil)
        #expect(parsed.status == 200)
    }

    @Test func mismatchedLinesReject() throws {
        #expect(!(try parseAccessLine("").matched))
        #expect(!(try parseAccessLine("not an access log line").matched))
        #expect(!(try parseAccessLine(#"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1"#).matched))
        #expect(!(try parseAccessLine(#"192.0.2.1 - - [31/Feb/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5"#).matched))
        #expect(!(try parseAccessLine(#"192.0.2.1 - - [10/Mar/2024:25:02:11 +0000] "GET / HTTP/1.1" 200 5"#).matched))
        #expect(!(try parseAccessLine(#"192.0.2.1 [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#).matched))
    }

    @Test func fieldsResetBetweenLines() throws {
        var parser = AccessLogParser(format: try LogFormat("combined"), timeZone: .utc)
        let full = Array(#"192.0.2.1 - alice [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "https://example.org/" "curl""#.utf8)
        let common = Array(#"192.0.2.2 - - [10/Mar/2024:14:02:12 +0000] "GET / HTTP/1.1" 404 -"#.utf8)
        #expect(full.withUnsafeBufferPointer { parser.parse($0) })
        #expect(common.withUnsafeBufferPointer { parser.parse($0) })
        common.withUnsafeBufferPointer { buffer in
            #expect(parser.bytes(.referer, in: buffer) == nil)
            #expect(parser.bytes(.userAgent, in: buffer) == nil)
            #expect(parser.value(.user, in: buffer) == nil)
        }
        #expect(parser.status == 404)
        #expect(parser.responseBytes == -1)
    }

    // MARK: Clients and requests

    @Test func clientAddressForms() throws {
        let lines = [
            (#"2001:db8::1 - - [10/Mar/2024:14:40:00 +0000] "GET / HTTP/2.0" 200 5 "-" "-""#, "2001:db8::1"),
            (#"::ffff:192.0.2.33 - - [10/Mar/2024:14:40:01 +0000] "GET / HTTP/1.1" 301 5 "-" "-""#, "::ffff:192.0.2.33"),
            (#"host-50.example.net - - [10/Mar/2024:14:40:04 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#, "host-50.example.net"),
            (#"2001:DB8:0:0:1:0:0:2 - - [10/Mar/2024:14:40:05 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#, "2001:DB8:0:0:1:0:0:2"),
        ]
        for (line, client) in lines {
            let parsed = try parseAccessLine(line)
            #expect(parsed.matched, "\(line)")
            #expect(parsed.text(.remoteHost) == client)
        }
        let mapped = try parseAccessLine(lines[1].0)
        #expect(ClientAddress.parse(mapped.text(.remoteHost)!) == ClientAddress.parse("192.0.2.33"))
    }

    @Test func nonHTTPRequestLinesParse() throws {
        let tls = try parseAccessLine(#"203.0.113.5 - - [10/Mar/2024:14:10:00 +0000] "\x16\x03\x01\x02\x00\x01" 400 226 "-" "-""#)
        #expect(tls.matched)
        #expect(tls.status == 400)
        #expect(tls.decoded(.request) == [0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        #expect(requestParts(tls.logged(.request)!) == nil)

        let empty = try parseAccessLine(#"203.0.113.6 - - [10/Mar/2024:14:10:08 +0000] "" 400 0 "-" "-""#)
        #expect(empty.matched)
        #expect(empty.text(.request) == "")
        #expect(requestParts(empty.logged(.request)!) == nil)
    }

    @Test func requestLineSplit() {
        #expect(requestParts("GET / HTTP/1.1")?.method == "GET")
        #expect(requestParts("get / HTTP/1.1")?.method == "get")
        #expect(requestParts("M-SEARCH * HTTP/1.1")?.method == "M-SEARCH")
        #expect(requestParts("GET / HTTP/2.0")?.protocolName == "HTTP/2.0")
        #expect(requestParts("GET / HTTP/3")?.protocolName == "HTTP/3")
        #expect(requestParts("GET /a b c HTTP/1.1")?.target == "/a b c")
        #expect(requestParts("GET /")?.target == "/")
        #expect(requestParts("GET /")?.protocolName == nil)
        #expect(requestParts("GET /share\\")?.target == "/share\\")
        #expect(requestParts("GET / HTTP/1.1 ")?.protocolName == "HTTP/1.1")
        #expect(requestParts("GET HTTP/1.1")?.target == "HTTP/1.1")
        #expect(requestParts("GET / HTTP/11")?.protocolName == nil)
    }

    @Test func requestLineRejects() {
        for text in ["", "-", "SSH-2.0-Go", "HELP", #"\x16\x03\x01"#, #"\x03\x00\x00/*\xe0 Cookie: mstshash=nmap"#, "GET/ HTTP/1.1"] {
            #expect(requestParts(text) == nil, "\(text)")
        }
    }

    @Test func http2PrefaceFlagged() {
        let preface = Array("PRI * HTTP/2.0".utf8)
        let split = preface.withUnsafeBufferPointer { RequestLine.split($0) }
        #expect(split?.isHTTP2Preface == true)
        let normal = Array("GET * HTTP/2.0".utf8)
        #expect(normal.withUnsafeBufferPointer { RequestLine.split($0) }?.isHTTP2Preface == false)
    }
}

// MARK: - Helpers shared by the access-log tests

/// The fields of one line, copied out of an `AccessLogParser` for assertions.
struct ParsedAccessLine {
    var matched: Bool
    var status: Int
    var time: Int64
    var responseBytes: Int64
    var durationMicroseconds: Int64
    /// Logged bytes of each field the line contains, by parser slot.
    var logged: [Int: [UInt8]]
    /// Slots whose field `AccessLogParser.value(_:in:)` reports as `-`.
    var dashSlots: Set<Int>
    var format: LogFormat

    /// Returns the field's bytes as logged, or nil when the line does not contain it.
    func logged(_ field: AccessField) -> [UInt8]? { logged[field.rawValue] }

    /// Returns the field's bytes with escapes decoded, or nil when absent or `-`.
    func decoded(_ field: AccessField) -> [UInt8]? {
        guard !dashSlots.contains(field.rawValue), let bytes = logged[field.rawValue] else { return nil }
        return bytes.withUnsafeBufferPointer { ApacheEscapes.decode($0) }
    }

    /// Returns the field's decoded text, or nil when absent or `-`.
    func text(_ field: AccessField) -> String? {
        decoded(field).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Returns the decoded text of a field listed in `LogFormat.extraFieldNames`.
    func extra(_ name: String) -> String? {
        guard let slot = format.slot(ofExtraField: name), let bytes = logged[slot] else { return nil }
        return bytes.withUnsafeBufferPointer { ApacheEscapes.decodeString($0) }
    }
}

/// Parses one line (without its newline) with a format compiled from `format`.
func parseAccessLine(_ line: [UInt8], format: LogFormat, timeZone: LocalTimeZone = .utc) -> ParsedAccessLine {
    var parser = AccessLogParser(format: format, timeZone: timeZone)
    return line.withUnsafeBufferPointer { buffer in
        let matched = parser.parse(buffer)
        var logged: [Int: [UInt8]] = [:]
        var dashSlots: Set<Int> = []
        for slot in 0..<format.slotCount {
            if let bytes = parser.bytes(slot: slot, in: buffer) { logged[slot] = Array(bytes) }
        }
        for field in AccessField.allCases where parser.bytes(field, in: buffer) != nil && parser.value(field, in: buffer) == nil {
            dashSlots.insert(field.rawValue)
        }
        return ParsedAccessLine(
            matched: matched, status: parser.status, time: parser.time, responseBytes: parser.responseBytes,
            durationMicroseconds: parser.durationMicroseconds, logged: logged, dashSlots: dashSlots, format: format)
    }
}

func parseAccessLine(_ line: [UInt8], format: String = "combined", timeZone: LocalTimeZone = .utc) throws -> ParsedAccessLine {
    parseAccessLine(line, format: try LogFormat(format), timeZone: timeZone)
}

func parseAccessLine(_ line: String, format: String = "combined", timeZone: LocalTimeZone = .utc) throws -> ParsedAccessLine {
    try parseAccessLine(Array(line.utf8), format: format, timeZone: timeZone)
}

/// Method, target and protocol of a logged request line, each decoded; nil
/// when `RequestLine.split(_:)` finds no HTTP request.
func requestParts(_ logged: [UInt8]) -> (method: String, target: String, protocolName: String?)? {
    logged.withUnsafeBufferPointer { buffer in
        guard let split = RequestLine.split(buffer) else { return nil }
        func decode(_ range: ByteRange) -> String {
            let slice = UnsafeBufferPointer(rebasing: buffer[Int(range.start)..<Int(range.end)])
            return ApacheEscapes.decodeString(slice)
        }
        return (decode(split.method), decode(split.target), split.protocolName.isPresent ? decode(split.protocolName) : nil)
    }
}

func requestParts(_ logged: String) -> (method: String, target: String, protocolName: String?)? {
    requestParts(Array(logged.utf8))
}

/// Seconds since the epoch of a UTC wall-clock time.
func utcSeconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
    CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
}

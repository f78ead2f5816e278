import Testing
@testable import LeafwatchCore

/// A directive and the field it must compile to.
struct CompiledDirectiveCase: Sendable, CustomTestStringConvertible {
    var format: String
    var field: AccessField?
    var extraField: String? = nil
    var kind: LogFormat.ValueKind

    var testDescription: String { format }
}

let compiledDirectiveCases: [CompiledDirectiveCase] = [
    CompiledDirectiveCase(format: "%h", field: .remoteHost, kind: .text),
    CompiledDirectiveCase(format: "%a", field: .clientAddress, kind: .text),
    CompiledDirectiveCase(format: "%{c}a", field: .peerAddress, kind: .text),
    CompiledDirectiveCase(format: "%{c}h", field: .peerAddress, kind: .text),
    CompiledDirectiveCase(format: "%A", field: .localAddress, kind: .text),
    CompiledDirectiveCase(format: "%l", field: .identity, kind: .text),
    CompiledDirectiveCase(format: "%u", field: .user, kind: .text),
    CompiledDirectiveCase(format: "%t", field: .time, kind: .commonLogTime),
    CompiledDirectiveCase(format: "%r", field: .request, kind: .text),
    CompiledDirectiveCase(format: "%m", field: .method, kind: .text),
    CompiledDirectiveCase(format: "%U", field: .path, kind: .text),
    CompiledDirectiveCase(format: "%q", field: .query, kind: .text),
    CompiledDirectiveCase(format: "%H", field: .protocolName, kind: .text),
    CompiledDirectiveCase(format: "%>s", field: .finalStatus, kind: .status),
    CompiledDirectiveCase(format: "%s", field: .originalStatus, kind: .status),
    CompiledDirectiveCase(format: "%<s", field: .originalStatus, kind: .status),
    CompiledDirectiveCase(format: "%b", field: .responseBytes, kind: .integer),
    CompiledDirectiveCase(format: "%B", field: .responseBytes, kind: .integer),
    CompiledDirectiveCase(format: "%O", field: .bytesSent, kind: .integer),
    CompiledDirectiveCase(format: "%I", field: .bytesReceived, kind: .integer),
    CompiledDirectiveCase(format: "%S", field: .bytesTransferred, kind: .integer),
    CompiledDirectiveCase(format: "%D", field: .duration, kind: .duration(unitsPerSecond: 1_000_000)),
    CompiledDirectiveCase(format: "%T", field: .duration, kind: .duration(unitsPerSecond: 1)),
    CompiledDirectiveCase(format: "%{ms}T", field: .duration, kind: .duration(unitsPerSecond: 1000)),
    CompiledDirectiveCase(format: "%{us}T", field: .duration, kind: .duration(unitsPerSecond: 1_000_000)),
    CompiledDirectiveCase(format: "%v", field: .virtualHost, kind: .text),
    CompiledDirectiveCase(format: "%V", field: .serverName, kind: .text),
    CompiledDirectiveCase(format: "%p", field: .serverPort, kind: .integer),
    CompiledDirectiveCase(format: "%{canonical}p", field: .serverPort, kind: .integer),
    CompiledDirectiveCase(format: "%{remote}p", field: .remotePort, kind: .integer),
    CompiledDirectiveCase(format: "%k", field: .keepAliveRequests, kind: .integer),
    CompiledDirectiveCase(format: "%L", field: .logID, kind: .text),
    CompiledDirectiveCase(format: "%X", field: .connectionStatus, kind: .text),
    CompiledDirectiveCase(format: "%{Referer}i", field: .referer, kind: .text),
    CompiledDirectiveCase(format: "%{User-Agent}i", field: .userAgent, kind: .text),
    CompiledDirectiveCase(format: "%{x-forwarded-for}i", field: .forwardedFor, kind: .text),
    CompiledDirectiveCase(format: "%{Host}i", field: .hostHeader, kind: .text),
    CompiledDirectiveCase(format: "%{Cookie}i", field: nil, extraField: "header:Cookie", kind: .text),
    CompiledDirectiveCase(format: "%{Location}o", field: nil, extraField: "response:Location", kind: .text),
    CompiledDirectiveCase(format: "%{UNIQUE_ID}e", field: nil, extraField: "env:UNIQUE_ID", kind: .text),
    CompiledDirectiveCase(format: "%{SSL_CIPHER}x", field: nil, extraField: "ssl:SSL_CIPHER", kind: .text),
    CompiledDirectiveCase(format: "%{sec}t", field: .time, kind: .epochTime(unitsPerSecond: 1)),
    CompiledDirectiveCase(format: "%{msec}t", field: .time, kind: .epochTime(unitsPerSecond: 1000)),
    CompiledDirectiveCase(format: "%{usec}t", field: .time, kind: .epochTime(unitsPerSecond: 1_000_000)),
    CompiledDirectiveCase(format: "%{end:%d/%b/%Y:%H:%M:%S %z}t", field: .time, kind: .strftime("%d/%b/%Y:%H:%M:%S %z")),
    CompiledDirectiveCase(format: "%400,501{Referer}i", field: .referer, kind: .text),
    CompiledDirectiveCase(format: "%!200,304{User-Agent}i", field: .userAgent, kind: .text),
]

@Suite struct LogFormatTests {
    @Test(arguments: compiledDirectiveCases)
    func directiveCompiles(_ testCase: CompiledDirectiveCase) throws {
        let format = try LogFormat(testCase.format)
        let fields = format.items.compactMap { item -> LogFormat.Field? in
            if case .field(let field) = item { return field }
            return nil
        }
        #expect(fields.count == 1)
        let slot = testCase.field?.rawValue ?? testCase.extraField.flatMap { format.slot(ofExtraField: $0) }
        #expect(slot != nil)
        #expect(fields.first?.slot == slot)
        #expect(fields.first?.kind == testCase.kind)
        #expect(fields.first?.directive == testCase.format)
    }

    @Test func timeGetsBrackets() throws {
        let format = try LogFormat("%t")
        #expect(format.items.count == 3)
        #expect(format.items.first == .literal(Array("[".utf8)))
        #expect(format.items.last == .literal(Array("]".utf8)))
    }

    @Test func percentAndLiteralText() throws {
        let format = try LogFormat("100%% client=%h;")
        #expect(format.items.count == 3)
        #expect(format.items[0] == .literal(Array("100% client=".utf8)))
        #expect(format.items[2] == .literal(Array(";".utf8)))
    }

    @Test func configEscapesBecomeBytes() throws {
        let format = try LogFormat(#"%h \"%r\"\t%>s"#)
        #expect(format.items[1] == .literal(Array(" \"".utf8)))
        #expect(format.items[3] == .literal(Array("\"\t".utf8)))
    }

    @Test func nicknamesCompile() throws {
        let combined = try LogFormat("combined")
        #expect(combined.source == "combined")
        for field in [AccessField.remoteHost, .identity, .user, .time, .request, .finalStatus, .responseBytes, .referer, .userAgent] {
            #expect(combined.contains(field), "combined lacks \(field)")
        }

        let common = try LogFormat("common")
        #expect(common.contains(.responseBytes))
        #expect(!common.contains(.referer))

        let vhost = try LogFormat("vhost_combined")
        #expect(vhost.contains(.virtualHost))
        #expect(vhost.contains(.serverPort))
        #expect(vhost.contains(.bytesSent))

        let combinedIO = try LogFormat("combinedio")
        #expect(combinedIO.contains(.bytesReceived))
        #expect(combinedIO.contains(.bytesSent))

        let nginx = try LogFormat("nginx")
        #expect(nginx.contains(.remoteHost))
        #expect(nginx.contains(.finalStatus))
        #expect(nginx.contains(.userAgent))
    }

    @Test func nginxCombinedMatchesApacheFields() throws {
        let nginx = try LogFormat("nginx")
        let apache = try LogFormat("combined")
        let nginxSlots = nginx.items.compactMap { item -> Int? in if case .field(let f) = item { return f.slot } else { return nil } }
        let apacheSlots = apache.items.compactMap { item -> Int? in if case .field(let f) = item { return f.slot } else { return nil } }
        // nginx writes `$status`, the final status, where combined has `%>s`; the identity slot is a literal `-`.
        #expect(nginxSlots == apacheSlots.filter { $0 != AccessField.identity.rawValue })
    }

    @Test func nginxVariables() throws {
        let format = try LogFormat(#"$remote_addr ${remote_user} [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_response_time $http_x_request_id"#)
        #expect(format.contains(.remoteHost))
        #expect(format.contains(.user))
        #expect(format.contains(.time))
        #expect(format.contains(.duration))
        #expect(format.extraFieldNames == ["nginx:upstream_response_time", "header:x-request-id"])

        let iso = try LogFormat("$time_iso8601 $remote_addr")
        guard case .field(let time) = iso.items[0] else {
            Issue.record("first item is not a field")
            return
        }
        #expect(time.kind == .strftime("%Y-%m-%dT%H:%M:%S%z"))

        let msec = try LogFormat("$msec $remote_addr")
        guard case .field(let epoch) = msec.items[0] else {
            Issue.record("first item is not a field")
            return
        }
        #expect(epoch.kind == .epochTime(unitsPerSecond: 1))

        let query = try LogFormat("$uri$is_args$args $status")
        #expect(query.contains(.path))
        #expect(query.contains(.query))
    }

    @Test func extraFieldsShareSlots() throws {
        let format = try LogFormat(#"%{Cookie}i %{Cookie}i %{Location}o"#)
        #expect(format.extraFieldNames == ["header:Cookie", "response:Location"])
        #expect(format.slotCount == AccessField.allCases.count + 2)
        #expect(format.slot(ofExtraField: "header:Cookie") == AccessField.allCases.count)
        #expect(format.slot(ofExtraField: "header:Missing") == nil)
    }

    @Test func fieldOffsetsRecorded() throws {
        let format = try LogFormat("%h %{Referer}i")
        let offsets = format.items.compactMap { item -> Int? in if case .field(let f) = item { return f.offset } else { return nil } }
        #expect(offsets == [0, 3])
    }

    @Test(arguments: [
        ("%h %Z", 3, "unknown directive"),
        ("%h %", 3, "at the end"),
        ("%h %{Referer", 4, "closing"),
        ("%h %{bogus}p", 3, "port kind"),
        ("%h %{min}T", 3, "unit"),
        ("%h %{%Q}t", 3, "time pattern"),
        ("just text", 0, "no field"),
        ("%h%l", 2, "directly follows"),
        ("$remote_addr ${remote_user", 13, "closing"),
        ("$remote_addr $ x", 13, "variable name"),
        ("$remote_addr$status", 12, "directly follows"),
    ])
    func invalidFormatThrows(_ format: String, _ offset: Int, _ reasonPart: String) {
        #expect {
            _ = try LogFormat(format)
        } throws: { error in
            guard let error = error as? LogFormatError else { return false }
            return error.offset == offset && error.reason.contains(reasonPart) && error.format == format
        }
    }

    @Test func errorDescriptionNamesFormat() {
        let error = LogFormatError(format: "%h %Z", offset: 3, reason: "unknown directive '%Z'")
        #expect(error.description == "invalid log format '%h %Z' at offset 3: unknown directive '%Z'")
    }

    @Test func selfDelimitingFieldsMayTouch() throws {
        _ = try LogFormat("%>s%b")
        _ = try LogFormat("%{%Y-%m-%d}t%h")
        _ = try LogFormat("%U%q")
    }
}

/// Turns parsed log lines into observations for the detectors: resolves
/// the client (trusted proxies), decodes the user, marks ignored paths and
/// picks the virtual host.
///
/// The client of an access-log line is `%h` (else `%a`, else `%{c}a`).
/// Only when that peer is in `trustedProxies` is `X-Forwarded-For` read:
/// from its right end, entries that are trusted proxies themselves are
/// skipped, and the first other entry is the client. Entries further left
/// were written by the client and prove nothing. When that entry is not an
/// address (`unknown`), the last trusted hop stays the client.
public struct ObservationBuilder: Sendable {
    public let trustedProxies: [Configuration.IPNetwork]
    public let ignorePaths: [PathPattern]
    /// Host names seen in client fields; the daemon saves and restores it with its state.
    public var hostNames = HostNameTable()
    /// Bytes (both letter cases) that a path must end with to match any
    /// pattern; nil when some pattern can end with any byte.
    private let lastBytes: [Bool]?
    private var lastVirtualHost: (bytes: [UInt8], text: String)? = nil

    public init(trustedProxies: [Configuration.IPNetwork] = [], ignorePaths: [PathPattern] = []) {
        self.trustedProxies = trustedProxies
        self.ignorePaths = ignorePaths
        var table = [Bool](repeating: false, count: 256)
        var usable = true
        for pattern in ignorePaths {
            guard let last = pattern.text.utf8.last, last != UInt8(ascii: "*"), last != UInt8(ascii: "?"), last != ASCII.closeBracket else {
                usable = false
                break
            }
            table[Int(ASCII.lowercased(last))] = true
            if last >= 0x61 && last <= 0x7A { table[Int(last - 0x20)] = true }
            if last >= 0x41 && last <= 0x5A { table[Int(last | 0x20)] = true }
        }
        lastBytes = usable ? table : nil
    }

    public func isTrusted(_ address: ClientAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// Makes the observation of an access-log line the parser has just read.
    public mutating func observation(_ parser: AccessLogParser, line: UnsafeBufferPointer<UInt8>) -> Observation {
        let peerBytes = parser.bytes(.remoteHost, in: line) ?? parser.bytes(.clientAddress, in: line) ?? parser.bytes(.peerAddress, in: line)
        var client = peerBytes.map { hostNames.address(for: $0) } ?? ClientAddress(high: 0, low: 0, kind: .hostName)
        if !trustedProxies.isEmpty, isTrusted(client), let forwarded = parser.bytes(.forwardedFor, in: line) {
            client = forwardedClient(ApacheEscapes.decode(forwarded)) ?? client
        }

        var user: String? = nil
        if let userBytes = parser.bytes(.user, in: line), !(userBytes.count == 1 && userBytes[0] == ASCII.minus) {
            user = ApacheEscapes.decodeString(userBytes)
        }

        var virtualHost: String? = nil
        if let hostBytes = parser.bytes(.virtualHost, in: line) ?? parser.bytes(.serverName, in: line),
           !(hostBytes.count == 1 && hostBytes[0] == ASCII.minus) {
            // Lines of one virtual host follow each other, so the last name is reused.
            if let last = lastVirtualHost, last.bytes.elementsEqual(hostBytes) {
                virtualHost = last.text
            } else {
                let text = ApacheEscapes.decodeString(hostBytes).lowercased()
                lastVirtualHost = (Array(hostBytes), text)
                virtualHost = text
            }
        }

        return Observation(kind: .request(status: parser.status), time: parser.time, client: client, user: user, virtualHost: virtualHost,
                           isIgnoredPath: isIgnored(parser, line: line))
    }

    /// Makes the observation of an error-log authentication failure or
    /// denial; nil for other error-log lines and lines without a time.
    public mutating func observation(_ record: ErrorLogRecord) -> Observation? {
        guard let event = record.event, let time = record.time else { return nil }
        // httpd writes some failed logins with `[remote …]` and no `[client …]`.
        guard let text = record.client ?? record.remote else { return nil }
        var copy = text
        let client = copy.withUTF8 { hostNames.address(for: $0) }
        switch event {
        case .authenticationFailure(let user, _):
            return Observation(kind: .authenticationFailure, time: time, client: client, user: user)
        case .authorizationDenied(let user):
            return Observation(kind: .authorizationDenied, time: time, client: client, user: user)
        }
    }

    /// Walks an `X-Forwarded-For` list from the right; returns the first
    /// address that is not a trusted proxy.
    func forwardedClient(_ header: [UInt8]) -> ClientAddress? {
        var lastTrusted: ClientAddress? = nil
        for entry in header.split(separator: ASCII.comma, omittingEmptySubsequences: true).reversed() {
            let trimmed = entry.drop { $0 == ASCII.space || $0 == ASCII.tab }
            let text = Array(trimmed.reversed().drop { $0 == ASCII.space || $0 == ASCII.tab }.reversed())
            guard let address = ObservationBuilder.parseHop(text) else { return lastTrusted }
            if isTrusted(address) {
                lastTrusted = address
                continue
            }
            return address
        }
        return lastTrusted
    }

    /// Parses one hop: an address, `address:port` for IPv4, or `[address]:port`.
    static func parseHop(_ text: [UInt8]) -> ClientAddress? {
        text.withUnsafeBufferPointer { buffer -> ClientAddress? in
            if let address = ClientAddress.parse(buffer) { return address }
            // `[2001:db8::7]:51234`
            if buffer.first == ASCII.openBracket, let close = buffer.firstIndex(of: ASCII.closeBracket, from: 0, to: buffer.count) {
                return ClientAddress.parse(UnsafeBufferPointer(rebasing: buffer[1..<close]))
            }
            // `198.51.100.7:51234`: exactly one colon.
            if let colon = buffer.firstIndex(of: ASCII.colon, from: 0, to: buffer.count),
               buffer.firstIndex(of: ASCII.colon, from: colon + 1, to: buffer.count) == nil {
                return ClientAddress.parse(UnsafeBufferPointer(rebasing: buffer[0..<colon]))
            }
            return nil
        }
    }

    private func isIgnored(_ parser: AccessLogParser, line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !ignorePaths.isEmpty else { return false }
        var path: UnsafeBufferPointer<UInt8>
        if let bytes = parser.bytes(.path, in: line) {
            path = bytes
        } else if let request = parser.bytes(.request, in: line), let target = ObservationBuilder.target(of: request) {
            path = target
        } else {
            return false
        }
        if let question = path.firstIndex(of: UInt8(ascii: "?"), from: 0, to: path.count) {
            path = UnsafeBufferPointer(rebasing: path[0..<question])
        }
        guard let last = path.last else { return false }
        if let lastBytes, !lastBytes[Int(last)] { return false }
        return ignorePaths.contains { $0.matches(path) }
    }

    /// Returns the target of a request line: after the first space, before
    /// the last space when more than one follows. Cheaper than `RequestLine.split`,
    /// which also validates the method and protocol.
    @inline(__always)
    static func target(of request: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let firstSpace = request.firstIndex(of: ASCII.space, from: 0, to: request.count) else { return nil }
        var end = request.count
        var index = end - 1
        while index > firstSpace, request[index] != ASCII.space { index -= 1 }
        if index > firstSpace { end = index }
        return UnsafeBufferPointer(rebasing: request[(firstSpace + 1)..<end])
    }
}

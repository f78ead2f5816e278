/// A client's address as a fixed-size value, cheap to hash and compare.
///
/// IPv4 addresses and IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are
/// the same value, so a client counts once whichever way the server wrote
/// it. IPv6 addresses are compared by value, whatever their spelling or
/// letter case; a zone (`%eth0`) and brackets are dropped. A client logged
/// as a host name (Apache's `HostnameLookups On`) is kept as the name,
/// interned in a `HostNameTable`, and never resolved.
public struct ClientAddress: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case ipv4, ipv6, hostName
    }

    /// The address in network order: IPv4 as `::ffff:a.b.c.d`.
    public var high: UInt64
    public var low: UInt64
    public var kind: Kind

    public init(high: UInt64, low: UInt64, kind: Kind) {
        self.high = high
        self.low = low
        self.kind = kind
    }

    /// Hashes the two address words only: the kind follows from them except
    /// for host-name indices, whose few collisions with `::n` cost nothing.
    /// Each line hashes its client several times; leaving the kind out saved
    /// 3 % of the detection thread's instructions (callgrind, 200,000 lines).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(high)
        hasher.combine(low)
    }

    /// Creates an IPv4 address from its 32-bit value.
    public init(ipv4 value: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(value), kind: .ipv4)
    }

    /// The `/64` network of an IPv6 address; IPv4 addresses and names are returned unchanged.
    public var network64: ClientAddress {
        kind == .ipv6 ? ClientAddress(high: high, low: 0, kind: .ipv6) : self
    }

    /// Parses an IPv4 or IPv6 address; nil for anything else.
    public static func parse(_ text: String) -> ClientAddress? {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// Parses an IPv4 or IPv6 address, optionally in brackets and with a zone; nil for anything else.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ClientAddress? {
        guard bytes.count > 0 else { return nil }
        if let value = parseIPv4(bytes) { return ClientAddress(ipv4: value) }

        var start = 0
        var end = bytes.count
        if bytes[0] == ASCII.openBracket {
            guard bytes[end - 1] == ASCII.closeBracket else { return nil }
            start = 1
            end -= 1
        }
        if let zone = bytes.firstIndex(of: ASCII.percent, from: start, to: end) {
            // RFC 6874: a zone id is not empty.
            guard zone + 1 < end else { return nil }
            end = zone
        }
        guard let (high, low) = parseIPv6(UnsafeBufferPointer(rebasing: bytes[start..<end])) else { return nil }
        if high == 0, low >> 32 == 0xFFFF {
            return ClientAddress(ipv4: UInt32(truncatingIfNeeded: low))
        }
        return ClientAddress(high: high, low: low, kind: .ipv6)
    }

    /// Parses dotted-quad IPv4: four decimal numbers 0...255 without leading
    /// zeros. Like glibc's `inet_pton`, it rejects `010.0.0.1`, which other
    /// readers take as octal, so a forged X-Forwarded-For entry cannot pass
    /// for a trusted proxy's address.
    @inline(__always)
    static func parseIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard bytes.count >= 7, bytes.count <= 15 else { return nil }
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in bytes {
            if byte == ASCII.dot {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
                dots += 1
            } else {
                let digit = byte &- ASCII.zero
                guard digit < 10, digits < 3, digits == 0 || part != 0 else { return nil }
                part = part * 10 + UInt32(digit)
                guard part <= 255 else { return nil }
                digits += 1
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | part
    }

    /// Parses RFC 4291 text: eight groups of up to four hex digits, one `::`,
    /// and an optional trailing dotted IPv4 part.
    static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        var groups = [UInt16](repeating: 0, count: 8)
        var count = 0
        var gap: Int? = nil
        var i = 0
        let end = bytes.count

        if bytes[0] == ASCII.colon {
            guard bytes[1] == ASCII.colon else { return nil }
            gap = 0
            i = 2
        }
        while i < end {
            // An embedded IPv4 part ends the address.
            var j = i
            var value: UInt32 = 0
            while j < end, j - i < 4, let digit = ASCII.hexValue(bytes[j]) {
                value = value << 4 | UInt32(digit)
                j += 1
            }
            if j < end, bytes[j] == ASCII.dot {
                guard count <= 6, let ipv4 = parseIPv4(UnsafeBufferPointer(rebasing: bytes[i..<end])) else { return nil }
                groups[count] = UInt16(ipv4 >> 16)
                groups[count + 1] = UInt16(ipv4 & 0xFFFF)
                count += 2
                i = end
                break
            }
            guard j > i, count < 8 else { return nil }
            groups[count] = UInt16(value)
            count += 1
            i = j
            if i == end { break }
            guard bytes[i] == ASCII.colon else { return nil }
            i += 1
            if i < end, bytes[i] == ASCII.colon {
                guard gap == nil else { return nil }
                gap = count
                i += 1
            } else if i == end {
                return nil
            }
        }

        if let gap {
            guard count < 8 else { return nil }
            let tail = Array(groups[gap..<count])
            for k in gap..<8 { groups[k] = 0 }
            for (k, group) in tail.enumerated() { groups[8 - tail.count + k] = group }
        } else {
            guard count == 8 else { return nil }
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
        for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
        return (high, low)
    }
}

extension ClientAddress {
    /// The address in its canonical text form: dotted IPv4, or IPv6 as in
    /// RFC 5952 (lower case, the longest run of zero groups shortened to `::`).
    /// Host names need their table: use `HostNameTable.text(for:)`.
    public var ipText: String {
        switch kind {
        case .ipv4:
            // Written byte by byte: string interpolation costs microseconds, and
            // reports format tens of thousands of addresses.
            let v = UInt32(truncatingIfNeeded: low)
            return String(unsafeUninitializedCapacity: 15) { buffer in
                var count = 0
                for shift in [24, 16, 8, 0] as [UInt32] {
                    let octet = Int(v >> shift & 0xFF)
                    if shift != 24 {
                        buffer[count] = ASCII.dot
                        count += 1
                    }
                    if octet >= 100 {
                        buffer[count] = UInt8(octet / 100) + ASCII.zero
                        count += 1
                    }
                    if octet >= 10 {
                        buffer[count] = UInt8(octet / 10 % 10) + ASCII.zero
                        count += 1
                    }
                    buffer[count] = UInt8(octet % 10) + ASCII.zero
                    count += 1
                }
                return count
            }
        case .ipv6:
            var groups: [UInt16] = []
            for k in (0..<4).reversed() { groups.append(UInt16(truncatingIfNeeded: high >> (16 * UInt64(k)))) }
            for k in (0..<4).reversed() { groups.append(UInt16(truncatingIfNeeded: low >> (16 * UInt64(k)))) }
            var bestStart = -1, bestLength = 0, runStart = -1
            for k in 0...8 {
                if k < 8, groups[k] == 0 {
                    if runStart < 0 { runStart = k }
                } else if runStart >= 0 {
                    if k - runStart > bestLength, k - runStart >= 2 { bestStart = runStart; bestLength = k - runStart }
                    runStart = -1
                }
            }
            func hex(_ range: Range<Int>) -> String {
                groups[range].map { String($0, radix: 16) }.joined(separator: ":")
            }
            guard bestStart >= 0 else { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        case .hostName:
            return "host#\(low)"
        }
    }
}

/// Host names seen as clients, each stored once; `ClientAddress` values of
/// kind `.hostName` hold an index into this table.
public struct HostNameTable: Sendable {
    private var indices: [String: UInt64] = [:]
    private var names: [String] = []

    public init() {}

    /// Returns the address value for a client field: the parsed IP address,
    /// or the interned name for anything else.
    public mutating func address(for bytes: UnsafeBufferPointer<UInt8>) -> ClientAddress {
        if let address = ClientAddress.parse(bytes) { return address }
        let name = String(decoding: bytes, as: UTF8.self).lowercased()
        if let index = indices[name] { return ClientAddress(high: 0, low: index, kind: .hostName) }
        let index = UInt64(names.count)
        names.append(name)
        indices[name] = index
        return ClientAddress(high: 0, low: index, kind: .hostName)
    }

    /// Returns the text of an address: the IP address or the host name.
    public func text(for address: ClientAddress) -> String {
        guard address.kind == .hostName else { return address.ipText }
        let index = Int(address.low)
        return index < names.count ? names[index] : address.ipText
    }
}

/// Encoded as the names in index order, so that host-name clients saved
/// with the table keep their meaning.
extension HostNameTable: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let names = try container.decode([String].self)
        self.init()
        for name in names {
            guard indices[name] == nil else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "host name '\(name)' is repeated")
            }
            indices[name] = UInt64(self.names.count)
            self.names.append(name)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}

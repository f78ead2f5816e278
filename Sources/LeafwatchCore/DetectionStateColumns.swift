/// Integers encoded as one string of decimal numbers separated by single
/// spaces. `JSONEncoder` and `JSONDecoder` handle one long string many
/// times faster than an array with one JSON number per element, and saved
/// detection state contains hundreds of thousands of counts.
struct PackedIntegers: Codable, Equatable {
    var values: [Int64]

    init(_ values: [Int64] = []) {
        self.values = values
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        var text = try container.decode(String.self)
        guard let values = text.withUTF8(Self.parse) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected whole numbers from Int64.min to Int64.max separated by single spaces")
        }
        self.values = values
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.format(values))
    }

    static func format(_ values: [Int64]) -> String {
        // At most 20 bytes per number (a sign and 19 digits) and one space.
        String(unsafeUninitializedCapacity: values.count * 21) { buffer in
            var count = 0
            for value in values {
                if count > 0 {
                    buffer[count] = ASCII.space
                    count += 1
                }
                if value < 0 {
                    buffer[count] = ASCII.minus
                    count += 1
                }
                // Digits come out least significant first, so they are reversed in place.
                let start = count
                var magnitude = value.magnitude
                repeat {
                    buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) + ASCII.zero
                    count += 1
                    magnitude /= 10
                } while magnitude > 0
                var low = start
                var high = count - 1
                while low < high {
                    buffer.swapAt(low, high)
                    low += 1
                    high -= 1
                }
            }
            return count
        }
    }

    /// Parses the text that `format` writes. Returns nil for anything else.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int64]? {
        var values: [Int64] = []
        guard !bytes.isEmpty else { return values }
        values.reserveCapacity(bytes.count / 4)
        var index = 0
        while true {
            let isNegative = bytes[index] == ASCII.minus
            if isNegative { index += 1 }
            let start = index
            var magnitude: UInt64 = 0
            while index < bytes.count {
                let digit = bytes[index] &- ASCII.zero
                guard digit < 10 else { break }
                let (product, productOverflow) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, sumOverflow) = product.addingReportingOverflow(UInt64(digit))
                guard !productOverflow, !sumOverflow else { return nil }
                magnitude = sum
                index += 1
            }
            guard index > start else { return nil }
            if isNegative {
                guard magnitude <= Int64.min.magnitude else { return nil }
                values.append(magnitude == Int64.min.magnitude ? .min : -Int64(magnitude))
            } else {
                guard magnitude <= UInt64(Int64.max) else { return nil }
                values.append(Int64(magnitude))
            }
            if index == bytes.count { return values }
            guard bytes[index] == ASCII.space, index + 1 < bytes.count else { return nil }
            index += 1
        }
    }
}

/// Optional strings as one concatenated string and the UTF-8 length of
/// each, -1 for nil: two JSON values in place of one per string.
struct StringColumn: Codable {
    var lengths: PackedIntegers
    var text: String

    init(_ strings: [String?]) {
        var lengths: [Int64] = []
        lengths.reserveCapacity(strings.count)
        var text = ""
        for string in strings {
            lengths.append(string.map { Int64($0.utf8.count) } ?? -1)
            if let string { text += string }
        }
        self.lengths = PackedIntegers(lengths)
        self.text = text
    }

    init(_ strings: [String]) {
        self.init(strings.map { Optional($0) })
    }

    func optionalStrings() throws(InvalidDetectionState) -> [String?] {
        var text = text
        let result = text.withUTF8 { bytes -> [String?]? in
            var strings: [String?] = []
            strings.reserveCapacity(lengths.values.count)
            var offset = 0
            for length in lengths.values {
                guard length >= 0 else {
                    guard length == -1 else { return nil }
                    strings.append(nil)
                    continue
                }
                guard length <= bytes.count - offset else { return nil }
                let end = offset + Int(length)
                // A length that splits a character leaves invalid UTF-8, which is rejected.
                guard let string = String(validating: bytes[offset..<end], as: UTF8.self) else { return nil }
                strings.append(string)
                offset = end
            }
            return offset == bytes.count ? strings : nil
        }
        guard let result else { throw InvalidDetectionState("string lengths do not match the text") }
        return result
    }

    func strings() throws(InvalidDetectionState) -> [String] {
        let strings = try optionalStrings()
        var result: [String] = []
        result.reserveCapacity(strings.count)
        for string in strings {
            guard let string else { throw InvalidDetectionState("a string is missing") }
            result.append(string)
        }
        return result
    }
}

/// Client addresses as three packed integers each: kind, high and low
/// word, the words as the bit patterns of `Int64`. An IPv4 address is
/// written as its 32-bit value in place of the low word, which is shorter.
struct AddressColumn: Codable {
    var fields: PackedIntegers

    init(_ addresses: [ClientAddress]) {
        var values: [Int64] = []
        values.reserveCapacity(addresses.count * 3)
        for address in addresses {
            values.append(Int64(address.kind.rawValue))
            values.append(Int64(bitPattern: address.high))
            values.append(address.kind == .ipv4 ? Int64(address.low & 0xFFFF_FFFF) : Int64(bitPattern: address.low))
        }
        fields = PackedIntegers(values)
    }

    func addresses() throws(InvalidDetectionState) -> [ClientAddress] {
        let values = fields.values
        guard values.count % 3 == 0 else { throw InvalidDetectionState("an address lacks some of its three fields") }
        var result: [ClientAddress] = []
        result.reserveCapacity(values.count / 3)
        for index in stride(from: 0, to: values.count, by: 3) {
            guard let rawKind = UInt8(exactly: values[index]), let kind = ClientAddress.Kind(rawValue: rawKind) else {
                throw InvalidDetectionState("address kind \(values[index]) is unknown")
            }
            if kind == .ipv4 {
                guard values[index + 1] == 0, let value = UInt32(exactly: values[index + 2]) else {
                    throw InvalidDetectionState("IPv4 address \(values[index + 2]) is out of range")
                }
                result.append(ClientAddress(ipv4: value))
            } else {
                result.append(ClientAddress(high: UInt64(bitPattern: values[index + 1]), low: UInt64(bitPattern: values[index + 2]),
                                            kind: kind))
            }
        }
        return result
    }
}

/// Episodes as columns: seven integers each in `numbers` (number, first
/// seen, last seen, count, priority, last report, and requests or -1 for
/// none) and four names each in `names` (key, client, user, virtual host).
struct EpisodeColumns: Codable {
    var numbers: PackedIntegers
    var names: StringColumn

    init(_ episodes: [Episode]) {
        var values: [Int64] = []
        values.reserveCapacity(episodes.count * 7)
        var names: [String?] = []
        names.reserveCapacity(episodes.count * 4)
        for episode in episodes {
            values += [Int64(episode.number), episode.firstSeen, episode.lastSeen, Int64(episode.count),
                       Int64(episode.priority.rawValue), episode.lastReport, Int64(episode.requests ?? -1)]
            names += [episode.subject.key, episode.subject.client, episode.subject.user, episode.subject.virtualHost]
        }
        numbers = PackedIntegers(values)
        self.names = StringColumn(names)
    }

    /// Returns the episodes after checking each.
    func episodes() throws(InvalidDetectionState) -> [Episode] {
        let values = numbers.values
        let names = try self.names.optionalStrings()
        guard values.count % 7 == 0, names.count == values.count / 7 * 4 else {
            throw InvalidDetectionState("episode columns of \(values.count) numbers and \(names.count) names do not match")
        }
        var result: [Episode] = []
        result.reserveCapacity(values.count / 7)
        for index in 0..<(values.count / 7) {
            let row = values[(index * 7)..<(index * 7 + 7)]
            let name = names[(index * 4)..<(index * 4 + 4)]
            let base = row.startIndex
            let nameBase = name.startIndex
            guard let key = name[nameBase] else { throw InvalidDetectionState("episode \(row[base]) has no key") }
            guard let priority = Int(exactly: row[base + 4]).flatMap(Priority.init(rawValue:)) else {
                throw InvalidDetectionState("episode \(row[base]) has an invalid priority")
            }
            let requests = row[base + 6]
            guard requests >= -1 else { throw InvalidDetectionState("episode \(row[base]) has a negative request count") }
            let subject = AlertSubject(key: key, client: name[nameBase + 1], user: name[nameBase + 2], virtualHost: name[nameBase + 3])
            let episode = Episode(number: Int(row[base]), subject: subject, firstSeen: row[base + 1], lastSeen: row[base + 2],
                                  count: Int(row[base + 3]), priority: priority, lastReport: row[base + 5],
                                  requests: requests == -1 ? nil : Int(requests))
            try episode.validate()
            result.append(episode)
        }
        return result
    }
}

// MARK: - Key columns

/// A detector key type whose keys are saved together as one column, which
/// encodes and decodes much faster than one JSON value per key.
protocol ColumnCodable: SlotIndexKey {
    associatedtype Column: Codable
    static func column(of keys: [Self]) -> Column
    static func keys(in column: Column) throws(InvalidDetectionState) -> [Self]
}

extension ClientAddress: ColumnCodable {
    static func column(of keys: [ClientAddress]) -> AddressColumn {
        AddressColumn(keys)
    }

    static func keys(in column: AddressColumn) throws(InvalidDetectionState) -> [ClientAddress] {
        try column.addresses()
    }
}

extension String: ColumnCodable {
    static func column(of keys: [String]) -> StringColumn {
        StringColumn(keys)
    }

    static func keys(in column: StringColumn) throws(InvalidDetectionState) -> [String] {
        try column.strings()
    }
}

extension UserNetwork: ColumnCodable {
    struct Column: Codable {
        var users: StringColumn
        var networks: AddressColumn
    }

    static func column(of keys: [UserNetwork]) -> Column {
        Column(users: StringColumn(keys.map(\.user)), networks: AddressColumn(keys.map(\.network)))
    }

    static func keys(in column: Column) throws(InvalidDetectionState) -> [UserNetwork] {
        let users = try column.users.strings()
        let networks = try column.networks.addresses()
        guard networks.count == users.count else {
            throw InvalidDetectionState("\(users.count) users for \(networks.count) networks")
        }
        return zip(users, networks).map { UserNetwork(user: $0, network: $1) }
    }
}

extension FailureDeduplicator.Key: ColumnCodable {
    struct Column: Codable {
        var clients: AddressColumn
        var users: StringColumn
        /// 1 for a denial, 0 for an authentication failure.
        var isDenial: PackedIntegers
    }

    static func column(of keys: [FailureDeduplicator.Key]) -> Column {
        Column(clients: AddressColumn(keys.map(\.client)), users: StringColumn(keys.map(\.user)),
               isDenial: PackedIntegers(keys.map { $0.isDenial ? 1 : 0 }))
    }

    static func keys(in column: Column) throws(InvalidDetectionState) -> [FailureDeduplicator.Key] {
        let clients = try column.clients.addresses()
        let users = try column.users.optionalStrings()
        let isDenial = column.isDenial.values
        guard users.count == clients.count, isDenial.count == clients.count else {
            throw InvalidDetectionState("\(clients.count) clients, \(users.count) users and \(isDenial.count) flags")
        }
        var keys: [FailureDeduplicator.Key] = []
        keys.reserveCapacity(clients.count)
        for index in clients.indices {
            guard isDenial[index] == 0 || isDenial[index] == 1 else {
                throw InvalidDetectionState("denial flag \(isDenial[index]) is neither 0 nor 1")
            }
            keys.append(FailureDeduplicator.Key(client: clients[index], user: users[index], isDenial: isDenial[index] == 1))
        }
        return keys
    }
}

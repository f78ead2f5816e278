/// The addresses each user has logged in from successfully, for the
/// new-client rule and for telling a forgotten password (failures from a
/// known address) from an attack (failures from an unknown one).
///
/// Addresses are kept per network: IPv4 addresses whole, IPv6 addresses by
/// their first `ipv6PrefixLength` bits, since one device's IPv6 address
/// changes within its /64. An address not seen for `history` seconds is
/// forgotten. Each user keeps at most `maxAddressesPerUser` networks (the
/// least recently seen is dropped first).
///
/// NOTE: a client logged as a host name is stored by its index in one run's
/// `HostNameTable`, so in a history saved with `--state` it does not match
/// the same name in a later run.
public struct UserHistory: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        /// First successful request of the user, event time.
        public var firstSeen: Int64
        /// Last successful request per network, event time.
        public var networks: [ClientAddress: Int64]
    }

    public var history: Int64
    public var ipv6PrefixLength: Int
    public var maxAddressesPerUser = 1000
    public private(set) var users: [String: Entry] = [:]

    public init(history: Int64 = 90 * 86_400, ipv6PrefixLength: Int = 64) {
        self.history = history
        self.ipv6PrefixLength = ipv6PrefixLength
    }

    /// Returns the network an address belongs to for this history.
    public func network(of address: ClientAddress) -> ClientAddress {
        guard address.kind == .ipv6, ipv6PrefixLength < 128 else { return address }
        let bits = ipv6PrefixLength
        if bits <= 64 {
            let mask: UInt64 = bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits)
            return ClientAddress(high: address.high & mask, low: 0, kind: .ipv6)
        }
        let mask: UInt64 = ~UInt64(0) << UInt64(128 - bits)
        return ClientAddress(high: address.high, low: address.low & mask, kind: .ipv6)
    }

    /// Tells whether `user` succeeded from the network of `address` within the history before `time`.
    public func isKnown(user: String, address: ClientAddress, at time: Int64) -> Bool {
        guard let lastSeen = users[user]?.networks[network(of: address)] else { return false }
        return time - lastSeen <= history
    }

    /// Returns the time of the user's first success, or nil for a user never seen.
    public func firstSeen(user: String) -> Int64? {
        users[user]?.firstSeen
    }

    /// Records a successful request.
    public mutating func recordSuccess(user: String, address: ClientAddress, at time: Int64) {
        let network = network(of: address)
        var entry = users[user] ?? Entry(firstSeen: time, networks: [:])
        entry.firstSeen = min(entry.firstSeen, time)
        entry.networks[network] = max(entry.networks[network] ?? time, time)
        if entry.networks.count > maxAddressesPerUser {
            let cutoff = time - history
            entry.networks = entry.networks.filter { $0.value >= cutoff }
            if entry.networks.count > maxAddressesPerUser, let oldest = entry.networks.min(by: { $0.value < $1.value }) {
                entry.networks[oldest.key] = nil
            }
        }
        users[user] = entry
    }

    /// Forgets networks not seen within the history before `time`, and users left without any.
    public mutating func expire(before time: Int64) {
        let cutoff = time - history
        for (user, var entry) in users {
            entry.networks = entry.networks.filter { $0.value >= cutoff }
            users[user] = entry.networks.isEmpty ? nil : entry
        }
    }
}

extension ClientAddress: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let kind = try container.decode(UInt8.self)
        let high = try container.decode(UInt64.self)
        let low = try container.decode(UInt64.self)
        guard let value = Kind(rawValue: kind) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown address kind \(kind)")
        }
        self.init(high: high, low: low, kind: value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(kind.rawValue)
        try container.encode(high)
        try container.encode(low)
    }
}

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
/// A client logged as a host name is stored by its index in a
/// `HostNameTable`, so a saved history keeps its meaning only together with
/// the table saved at the same time.
/// NOTE: `scan --state` saves the history without the table, so there a
/// host-name client does not match the same name in a later run.
public struct UserHistory: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        /// First successful request of the user, event time.
        public var firstSeen: Int64
        /// Last successful request per network, event time.
        public var networks: [ClientAddress: Int64]
    }

    public var history: Int64
    /// Setting a new length regroups the stored IPv6 networks by it. After a
    /// shorter length, networks that now share a prefix merge. After a longer
    /// one, a stored network matches only addresses whose added prefix bits
    /// are zero, so most of its addresses look new until the user logs in
    /// from them again.
    public var ipv6PrefixLength: Int {
        didSet {
            if ipv6PrefixLength != oldValue { regroupNetworks() }
        }
    }
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

    /// Maps every stored IPv6 network to its network under the current
    /// prefix length, keeping the latest time of those that merge.
    private mutating func regroupNetworks() {
        for (user, var entry) in users where entry.networks.keys.contains(where: { $0.kind == .ipv6 }) {
            var networks: [ClientAddress: Int64] = [:]
            for (stored, lastSeen) in entry.networks {
                let regrouped = network(of: stored)
                networks[regrouped] = max(networks[regrouped] ?? lastSeen, lastSeen)
            }
            entry.networks = networks
            users[user] = entry
        }
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

// MARK: - Saved state

extension UserHistory {
    /// The users and their networks in flat columns, for detection state.
    /// Settings are not included: the engine saves its own.
    struct Snapshot: Codable {
        /// The time that `firstSeen` and `lastSeen` are relative to.
        var timeBase: Int64
        var maxAddressesPerUser: Int
        var users: StringColumn
        var firstSeen: PackedIntegers
        /// The number of networks of each user.
        var networkCounts: PackedIntegers
        /// The networks of every user with their last success, those of one
        /// user after those of the previous one.
        var networks: AddressColumn
        var lastSeen: PackedIntegers
    }

    /// Returns the users and networks with times relative to `timeBase`.
    func snapshot(timeBase: Int64) -> Snapshot {
        var names: [String] = []
        var firstSeen: [Int64] = []
        var networkCounts: [Int64] = []
        var networks: [ClientAddress] = []
        var lastSeen: [Int64] = []
        names.reserveCapacity(users.count)
        firstSeen.reserveCapacity(users.count)
        networkCounts.reserveCapacity(users.count)
        for (user, entry) in users {
            names.append(user)
            firstSeen.append(entry.firstSeen &- timeBase)
            networkCounts.append(Int64(entry.networks.count))
            for (network, time) in entry.networks {
                networks.append(network)
                lastSeen.append(time &- timeBase)
            }
        }
        return Snapshot(timeBase: timeBase, maxAddressesPerUser: maxAddressesPerUser, users: StringColumn(names),
                        firstSeen: PackedIntegers(firstSeen), networkCounts: PackedIntegers(networkCounts),
                        networks: AddressColumn(networks), lastSeen: PackedIntegers(lastSeen))
    }

    /// Creates a history with the users of `snapshot`, after checking them.
    init(history: Int64, ipv6PrefixLength: Int, snapshot: Snapshot) throws(InvalidDetectionState) {
        self.init(history: history, ipv6PrefixLength: ipv6PrefixLength)
        guard snapshot.maxAddressesPerUser >= 1 else {
            throw InvalidDetectionState("maximum addresses per user \(snapshot.maxAddressesPerUser) is below 1")
        }
        maxAddressesPerUser = snapshot.maxAddressesPerUser

        let names = try snapshot.users.strings()
        let firstSeen = snapshot.firstSeen.values
        let networkCounts = snapshot.networkCounts.values
        let networks = try snapshot.networks.addresses()
        let lastSeen = snapshot.lastSeen.values
        guard firstSeen.count == names.count, networkCounts.count == names.count, lastSeen.count == networks.count else {
            throw InvalidDetectionState("the user columns differ in length")
        }

        let times = DetectionEngine.savedTimes
        users.reserveCapacity(names.count)
        var offset = 0
        for (index, name) in names.enumerated() {
            let count = networkCounts[index]
            guard count >= 1, count <= networks.count - offset else {
                throw InvalidDetectionState("network count \(count) of user \(index) is out of range")
            }
            var entry = Entry(firstSeen: firstSeen[index] &+ snapshot.timeBase, networks: [:])
            entry.networks.reserveCapacity(Int(count))
            for position in offset..<(offset + Int(count)) {
                let time = lastSeen[position] &+ snapshot.timeBase
                guard times.contains(time), entry.networks.updateValue(time, forKey: networks[position]) == nil else {
                    throw InvalidDetectionState("network \(position - offset) of user \(index) is repeated or has a time out of range")
                }
            }
            guard times.contains(entry.firstSeen) else {
                throw InvalidDetectionState("first success of user \(index) is out of range")
            }
            guard users.updateValue(entry, forKey: name) == nil else { throw InvalidDetectionState("user \(index) is repeated") }
            offset += Int(count)
        }
        guard offset == networks.count else { throw InvalidDetectionState("the network columns are longer than the counts") }
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

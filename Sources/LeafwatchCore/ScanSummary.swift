/// The counts that `leafwatch scan` reports: lines, status codes, clients
/// and users, accumulated line by line from access and error logs.
public struct ScanSummary: Sendable {
    /// Counts per client, 32 bits each, because a scan may hold a million
    /// clients and the table's size is most of its memory.
    public struct ClientCounts: Sendable, Equatable {
        public var requests: Int32 = 0
        /// 401 and 403 responses.
        public var denied: Int32 = 0
        /// 500–599 responses.
        public var serverErrors: Int32 = 0
        /// Authentication failures and denials in the error log.
        public var errorLogFailures: Int32 = 0
    }

    public struct UserCounts: Sendable, Equatable {
        /// Failed logins: access-log 401 with this user, 403 with this user,
        /// and error-log authentication failures and denials naming the user.
        public var failures = 0
        /// 2xx and 3xx responses to requests authenticated as this user.
        public var successes = 0
        /// Addresses the user's requests came from, failed or not.
        public var addresses: Set<ClientAddress> = []
    }

    /// A line that did not match its format, kept for the report on stderr.
    public struct MalformedLine: Sendable, Equatable {
        public var path: String
        public var lineNumber: Int
        public var text: String
        public var reason: String
    }

    public var lines = 0
    public var parsed = 0
    public var malformed = 0
    /// Lines longer than the maximum line length; they count as malformed too.
    public var cut = 0
    public var errorLogLines = 0
    public var firstTime: Int64? = nil
    public var lastTime: Int64? = nil
    /// Count per status code 0...999.
    public var statusCounts = [Int](repeating: 0, count: 1000)
    public var clients: [ClientAddress: ClientCounts] = [:]
    public var users: [String: UserCounts] = [:]
    public var malformedSamples: [MalformedLine] = []
    /// How many malformed lines are kept in `malformedSamples`.
    public var maxMalformedSamples = 5

    public init() {}

    /// Adds an access-log line that parsed, as its observation.
    @inline(__always)
    public mutating func addRequest(_ observation: Observation) {
        lines += 1
        parsed += 1
        let status = observation.status
        statusCounts[min(max(status, 0), 999)] += 1
        noteTime(observation.time)

        let isDenied = status == 401 || status == 403
        let isServerError = status >= 500 && status <= 599
        clients[observation.client, default: ClientCounts()].record(denied: isDenied, serverError: isServerError)

    }

    /// Adds a request or failure to the user table. A caller passes each
    /// failure once, after dropping the error-log copy of an access-log failure.
    public mutating func addUserActivity(_ observation: Observation) {
        // A 401 without a user is the browser's challenge, not a failed login.
        guard let user = observation.user else { return }
        let status = observation.status
        let isFailure = observation.isAuthFailure
        guard isFailure || (status >= 200 && status <= 399) else { return }
        users[user, default: UserCounts()].record(failure: isFailure, address: observation.client)
    }

    /// Counts a line that did not parse and keeps the first few for display.
    public mutating func addMalformedLine(_ line: UnsafeBufferPointer<UInt8>, path: String, lineNumber: Int, isCut: Bool, reason: String) {
        lines += 1
        malformed += 1
        if isCut { cut += 1 }
        guard malformedSamples.count < maxMalformedSamples else { return }
        malformedSamples.append(MalformedLine(path: path, lineNumber: lineNumber, text: DisplayText.escaped(line, maxBytes: 200), reason: reason))
    }

    @inline(__always)
    mutating func noteTime(_ time: Int64) {
        guard time != 0 else { return }
        if firstTime == nil || time < firstTime! { firstTime = time }
        if lastTime == nil || time > lastTime! { lastTime = time }
    }

    /// Clients ordered by 401/403 count, then 5xx count, then requests, then
    /// error-log failures, all descending; ties in address order (IPv4 before
    /// IPv6, then host names). Text is made by the caller, entry by entry.
    public func rankedClients() -> [(key: ClientAddress, value: ClientCounts)] {
        clients.sorted { a, b in
            let left = (a.value.denied, a.value.serverErrors, a.value.requests, a.value.errorLogFailures)
            let right = (b.value.denied, b.value.serverErrors, b.value.requests, b.value.errorLogFailures)
            if left != right { return left > right }
            return (a.key.kind.rawValue, a.key.high, a.key.low) < (b.key.kind.rawValue, b.key.high, b.key.low)
        }
    }

    /// Adds the counts of another summary of other lines, such as one kept
    /// on another thread, and leaves `other` without clients and users.
    /// The larger tables are moved rather than copied, so that a million
    /// clients are never held twice. Malformed-line samples stay those of `self`.
    public mutating func merge(_ other: inout ScanSummary) {
        lines += other.lines
        parsed += other.parsed
        malformed += other.malformed
        cut += other.cut
        errorLogLines += other.errorLogLines
        if let time = other.firstTime { noteTime(time) }
        if let time = other.lastTime { noteTime(time) }
        for (status, count) in other.statusCounts.enumerated() where count > 0 {
            statusCounts[status] += count
        }

        if other.clients.count > clients.count { swap(&clients, &other.clients) }
        for (address, counts) in other.clients {
            clients[address, default: ClientCounts()].add(counts)
        }
        other.clients = [:]

        if other.users.count > users.count { swap(&users, &other.users) }
        for (name, counts) in other.users {
            var merged = users[name, default: UserCounts()]
            merged.failures += counts.failures
            merged.successes += counts.successes
            merged.addresses.formUnion(counts.addresses)
            users[name] = merged
        }
        other.users = [:]
    }

    /// Users with at least one failure, most failures first; ties by name.
    public func usersWithFailures() -> [(name: String, counts: UserCounts)] {
        users.filter { $0.value.failures > 0 }.map { (name: $0.key, counts: $0.value) }.sorted { a, b in
            a.counts.failures != b.counts.failures ? a.counts.failures > b.counts.failures : a.name < b.name
        }
    }
}

extension ScanSummary.ClientCounts {
    mutating func add(_ other: ScanSummary.ClientCounts) {
        requests += other.requests
        denied += other.denied
        serverErrors += other.serverErrors
        errorLogFailures += other.errorLogFailures
    }

    @inline(__always)
    mutating func record(denied isDenied: Bool, serverError isServerError: Bool) {
        requests += 1
        if isDenied { denied += 1 }
        if isServerError { serverErrors += 1 }
    }
}

extension ScanSummary.UserCounts {
    mutating func record(failure: Bool, address: ClientAddress) {
        if failure { failures += 1 } else { successes += 1 }
        addresses.insert(address)
    }
}

extension ScanSummary {
    /// Adds a record from an error log.
    public mutating func addErrorRecord(_ record: ErrorLogRecord) {
        lines += 1
        parsed += 1
        errorLogLines += 1
        if let time = record.time { noteTime(time) }
        guard let event = record.event else { return }

        // httpd writes some failed logins with `[remote …]` and no `[client …]`.
        let address = (record.client ?? record.remote).map { text in
            var copy = text
            return copy.withUTF8 { clientAddress($0) }
        }
        if let address {
            clients[address, default: ClientCounts()].errorLogFailures += 1
        }
        let user: String?
        switch event {
        case .authenticationFailure(let name, _): user = name
        case .authorizationDenied(let name): user = name
        }
        if let user {
            var counts = users[user, default: UserCounts()]
            counts.failures += 1
            if let address { counts.addresses.insert(address) }
            users[user] = counts
        }
    }
}

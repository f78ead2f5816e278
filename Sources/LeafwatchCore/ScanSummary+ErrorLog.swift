extension ScanSummary {
    /// Adds an error-log line that parsed; `observation` is its failure or
    /// denial, if it is one.
    public mutating func addErrorRecord(_ record: ErrorLogRecord, observation: Observation?) {
        lines += 1
        parsed += 1
        errorLogLines += 1
        if let time = record.time { noteTime(time) }
        guard let observation else { return }

        clients[observation.client, default: ClientCounts()].errorLogFailures += 1
    }
}

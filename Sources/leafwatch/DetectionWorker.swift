import Dispatch
import Foundation
import LeafwatchCore
import Synchronization

/// Runs the detectors, the per-request counts and the user table on a
/// second thread while the scan reads and parses on the first. A scan then
/// takes about as long as the larger of the two jobs instead of their sum. Observations
/// travel in batches, in the order the merge produced them, so the result is
/// the same as on one thread.
final class DetectionWorker: @unchecked Sendable {
    // `engine`, `alerts` and `counts` are touched only by the worker thread
    // between `start()` and the end of `run()`, which `finish()` waits for.
    // The channel hands batches over with a mutex and semaphores.

    typealias Batch = ObservationBatch

    private var engine: DetectionEngine?
    private var alerts: [Alert] = []
    /// Requests and users; the reading thread counts lines, malformed lines
    /// and error-log lines.
    private var counts = ScanSummary()
    private let duplicates: FailureDeduplicator
    private let maxLateness: Int64
    private let channel = BatchChannel(capacity: 4)
    private let done = DispatchSemaphore(value: 0)

    init(engine: DetectionEngine?, settings: DetectionSettings) {
        self.engine = engine
        self.duplicates = FailureDeduplicator(maxKeys: settings.episodes.maxTrackedKeys)
        self.maxLateness = settings.episodes.maxLateness
    }

    /// Starts the worker thread.
    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "leafwatch-detect"
        thread.start()
    }

    /// Processes batches until the channel closes. The state lives in local
    /// variables meanwhile, because each access to a class property costs a
    /// dynamic exclusivity check.
    private func run() {
        var engine = self.engine.take()
        var alerts: [Alert] = []
        var counts = ScanSummary()
        var duplicates = self.duplicates
        var latest = Int64.min
        let maxLateness = self.maxLateness

        while let batch = channel.receive() {
            for observation in batch.observations {
                if case .request = observation.kind { counts.addRequest(observation) }
                engine?.process(observation, names: batch.names, alerts: &alerts)
                latest = max(latest, observation.time)
                if !observation.isAuthFailure || !duplicates.isDuplicate(observation, keepFrom: latest - maxLateness) {
                    counts.addUserActivity(observation)
                }
            }
        }
        engine?.finish(alerts: &alerts)

        self.engine = engine
        self.alerts = alerts
        self.counts = counts
    }

    /// Hands a batch to the worker; waits while the worker is several batches behind.
    func send(_ batch: Batch) {
        channel.send(batch)
    }

    /// Waits for the worker to process every batch and returns its results.
    func finish() -> (engine: DetectionEngine?, alerts: [Alert], counts: ScanSummary) {
        channel.close()
        done.wait()
        // Moved out, so that the caller's copy is the only one and changes in place.
        let result = (engine, alerts, counts)
        engine = nil
        alerts = []
        counts = ScanSummary()
        return result
    }
}

/// Observations handed from the reading thread to a worker thread.
struct ObservationBatch: Sendable {
    var observations: [Observation]
    /// The host names known when the batch was sent.
    var names: HostNameTable
    /// Times of lines that made no observation, for a report's gaps.
    var lineTimes: [Int64] = []
}

/// A bounded queue of batches between two threads.
final class BatchChannel: Sendable {
    private let queue = Mutex<(batches: [ObservationBatch], closed: Bool)>(([], false))
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore

    init(capacity: Int) {
        free = DispatchSemaphore(value: capacity)
    }

    func send(_ batch: ObservationBatch) {
        free.wait()
        queue.withLock { $0.batches.append(batch) }
        filled.signal()
    }

    func close() {
        queue.withLock { $0.closed = true }
        filled.signal()
    }

    /// Returns the next batch, or nil once the channel is closed and empty.
    func receive() -> ObservationBatch? {
        filled.wait()
        let batch = queue.withLock { state -> ObservationBatch? in
            state.batches.isEmpty ? nil : state.batches.removeFirst()
        }
        if batch != nil { free.signal() }
        return batch
    }
}

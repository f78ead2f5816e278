import Dispatch
import Foundation
import LeafwatchCore

/// Adds observations to a report on a second thread while the first reads,
/// inflates and parses the logs, so that the report takes about as long as
/// the larger of the two jobs. Batches arrive in the order the merge made
/// them, so the result is the same as on one thread.
final class ReportWorker: @unchecked Sendable {
    // `builder` is touched only by the worker thread between `start()` and
    // the end of `run()`, which `finish()` waits for.
    private var builder: ReportBuilder?
    private let channel = BatchChannel(capacity: 4)
    private let done = DispatchSemaphore(value: 0)

    init(builder: ReportBuilder) {
        self.builder = builder
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "leafwatch-report"
        thread.start()
    }

    /// Adds the batches until the channel closes. The builder lives in a
    /// local variable meanwhile, because each access to a class property
    /// costs a dynamic exclusivity check.
    private func run() {
        var builder = self.builder.take()!
        while let batch = channel.receive() {
            for observation in batch.observations {
                builder.add(observation, names: batch.names)
            }
            for time in batch.lineTimes {
                builder.recordLine(at: time)
            }
        }
        self.builder = builder
    }

    /// Hands a batch to the worker; waits while the worker is several batches behind.
    func send(_ batch: ObservationBatch) {
        channel.send(batch)
    }

    /// Waits for the worker to add every batch and returns the builder.
    func finish() -> ReportBuilder {
        channel.close()
        done.wait()
        return builder.take()!
    }
}

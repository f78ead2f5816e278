import Dispatch
import Foundation
import LeafwatchSystem
import Synchronization

/// Writes the daemon's encoded checkpoints on a queue of their own, so that
/// the fsync calls of a save (milliseconds on a busy disk) never delay the
/// lines behind them on the working queue. Saves coalesce: while one is
/// being written, only the newest of the next ones is kept, and the file
/// always ends at the newest state handed in.
final class CheckpointWriter: Sendable {
    private struct Pending {
        var data: Data
        var directory: String
    }

    private let queue = DispatchQueue(label: "leafwatch.checkpoint")
    private let pending = Mutex<Pending?>(nil)
    private let fileName: String
    /// Called on the writer's queue after each write with its error, or nil.
    private let completion: @Sendable (SystemError?) -> Void

    init(fileName: String, completion: @escaping @Sendable (SystemError?) -> Void) {
        self.fileName = fileName
        self.completion = completion
    }

    /// Hands over a state to write; returns at once.
    func submit(_ data: Data, directory: String) {
        let wasEmpty = pending.withLock { slot -> Bool in
            let wasEmpty = slot == nil
            slot = Pending(data: data, directory: directory)
            return wasEmpty
        }
        guard wasEmpty else { return }
        queue.async { [self] in writePending() }
    }

    /// Writes `data` now, after any save still in progress, and returns the outcome.
    func writeNow(_ data: Data, directory: String) -> SystemError? {
        queue.sync {
            pending.withLock { $0 = nil }
            return write(data, directory: directory)
        }
    }

    private func write(_ data: Data, directory: String) -> SystemError? {
        do {
            try StateFile.write(data: data, directory: directory, name: fileName)
            return nil
        } catch {
            return error
        }
    }

    private func writePending() {
        guard let next = pending.withLock({ slot -> Pending? in
            defer { slot = nil }
            return slot
        }) else { return }
        completion(write(next.data, directory: next.directory))
    }
}

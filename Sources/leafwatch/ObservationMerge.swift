import LeafwatchCore

/// Merges sources of observations that are each in time order into one
/// sequence in time order: always the earliest of the sources' next
/// observations first, and on equal times the source listed first.
enum ObservationMerge {
    /// Reads every source to its end.
    ///
    /// - Parameters:
    ///   - sourceCount: the number of sources, numbered from 0.
    ///   - batchSize: the most observations passed to `emit` at a time.
    ///   - fill: appends the next observations of a source to the array,
    ///     which is empty when called, and returns false once the source has
    ///     ended. It may return true with nothing appended.
    ///   - emit: takes the merged observations, a batch at a time.
    static func run(sourceCount: Int, batchSize: Int, fill: (Int, inout [Observation]) -> Bool,
                    emit: ([Observation]) -> Void) {
        var pending = [[Observation]](repeating: [], count: sourceCount)
        var positions = [Int](repeating: 0, count: sourceCount)
        var ended = [Bool](repeating: false, count: sourceCount)
        func refill(_ index: Int) {
            pending[index].removeAll(keepingCapacity: true)
            positions[index] = 0
            while !ended[index] && pending[index].isEmpty {
                ended[index] = !fill(index, &pending[index])
            }
        }

        if sourceCount == 1 {
            // One source needs no merge: its batches pass as they are.
            while true {
                refill(0)
                if pending[0].isEmpty { return }
                emit(pending[0])
            }
        }

        var batch: [Observation] = []
        batch.reserveCapacity(batchSize)
        for index in 0..<sourceCount { refill(index) }
        while true {
            var earliest = -1
            var earliestTime = Int64.max
            for index in 0..<sourceCount where positions[index] < pending[index].count {
                let time = pending[index][positions[index]].time
                if earliest < 0 || time < earliestTime {
                    earliest = index
                    earliestTime = time
                }
            }
            guard earliest >= 0 else { break }
            batch.append(pending[earliest][positions[earliest]])
            positions[earliest] += 1
            if positions[earliest] == pending[earliest].count { refill(earliest) }
            if batch.count == batchSize {
                emit(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { emit(batch) }
    }
}

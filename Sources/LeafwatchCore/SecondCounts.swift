/// Event counts per whole second for one key, enough to answer exact
/// sliding-window questions: log timestamps have one-second resolution, so
/// counting per second loses nothing.
///
/// Entries are kept sorted by second. A late event is inserted in place.
/// Memory is one entry per distinct second still inside the kept span,
/// whatever the number of events.
struct SecondCounts: Sendable {
    private(set) var seconds: [Int64] = []
    private(set) var counts: [Int32] = []
    /// The sum of `counts`: no window can hold more events than this.
    private(set) var total = 0

    var isEmpty: Bool { seconds.isEmpty }
    var latest: Int64? { seconds.last }

    /// Adds `count` events at `second`.
    mutating func add(_ second: Int64, count: Int32 = 1) {
        total += Int(count)
        if let last = seconds.last {
            if second == last {
                counts[counts.count - 1] += count
                return
            }
            if second > last {
                seconds.append(second)
                counts.append(count)
                return
            }
        } else {
            seconds.append(second)
            counts.append(count)
            return
        }
        // A late event: find its place from the end, where it most likely belongs.
        var index = seconds.count - 1
        while index > 0, seconds[index - 1] >= second { index -= 1 }
        if seconds[index] == second {
            counts[index] += count
        } else {
            seconds.insert(second, at: index)
            counts.insert(count, at: index)
        }
    }

    /// Drops the entries before `second`.
    mutating func removeBefore(_ second: Int64) {
        guard let first = seconds.first, first < second else { return }
        var drop = 0
        while drop < seconds.count, seconds[drop] < second { drop += 1 }
        if drop > 0 {
            for index in 0..<drop { total -= Int(counts[index]) }
            seconds.removeFirst(drop)
            counts.removeFirst(drop)
        }
    }

    /// Returns the number of events in the window of `length` seconds that ends
    /// at `end`, that is at seconds `end - length + 1 ... end`, and the first
    /// second with an event in it.
    func count(windowEndingAt end: Int64, length: Int64) -> (count: Int, first: Int64?) {
        let start = end - length + 1
        var total = 0
        var first: Int64? = nil
        var index = seconds.count - 1
        while index >= 0, seconds[index] > end { index -= 1 }
        while index >= 0, seconds[index] >= start {
            total += Int(counts[index])
            first = seconds[index]
            index -= 1
        }
        return (total, first)
    }

    /// Returns the largest count of any window of `length` seconds that
    /// contains `second`, with that window's end and first event second. Used
    /// after a late event, which can complete windows that end after it.
    func maxCount(windowsContaining second: Int64, length: Int64) -> (count: Int, end: Int64, first: Int64?) {
        var best = count(windowEndingAt: second, length: length)
        var bestEnd = second
        for index in seconds.indices where seconds[index] > second && seconds[index] < second + length {
            let candidate = count(windowEndingAt: seconds[index], length: length)
            if candidate.count > best.count {
                best = candidate
                bestEnd = seconds[index]
            }
        }
        return (best.count, bestEnd, best.first)
    }

    /// Approximate bytes used, for memory accounting.
    var byteCount: Int { seconds.capacity * 8 + counts.capacity * 4 }
}

/// Event counts per whole second for one key, enough to answer exact
/// sliding-window questions: log timestamps have one-second resolution, so
/// counting per second loses nothing.
///
/// Entries are kept sorted by second. A late event is inserted in place.
/// Memory is one entry per distinct second still inside the kept span,
/// whatever the number of events. Up to two entries are stored inline, so
/// that the many keys with one or two recent seconds (most client
/// addresses) need no heap storage and no extra cache miss per event.
struct SecondCounts: Sendable {
    struct Entry: Sendable, Equatable {
        var second: Int64
        var count: Int32
    }

    /// The inline entries, valid while `spilled` is empty: `inlineCount` of
    /// them, oldest first.
    private var inline0 = Entry(second: 0, count: 0)
    private var inline1 = Entry(second: 0, count: 0)
    private var inlineCount = 0
    /// From the third distinct second on, every entry lives here, from index
    /// `start` on. Entries before `start` are dropped and leave the array in
    /// batches, so dropping the oldest second does not move the whole array
    /// each time.
    private var spilled: [Entry] = []
    private var start = 0
    /// The sum of the kept counts: no window can hold more events than this.
    private(set) var total = 0

    private var isSpilled: Bool { !spilled.isEmpty }
    private var entryCount: Int { isSpilled ? spilled.count - start : inlineCount }

    private func entry(_ index: Int) -> Entry {
        isSpilled ? spilled[start + index] : (index == 0 ? inline0 : inline1)
    }

    init() {}

    var isEmpty: Bool { entryCount == 0 }

    var latest: Int64? {
        let count = entryCount
        return count == 0 ? nil : entry(count - 1).second
    }

    /// The kept seconds with their counts, oldest first.
    var kept: [Entry] { (0..<entryCount).map(entry) }

    /// Adds `count` events at `second`.
    mutating func add(_ second: Int64, count: Int32 = 1) {
        total += Int(count)
        if !isSpilled {
            switch inlineCount {
            case 0:
                inline0 = Entry(second: second, count: count)
                inlineCount = 1
                return
            case 1:
                if second == inline0.second {
                    inline0.count += count
                } else if second > inline0.second {
                    inline1 = Entry(second: second, count: count)
                    inlineCount = 2
                } else {
                    inline1 = inline0
                    inline0 = Entry(second: second, count: count)
                    inlineCount = 2
                }
                return
            default:
                if second == inline1.second {
                    inline1.count += count
                    return
                }
                if second == inline0.second {
                    inline0.count += count
                    return
                }
                // A third distinct second: move both inline entries to the array.
                spilled.reserveCapacity(4)
                spilled.append(inline0)
                spilled.append(inline1)
                start = 0
                inlineCount = 0
            }
        }

        let last = spilled.count - 1
        if second == spilled[last].second {
            spilled[last].count += count
            return
        }
        if second > spilled[last].second {
            spilled.append(Entry(second: second, count: count))
            return
        }
        // A late event: find its place from the end, where it most likely belongs.
        var index = last
        while index > start, spilled[index - 1].second >= second { index -= 1 }
        if spilled[index].second == second {
            spilled[index].count += count
        } else {
            spilled.insert(Entry(second: second, count: count), at: index)
        }
    }

    /// Drops the entries before `second`.
    mutating func removeBefore(_ second: Int64) {
        if !isSpilled {
            guard inlineCount > 0, inline0.second < second else { return }
            total -= Int(inline0.count)
            if inlineCount == 2, inline1.second >= second {
                inline0 = inline1
                inlineCount = 1
            } else {
                if inlineCount == 2 { total -= Int(inline1.count) }
                inlineCount = 0
            }
            return
        }

        guard spilled[start].second < second else { return }
        while start < spilled.count, spilled[start].second < second {
            total -= Int(spilled[start].count)
            start += 1
        }
        if start == spilled.count {
            // Back to inline storage, with no entries.
            spilled = []
            start = 0
        } else if start >= 16, start * 2 >= spilled.count {
            spilled.removeFirst(start)
            start = 0
        }
    }

    /// Returns the number of events in the window of `length` seconds that ends
    /// at `end`, that is at seconds `end - length + 1 ... end`, and the first
    /// second with an event in it.
    func count(windowEndingAt end: Int64, length: Int64) -> (count: Int, first: Int64?) {
        let windowStart = end - length + 1
        var sum = 0
        var first: Int64? = nil
        var index = entryCount - 1
        while index >= 0, entry(index).second > end { index -= 1 }
        while index >= 0 {
            let current = entry(index)
            guard current.second >= windowStart else { break }
            sum += Int(current.count)
            first = current.second
            index -= 1
        }
        return (sum, first)
    }

    /// Returns the largest count of any window of `length` seconds that
    /// contains `second`, with that window's end and first event second. Used
    /// after a late event, which can complete windows that end after it.
    func maxCount(windowsContaining second: Int64, length: Int64) -> (count: Int, end: Int64, first: Int64?) {
        var best = count(windowEndingAt: second, length: length)
        var bestEnd = second
        for index in 0..<entryCount {
            let end = entry(index).second
            guard end > second && end < second + length else { continue }
            let candidate = count(windowEndingAt: end, length: length)
            if candidate.count > best.count {
                best = candidate
                bestEnd = end
            }
        }
        return (best.count, bestEnd, best.first)
    }

    /// Appends the kept seconds with their counts to `pairs`, oldest first,
    /// as second, count, second, count and so on. Seconds are written
    /// relative to `base`, which makes them short numbers in saved state.
    func appendPairs(to pairs: inout [Int64], relativeTo base: Int64) {
        for index in 0..<entryCount {
            let current = entry(index)
            pairs.append(current.second &- base)
            pairs.append(Int64(current.count))
        }
    }

    /// Creates the counts that `appendPairs` saved. Seconds must increase
    /// strictly and lie in `times`, and counts must lie in 1...`Int32.max`.
    init(pairs: ArraySlice<Int64>, relativeTo base: Int64, times: ClosedRange<Int64>) throws(InvalidDetectionState) {
        guard pairs.count % 2 == 0 else { throw InvalidDetectionState("a second without its count") }
        var index = pairs.startIndex
        var previous: Int64? = nil
        while index < pairs.endIndex {
            let second = pairs[index] &+ base
            let count = pairs[index + 1]
            guard times.contains(second) else { throw InvalidDetectionState("second \(second) is out of range") }
            guard previous.map({ second > $0 }) ?? true else {
                throw InvalidDetectionState("second \(second) is not after the previous second")
            }
            guard count >= 1, count <= Int64(Int32.max) else {
                throw InvalidDetectionState("count \(count) at second \(second) is out of range")
            }
            add(second, count: Int32(count))
            previous = second
            index += 2
        }
    }

    /// Approximate heap bytes used, for memory accounting; inline entries are
    /// part of the owner's size.
    var byteCount: Int { spilled.capacity * MemoryLayout<Entry>.stride }
}

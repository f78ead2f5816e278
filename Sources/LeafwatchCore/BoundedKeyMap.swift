/// A dictionary with a maximum number of keys that evicts the least
/// recently used key when a new one would exceed the maximum, so that an
/// attacker with many addresses cannot make a detector's memory grow
/// without bound. Lookups through `withValue` count as use.
///
/// Keys and values sit in arrays indexed by slot, and the recency list is
/// two arrays of 32-bit slot numbers, so that marking a key as used touches
/// a few bytes rather than whole entries.
struct BoundedKeyMap<Key: SlotIndexKey, Value: Sendable>: Sendable {
    let maxKeys: Int
    private var indices = SlotIndex<Key>()
    private var keys: [Key] = []
    private var values: [Value] = []
    /// The next more and less recently used slot; -1 at either end.
    private var newer: [Int32] = []
    private var older: [Int32] = []
    /// The most and least recently used slots; -1 when empty.
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    /// Slots of removed keys, reused before the arrays grow. A free slot
    /// keeps its old key and value until reuse.
    private var freeSlots: [Int] = []
    /// Keys dropped to stay within `maxKeys`.
    private(set) var evictions = 0

    /// Creates an empty map; `maxKeys` is raised to at least 1 and capped
    /// at `Int32.max`, the largest slot number. `evictions` starts the
    /// eviction count, for a map restored from saved state.
    init(maxKeys: Int, evictions: Int = 0) {
        self.maxKeys = min(max(1, maxKeys), Int(Int32.max))
        self.evictions = evictions
    }

    var count: Int { indices.count }
    var isEmpty: Bool { indices.count == 0 }

    /// Calls `body` with the value for `key`, created with `make` when
    /// missing, and marks the key as used. When the map is full, the least
    /// recently used entry is removed first and passed to `evicted`.
    mutating func withValue<Result>(
        for key: Key, make: () -> Value, evicted: (Key, Value) -> Void = { _, _ in },
        _ body: (inout Value) -> Result
    ) -> Result {
        if let slot = indices.slot(of: key, keyAt: { keys[$0] }) {
            moveToNewest(Int32(truncatingIfNeeded: slot))
            return body(&values[slot])
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            keys[slot] = key
            values[slot] = make()
        } else if indices.count >= maxKeys, oldest >= 0 {
            // Reuse the least recently used slot for the new key.
            slot = Int(oldest)
            unlink(oldest)
            let evictedKey = keys[slot]
            indices.remove(evictedKey, keyAt: { keys[$0] })
            evictions += 1
            evicted(evictedKey, values[slot])
            keys[slot] = key
            values[slot] = make()
        } else {
            slot = keys.count
            keys.append(key)
            values.append(make())
            newer.append(-1)
            older.append(-1)
        }
        indices.insert(key, slot: slot, keyAt: { keys[$0] })
        linkAsNewest(Int32(truncatingIfNeeded: slot))
        return body(&values[slot])
    }

    /// Returns the value for `key` without marking it as used.
    func peek(_ key: Key) -> Value? {
        indices.slot(of: key, keyAt: { keys[$0] }).map { values[$0] }
    }

    /// Changes an existing value without marking it as used.
    mutating func update(_ key: Key, _ body: (inout Value) -> Void) {
        guard let slot = indices.slot(of: key, keyAt: { keys[$0] }) else { return }
        body(&values[slot])
    }

    /// Removes `key`.
    mutating func remove(_ key: Key) {
        guard let slot = indices.remove(key, keyAt: { keys[$0] }) else { return }
        unlink(Int32(truncatingIfNeeded: slot))
        freeSlots.append(slot)
    }

    /// Removes up to `limit` least recently used entries, oldest first, while
    /// `isStale` returns true for them, and returns how many it removed.
    /// These removals are not evictions. Detectors call it on every event to
    /// drop keys whose events have all expired, so the map stays as small as
    /// the set of keys in use.
    @discardableResult
    mutating func removeStale(limit: Int, where isStale: (Value) -> Bool) -> Int {
        var removed = 0
        while removed < limit, oldest >= 0, isStale(values[Int(oldest)]) {
            remove(keys[Int(oldest)])
            removed += 1
        }
        return removed
    }

    /// Adds `key` as the most recently used entry, without evicting. Returns
    /// false, and changes nothing, when the key is present or the map is
    /// full. Restoring saved state calls it with the saved entries, least
    /// recently used first, which rebuilds their recency order.
    mutating func appendAsNewest(_ key: Key, _ value: Value) -> Bool {
        guard indices.count < maxKeys, indices.slot(of: key, keyAt: { keys[$0] }) == nil else { return false }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            keys[slot] = key
            values[slot] = value
        } else {
            slot = keys.count
            keys.append(key)
            values.append(value)
            newer.append(-1)
            older.append(-1)
        }
        indices.insert(key, slot: slot, keyAt: { keys[$0] })
        linkAsNewest(Int32(truncatingIfNeeded: slot))
        return true
    }

    /// Reserves room in the slot arrays for `count` keys, before restoring that many.
    mutating func reserveCapacity(_ count: Int) {
        let capacity = min(count, maxKeys)
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        newer.reserveCapacity(capacity)
        older.reserveCapacity(capacity)
    }

    /// Calls `body` with every key and value, least recently used first.
    func forEachOldestFirst(_ body: (Key, Value) throws -> Void) rethrows {
        var slot = oldest
        while slot >= 0 {
            try body(keys[Int(slot)], values[Int(slot)])
            slot = newer[Int(slot)]
        }
    }

    /// Every key and value, least recently used first.
    var entries: [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        result.reserveCapacity(indices.count)
        forEachOldestFirst { result.append(($0, $1)) }
        return result
    }

    private mutating func moveToNewest(_ slot: Int32) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func unlink(_ slot: Int32) {
        let index = Int(slot)
        let slotNewer = newer[index]
        let slotOlder = older[index]
        if slotNewer >= 0 { older[Int(slotNewer)] = slotOlder } else { newest = slotOlder }
        if slotOlder >= 0 { newer[Int(slotOlder)] = slotNewer } else { oldest = slotNewer }
        newer[index] = -1
        older[index] = -1
    }

    private mutating func linkAsNewest(_ slot: Int32) {
        let index = Int(slot)
        older[index] = newest
        newer[index] = -1
        if newest >= 0 { newer[Int(newest)] = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

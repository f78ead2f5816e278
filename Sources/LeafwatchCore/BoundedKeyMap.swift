/// A dictionary with a maximum number of keys that evicts the least
/// recently used key when a new one would exceed the maximum, so that an
/// attacker with many addresses cannot make a detector's memory grow
/// without bound. Lookups through `withValue` count as use.
struct BoundedKeyMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        var newer: Int
        var older: Int
    }

    let maxKeys: Int
    private var indices: [Key: Int] = [:]
    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    /// The most and least recently used slots; -1 when empty.
    private var newest = -1
    private var oldest = -1
    /// Keys dropped to stay within `maxKeys`.
    private(set) var evictions = 0

    init(maxKeys: Int) {
        self.maxKeys = max(1, maxKeys)
    }

    var count: Int { indices.count }

    /// Calls `body` with the value for `key`, created with `make` when
    /// missing, and marks the key as used. When the map is full, the least
    /// recently used entry is removed first and passed to `evicted`.
    mutating func withValue<Result>(
        for key: Key, make: () -> Value, evicted: (Key, Value) -> Void = { _, _ in },
        _ body: (inout Value) -> Result
    ) -> Result {
        if let slot = indices[key] {
            moveToNewest(slot)
            return body(&nodes[slot].value)
        }
        if indices.count >= maxKeys, oldest >= 0 {
            let slot = oldest
            let node = nodes[slot]
            unlink(slot)
            indices[node.key] = nil
            freeSlots.append(slot)
            evictions += 1
            evicted(node.key, node.value)
        }
        let slot: Int
        let node = Node(key: key, value: make(), newer: -1, older: -1)
        if let free = freeSlots.popLast() {
            slot = free
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        indices[key] = slot
        linkAsNewest(slot)
        return body(&nodes[slot].value)
    }

    /// Returns the value for `key` without marking it as used.
    func peek(_ key: Key) -> Value? {
        indices[key].map { nodes[$0].value }
    }

    /// Changes an existing value without marking it as used.
    mutating func update(_ key: Key, _ body: (inout Value) -> Void) {
        guard let slot = indices[key] else { return }
        body(&nodes[slot].value)
    }

    /// Removes `key`.
    mutating func remove(_ key: Key) {
        guard let slot = indices.removeValue(forKey: key) else { return }
        unlink(slot)
        freeSlots.append(slot)
    }

    /// Every key and value, least recently used first.
    var entries: [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        result.reserveCapacity(indices.count)
        var slot = oldest
        while slot >= 0 {
            result.append((nodes[slot].key, nodes[slot].value))
            slot = nodes[slot].newer
        }
        return result
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let newer = nodes[slot].newer
        let older = nodes[slot].older
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }

    private mutating func linkAsNewest(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

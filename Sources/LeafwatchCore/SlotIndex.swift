/// A key whose hash a `SlotIndex` can compute. Client addresses use a fast
/// keyed mix; other keys fall back to Swift's `Hasher`.
protocol SlotIndexKey: Hashable, Sendable {
    func slotHash(seed: UInt64) -> UInt64
}

extension SlotIndexKey {
    func slotHash(seed: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(hashValue)) ^ seed
    }
}

extension String: SlotIndexKey {}

extension ClientAddress: SlotIndexKey {
    /// Mixes the two address words in sequence with a per-process random
    /// seed. Each step is a bijection, so addresses that differ only in one
    /// word never share a full hash, and which addresses share a table
    /// position depends on the seed, which clients do not see. The mix is
    /// fast, not cryptographic.
    func slotHash(seed: UInt64) -> UInt64 {
        SlotIndex<ClientAddress>.mix(SlotIndex<ClientAddress>.mix(high ^ seed) ^ low)
    }
}

/// An open-addressing table from keys to slot numbers of a `BoundedKeyMap`,
/// with linear probing and backward-shift deletion. It stores only 32-bit
/// slot numbers; the keys stay in the map's slot array, which `keyAt` reads.
struct SlotIndex<Key: SlotIndexKey>: Sendable {
    private var table: [Int32] = Array(repeating: -1, count: 16)
    private var mask = 15
    private(set) var count = 0
    private let seed: UInt64

    init() {
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
    }

    /// Scrambles `value` with the finalizer of splitmix64, a bijection on
    /// 64 bits that spreads every input bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private func home(_ key: Key) -> Int {
        Int(truncatingIfNeeded: key.slotHash(seed: seed)) & mask
    }

    /// Returns the slot of `key`, or nil.
    @inline(__always)
    func slot(of key: Key, keyAt: (Int) -> Key) -> Int? {
        var position = home(key)
        while true {
            let slot = table[position]
            if slot < 0 { return nil }
            if keyAt(Int(slot)) == key { return Int(slot) }
            position = (position + 1) & mask
        }
    }

    /// Adds `key`, which must be absent, with its slot.
    mutating func insert(_ key: Key, slot: Int, keyAt: (Int) -> Key) {
        if (count + 1) * 2 > table.count { grow(keyAt: keyAt) }
        var position = home(key)
        while table[position] >= 0 { position = (position + 1) & mask }
        table[position] = Int32(truncatingIfNeeded: slot)
        count += 1
    }

    /// Removes `key` and returns its slot, or nil when absent.
    @discardableResult
    mutating func remove(_ key: Key, keyAt: (Int) -> Key) -> Int? {
        var position = home(key)
        while true {
            let slot = table[position]
            if slot < 0 { return nil }
            if keyAt(Int(slot)) == key { break }
            position = (position + 1) & mask
        }
        let removed = Int(table[position])
        table[position] = -1
        count -= 1

        // Move later entries of the probe run back into the hole, unless their
        // home position lies cyclically after the hole.
        var hole = position
        var next = (position + 1) & mask
        while table[next] >= 0 {
            let wantedPosition = home(keyAt(Int(table[next])))
            let distanceToHole = (hole - wantedPosition) & mask
            let distanceToNext = (next - wantedPosition) & mask
            if distanceToHole < distanceToNext {
                table[hole] = table[next]
                table[next] = -1
                hole = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    private mutating func grow(keyAt: (Int) -> Key) {
        let old = table
        table = Array(repeating: -1, count: old.count * 2)
        mask = table.count - 1
        for slot in old where slot >= 0 {
            var position = home(keyAt(Int(slot)))
            while table[position] >= 0 { position = (position + 1) & mask }
            table[position] = slot
        }
    }
}

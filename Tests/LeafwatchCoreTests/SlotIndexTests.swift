import Testing
@testable import LeafwatchCore

/// The open-addressing index must agree with a Dictionary through any mix
/// of inserts and removals, including removals inside probe runs, which
/// backward-shift deletion has to repair.
@Suite struct SlotIndexTests {
    @Test func matchesDictionaryUnderChurn() {
        var generator = SplitMix(state: 7)
        var keys: [ClientAddress] = []
        var index = SlotIndex<ClientAddress>()
        var model: [ClientAddress: Int] = [:]
        var freeSlots: [Int] = []

        for step in 0..<200_000 {
            // Few distinct addresses, so that keys come and go many times.
            let address = ClientAddress(ipv4: UInt32(generator.next() % 5_000))
            if let slot = model[address], generator.next() % 3 == 0 {
                let removed = index.remove(address) { keys[$0] }
                #expect(removed == slot, "step \(step)")
                model[address] = nil
                freeSlots.append(slot)
            } else if model[address] == nil {
                let slot: Int
                if let free = freeSlots.popLast() {
                    slot = free
                    keys[slot] = address
                } else {
                    slot = keys.count
                    keys.append(address)
                }
                index.insert(address, slot: slot) { keys[$0] }
                model[address] = slot
            }
            if step % 997 == 0 {
                for (key, slot) in model {
                    #expect(index.slot(of: key) { keys[$0] } == slot)
                }
                #expect(index.count == model.count)
            }
        }
        for candidate in 0..<5_000 {
            let address = ClientAddress(ipv4: UInt32(candidate))
            #expect(index.slot(of: address) { keys[$0] } == model[address])
        }
    }

    @Test func ipv6AddressesInOneNetwork() {
        var index = SlotIndex<ClientAddress>()
        var keys: [ClientAddress] = []
        for host in 0..<10_000 {
            let address = ClientAddress(high: 0x2001_0db8_0000_0001, low: UInt64(host), kind: .ipv6)
            keys.append(address)
            index.insert(address, slot: host) { keys[$0] }
        }
        for host in stride(from: 0, to: 10_000, by: 2) {
            #expect(index.remove(keys[host]) { keys[$0] } == host)
        }
        for host in 0..<10_000 {
            #expect(index.slot(of: keys[host]) { keys[$0] } == (host % 2 == 0 ? nil : host))
        }
    }
}

/// A small deterministic generator for the tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SlotIndex<ClientAddress>.mix(state)
    }
}

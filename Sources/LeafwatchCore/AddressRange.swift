/// An address with a prefix length, as written in `TrustedProxies=`:
/// `192.0.2.5`, `192.0.2.0/24`, `2001:db8::/32`. IPv4 prefixes count the
/// IPv4 bits (0–32), IPv6 prefixes the 128 bits.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    public var network: ClientAddress
    public var prefixLength: Int
    private let text: String

    /// Parses `ADDRESS` or `ADDRESS/BITS`; nil when invalid.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = ClientAddress.parse(String(parts[0])), address.kind != .hostName else { return nil }
        let maxBits = address.kind == .ipv4 ? 32 : 128
        var bits = maxBits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maxBits).contains(value) else { return nil }
            bits = value
        }
        self.prefixLength = bits
        self.network = AddressRange.mask(address, bits: address.kind == .ipv4 ? bits + 96 : bits)
        self.text = text
    }

    public var description: String { text }

    /// Tells whether the range contains `address`.
    public func contains(_ address: ClientAddress) -> Bool {
        guard address.kind == network.kind else { return false }
        let bits = network.kind == .ipv4 ? prefixLength + 96 : prefixLength
        return AddressRange.mask(address, bits: bits) == network
    }

    private static func mask(_ address: ClientAddress, bits: Int) -> ClientAddress {
        let highMask: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits))
        let lowBits = bits - 64
        let lowMask: UInt64 = lowBits >= 64 ? ~0 : (lowBits <= 0 ? 0 : ~UInt64(0) << UInt64(64 - lowBits))
        return ClientAddress(high: address.high & highMask, low: address.low & lowMask, kind: address.kind)
    }
}

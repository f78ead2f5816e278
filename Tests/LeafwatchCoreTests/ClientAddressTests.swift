import Testing
@testable import LeafwatchCore

@Suite struct ClientAddressTests {
    @Test func ipv4() throws {
        let address = try #require(ClientAddress.parse("192.0.2.33"))
        #expect(address.kind == .ipv4)
        #expect(address == ClientAddress(ipv4: 0xC000_0221))
        #expect(address.ipText == "192.0.2.33")
        #expect(ClientAddress.parse("0.0.0.0")?.ipText == "0.0.0.0")
        #expect(ClientAddress.parse("255.255.255.255")?.ipText == "255.255.255.255")
        #expect(ClientAddress.parse("10.0.0.100")?.ipText == "10.0.0.100")
    }

    @Test func ipv6SpellingsEqual() throws {
        let compressed = try #require(ClientAddress.parse("2001:db8::1"))
        #expect(compressed.kind == .ipv6)
        #expect(ClientAddress.parse("2001:DB8::1") == compressed)
        #expect(ClientAddress.parse("2001:0db8:0000:0000:0000:0000:0000:0001") == compressed)
        #expect(ClientAddress.parse("2001:db8:0:0:0:0:0:1") == compressed)
        #expect(ClientAddress.parse("2001:db8:0:0:1:0:0:2") == ClientAddress.parse("2001:db8::1:0:0:2"))
        #expect(ClientAddress.parse("2001:db8::2") != compressed)
    }

    @Test func bracketsAndZones() throws {
        let plain = try #require(ClientAddress.parse("fe80::1"))
        #expect(ClientAddress.parse("[fe80::1]") == plain)
        #expect(ClientAddress.parse("fe80::1%eth0") == plain)
        #expect(ClientAddress.parse("[fe80::1%25eth0]") == plain)
        #expect(ClientAddress.parse("[2001:db8::7]") == ClientAddress.parse("2001:db8::7"))
    }

    @Test func ipv4MappedEqualsIPv4() throws {
        let ipv4 = try #require(ClientAddress.parse("192.0.2.33"))
        #expect(ClientAddress.parse("::ffff:192.0.2.33") == ipv4)
        #expect(ClientAddress.parse("::FFFF:c000:221") == ipv4)
        #expect(ClientAddress.parse("0:0:0:0:0:ffff:192.0.2.33") == ipv4)
        #expect(ClientAddress.parse("[::ffff:192.0.2.33]")?.kind == .ipv4)
        #expect(ClientAddress.parse("::ffff:192.0.2.33")?.ipText == "192.0.2.33")
        // An IPv4-compatible address (deprecated) is not mapped.
        #expect(ClientAddress.parse("::192.0.2.33")?.kind == .ipv6)
    }

    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("fe80::a:b:c:d", "fe80::a:b:c:d"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334"),
    ])
    func rfc5952Text(_ input: String, _ expected: String) throws {
        #expect(try #require(ClientAddress.parse(input)).ipText == expected)
    }

    @Test(arguments: [
        "", "abc", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4",
        "1.2.3.4:80", "1234.1.1.1", ":", ":::", "1:::2", "1::2::3", ":1::", "1::2:", "12345::",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4::5:6:7:8", "g::1", "::1%", "[::1", "::1]", "[]",
        "::ffff:256.1.1.1", "::1.2.3", "2001:db8::1 ", "localhost", "unix:", "-",
        "010.0.0.1", "10.0.0.01", "::ffff:10.00.0.1",
    ])
    func invalidInputRejected(_ input: String) {
        #expect(ClientAddress.parse(input) == nil)
    }

    @Test func network64() throws {
        let address = try #require(ClientAddress.parse("2001:db8:1:2:3:4:5:6"))
        #expect(address.network64 == ClientAddress.parse("2001:db8:1:2::"))
        let ipv4 = try #require(ClientAddress.parse("192.0.2.1"))
        #expect(ipv4.network64 == ipv4)
    }

    @Test func hostNamesInterned() {
        var table = HostNameTable()
        let name = Array("Host-50.Example.NET".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        let same = Array("host-50.example.net".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        let other = Array("monitoring-server".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        let ip = Array("::ffff:192.0.2.33".utf8).withUnsafeBufferPointer { table.address(for: $0) }
        #expect(name.kind == .hostName)
        #expect(name == same)
        #expect(name != other)
        #expect(table.text(for: name) == "host-50.example.net")
        #expect(table.text(for: other) == "monitoring-server")
        #expect(ip == ClientAddress.parse("192.0.2.33"))
        #expect(table.text(for: ip) == "192.0.2.33")
    }
}

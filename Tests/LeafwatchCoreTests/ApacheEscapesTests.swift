import Testing
@testable import LeafwatchCore

private func decode(_ text: String) -> [UInt8] {
    Array(text.utf8).withUnsafeBufferPointer { ApacheEscapes.decode($0) }
}

@Suite struct ApacheEscapesTests {
    @Test func plainTextUnchanged() {
        #expect(decode("GET / HTTP/1.1") == Array("GET / HTTP/1.1".utf8))
        #expect(decode("") == [])
    }

    @Test func quoteAndBackslash() {
        #expect(decode(#"a\"b"#) == Array(#"a"b"#.utf8))
        #expect(decode(#"a\\b"#) == Array(#"a\b"#.utf8))
        #expect(decode(#"\\\""#) == Array(#"\""#.utf8))
    }

    @Test func controlEscapes() {
        #expect(decode(#"\n\t\r\v\b"#) == [0x0A, 0x09, 0x0D, 0x0B, 0x08])
    }

    @Test func hexEitherCase() {
        #expect(decode(#"\xc3\xa9"#) == [0xC3, 0xA9])
        #expect(decode(#"\xC3\xA9"#) == [0xC3, 0xA9])
        #expect(decode(#"\x00\xff\x7F"#) == [0x00, 0xFF, 0x7F])
        #expect(decode(#"end\x41"#) == Array("endA".utf8))
    }

    @Test func noDoubleDecoding() {
        // `\\x41` is an escaped backslash followed by the text `x41`.
        #expect(decode(#"c=\\x41"#) == Array(#"c=\x41"#.utf8))
    }

    @Test func incompleteEscapesKept() {
        #expect(decode(#"a\"#) == Array(#"a\"#.utf8))
        #expect(decode(#"\x4"#) == Array(#"\x4"#.utf8))
        #expect(decode(#"\xzz"#) == Array(#"\xzz"#.utf8))
        #expect(decode(#"\q"#) == Array(#"\q"#.utf8))
    }

    @Test func rawBytesPassThrough() {
        let raw: [UInt8] = [0x2F, 0xE9, 0xFF, 0x00, 0x5C, 0x22]
        #expect(raw.withUnsafeBufferPointer { ApacheEscapes.decode($0) } == [0x2F, 0xE9, 0xFF, 0x00, 0x22])
    }

    @Test func decodeStringIsLenient() {
        let text = Array(#"/bad\xff\xfe/caf\xc3\xa9"#.utf8).withUnsafeBufferPointer { ApacheEscapes.decodeString($0) }
        #expect(text == "/bad\u{FFFD}\u{FFFD}/café")
    }
}

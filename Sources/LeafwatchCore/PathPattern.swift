/// A shell-style pattern for `IgnorePaths=`: `*` matches any run of bytes
/// (slashes included), `?` one byte, `[abc]` and `[a-z]` one byte of a set
/// (`[!…]` negates). Letters match in either case, so `*.png` matches
/// `/LOGO.PNG`. The pattern is matched against the whole path.
public struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    private let bytes: [UInt8]
    /// `*.ext` patterns, the common case, compare the end only.
    private let suffix: [UInt8]?

    public init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8).map(ASCII.lowercased)
        let rest = bytes.dropFirst()
        if bytes.first == UInt8(ascii: "*"), !rest.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == ASCII.openBracket }) {
            suffix = Array(rest)
        } else {
            suffix = nil
        }
    }

    public var description: String { text }

    public func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        if let suffix {
            guard path.count >= suffix.count else { return false }
            let offset = path.count - suffix.count
            for i in 0..<suffix.count where ASCII.lowercased(path[offset + i]) != suffix[i] { return false }
            return true
        }
        return PathPattern.match(bytes, path)
    }

    public func matches(_ path: String) -> Bool {
        var copy = path
        return copy.withUTF8 { matches($0) }
    }

    /// Iterative matcher that backtracks only to the last `*`, so it runs in
    /// time proportional to pattern length times path length at worst.
    private static func match(_ pattern: [UInt8], _ path: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0, s = 0
        var starPattern = -1, starPath = 0
        while s < path.count {
            if p < pattern.count {
                let token = pattern[p]
                if token == UInt8(ascii: "*") {
                    starPattern = p
                    starPath = s
                    p += 1
                    continue
                }
                if token == UInt8(ascii: "?") {
                    p += 1
                    s += 1
                    continue
                }
                if token == ASCII.openBracket, let (matched, next) = matchSet(pattern, from: p, byte: ASCII.lowercased(path[s])) {
                    if matched {
                        p = next
                        s += 1
                        continue
                    }
                } else if token == ASCII.lowercased(path[s]) {
                    p += 1
                    s += 1
                    continue
                }
            }
            guard starPattern >= 0 else { return false }
            p = starPattern + 1
            starPath += 1
            s = starPath
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Matches a `[…]` set at `from`; returns whether `byte` is in it and the
    /// index after the set, or nil when the set is not closed (then `[` is literal).
    private static func matchSet(_ pattern: [UInt8], from: Int, byte: UInt8) -> (Bool, Int)? {
        var i = from + 1
        var negate = false
        if i < pattern.count, pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^") {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < pattern.count, pattern[i] != ASCII.closeBracket || first {
            first = false
            let low = pattern[i]
            if i + 2 < pattern.count, pattern[i + 1] == ASCII.minus, pattern[i + 2] != ASCII.closeBracket {
                if byte >= low && byte <= pattern[i + 2] { matched = true }
                i += 3
            } else {
                if byte == low { matched = true }
                i += 1
            }
        }
        guard i < pattern.count else { return nil }
        return (matched != negate, i + 1)
    }
}

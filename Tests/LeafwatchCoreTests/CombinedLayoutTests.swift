import Foundation
import Testing
@testable import LeafwatchCore

/// The hand-written reader for common and combined lines must find exactly
/// what the general reader finds, on every line of every access-log fixture
/// and on lines made to probe its edges.
@Suite struct CombinedLayoutTests {
    static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/access")

    static func allLines() throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let files = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: nil)!
        for case let url as URL in files where !url.hasDirectoryPath && url.pathExtension != "md" && url.pathExtension != "txt" {
            let data = try [UInt8](Data(contentsOf: url))
            lines += data.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        }
        lines += [
            #"192.0.2.1 - alice  [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#,
            #"192.0.2.1 - "" [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 401 5 "-" "-""#,
            #"192.0.2.1 - a [b [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#,
            #"192.0.2.1 - mallory[1] [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 401 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000]  "GET / HTTP/1.1" 200 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1"  200 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5"#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-"  "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "-" extra "x""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11] "GET / HTTP/1.1" 200 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET /\" 200 1 \"-\" \"x HTTP/1.1" 404 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 2000 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 x5 "-" "-""#,
            #"192.0.2.1  - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#,
            #"192.0.2.1 - - [10/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 5 "-" "ua \\""#,
        ].map { Array($0.utf8) }
        return lines
    }

    @Test(arguments: ["combined", "common"])
    func sameFieldsAsGeneralReader(nickname: String) throws {
        let format = try LogFormat(nickname)
        var fast = AccessLogParser(format: format, timeZone: .utc)
        var general = AccessLogParser(format: format, timeZone: .utc)
        #expect(fast.layout != .general)
        general.layout = .general
        var compared = 0
        for line in try Self.allLines() {
            line.withUnsafeBufferPointer { buffer in
                let fastResult = fast.parse(buffer)
                let generalResult = general.parse(buffer)
                let text = String(decoding: line.prefix(120), as: UTF8.self)
                #expect(fastResult == generalResult, "\(text)")
                guard fastResult, generalResult else { return }
                compared += 1
                #expect(fast.ranges == general.ranges, "\(text)")
                #expect(fast.time == general.time, "\(text)")
                #expect(fast.status == general.status, "\(text)")
                #expect(fast.responseBytes == general.responseBytes, "\(text)")
            }
        }
        #expect(compared > 8000)
    }
}

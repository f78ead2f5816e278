import Foundation
import Testing
@testable import LeafwatchSystem

/// The repository root, found from this file's path.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private let samplePlain = """
    Weekly report for www1, 2026-11-27 to 2026-12-04
    A line with trailing spaces   
    A tab at the end\t
    Equals = signs and =3D look-alikes, and a long line: \(String(repeating: "abcdefghij ", count: 12))
    From here on the line starts with From and a space.
    .
    Non-ASCII: Grüße, 東京, and a long non-ASCII run: \(String(repeating: "ü", count: 60))
    """

private let sampleHTML = "<!DOCTYPE html><html><body><h1>Weekly report</h1><p>Grüße – \(String(repeating: "<b>x</b>", count: 30))</p></body></html>"

private func makeMessage(subject: String = "leafwatch www1: 2026-11-27 to 2026-12-04, 3 alerts", text: String = samplePlain, html: String = sampleHTML) throws -> MailMessage {
    try MailMessage(
        sender: "leafwatch@www1.example.com",
        recipients: ["ops@example.com", "manager@example.org"],
        subject: subject,
        text: text,
        html: html,
        date: Date(timeIntervalSince1970: 1_796_367_600),  // 2026-12-04T07:00:00Z
        timeZone: TimeZone(identifier: "Europe/Berlin")!,
        host: "www1.example.com"
    )
}

private func lines(_ bytes: [UInt8]) -> [String] {
    String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
}

/// Decodes quoted-printable text independently of the encoder: soft breaks removed, `=XX` decoded.
private func decodeQuotedPrintable(_ encoded: String) -> [UInt8] {
    var output: [UInt8] = []
    let physicalLines = encoded.components(separatedBy: "\n")
    for (index, line) in physicalLines.enumerated() {
        var bytes = Array(line.utf8)
        var soft = false
        if bytes.last == UInt8(ascii: "=") {
            bytes.removeLast()
            soft = true
        }
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "="), i + 2 < bytes.count + 0, let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                output.append(value)
                i += 3
            } else {
                output.append(bytes[i])
                i += 1
            }
        }
        if !soft && index < physicalLines.count - 1 { output.append(0x0A) }
    }
    return output
}

/// The encoded body of the part whose Content-Type starts with `type`.
private func partBody(_ rendered: String, type: String) -> String? {
    guard let headerRange = rendered.range(of: "Content-Type: \(type); charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n") else { return nil }
    let rest = rendered[headerRange.upperBound...]
    guard let end = rest.range(of: "\n--=_leafwatch_") else { return nil }
    return String(rest[..<end.lowerBound])
}

@Suite struct MailMessageTests {
    @Test func headersAreComplete() throws {
        let message = try makeMessage()
        let rendered = lines(message.render())
        let headers = Array(rendered.prefix { !$0.isEmpty })
        #expect(headers.contains("From: leafwatch@www1.example.com"))
        #expect(headers.contains("To: ops@example.com, manager@example.org"))
        #expect(headers.contains("Subject: leafwatch www1: 2026-11-27 to 2026-12-04, 3 alerts"))
        #expect(headers.contains("Date: Fri, 04 Dec 2026 08:00:00 +0100"))
        #expect(headers.contains("Message-ID: <\(message.messageID)>"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("Content-Type: multipart/alternative;"))
        #expect(message.messageID.hasSuffix("@www1.example.com"))
        #expect(message.messageID.count == 32 + 1 + "www1.example.com".count)
    }

    @Test func messageIDsDiffer() throws {
        #expect(try makeMessage().messageID != makeMessage().messageID)
    }

    @Test func boundarySeparatesTwoParts() throws {
        let rendered = lines(try makeMessage().render())
        let parameter = try #require(rendered.first { $0.hasPrefix(" boundary=\"") })
        let boundary = String(parameter.dropFirst(" boundary=\"".count).dropLast())
        #expect(boundary.hasPrefix("=_leafwatch_"))
        #expect(rendered.filter { $0 == "--" + boundary }.count == 2)
        #expect(rendered.filter { $0 == "--" + boundary + "--" }.count == 1)
        #expect(rendered.filter { $0.contains(boundary) }.count == 4)
        let plainIndex = try #require(rendered.firstIndex(of: "Content-Type: text/plain; charset=utf-8"))
        let htmlIndex = try #require(rendered.firstIndex(of: "Content-Type: text/html; charset=utf-8"))
        #expect(plainIndex < htmlIndex)
        #expect(rendered.filter { $0 == "Content-Transfer-Encoding: quoted-printable" }.count == 2)
    }

    @Test func everyLineWithin76Characters() throws {
        let rendered = try makeMessage().render()
        for line in lines(rendered) {
            #expect(line.utf8.count <= 76, "line of \(line.utf8.count) characters: \(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 }, "non-ASCII byte in: \(line)")
        }
    }

    @Test func quotedPrintableDecodesToOriginal() throws {
        let rendered = String(decoding: try makeMessage().render(), as: UTF8.self)
        let plain = try #require(partBody(rendered, type: "text/plain"))
        let html = try #require(partBody(rendered, type: "text/html"))
        // Each part ends with one line break, which the input lacks.
        #expect(decodeQuotedPrintable(plain) == Array((samplePlain + "\n").utf8))
        #expect(decodeQuotedPrintable(html) == Array((sampleHTML + "\n").utf8))
    }

    @Test func quotedPrintableEncodesRiskyBytes() throws {
        let rendered = String(decoding: try makeMessage().render(), as: UTF8.self)
        let plain = try #require(partBody(rendered, type: "text/plain"))
        let encodedLines = plain.components(separatedBy: "\n")
        #expect(encodedLines.contains("A line with trailing spaces  =20"))
        #expect(encodedLines.contains("A tab at the end=09"))
        #expect(encodedLines.contains("=2E"))
        #expect(encodedLines.contains { $0.hasPrefix("=46rom here on") })
        #expect(!encodedLines.contains { $0.hasPrefix("From ") })
        #expect(plain.contains("Equals =3D signs and =3D3D look-alikes"))
        #expect(plain.contains("Gr=C3=BC=C3=9Fe"))
        #expect(encodedLines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
    }

    @Test func quotedPrintableKeepsEscapesWhole() {
        // 30 three-character escapes: a line break inside an escape would break decoding.
        let encoded = QuotedPrintable.encode(Array(String(repeating: "é", count: 30).utf8), lineEnding: "\n")
        for line in encoded.components(separatedBy: "\n") {
            #expect(line.utf8.count <= 76)
            let body = line.hasSuffix("=") ? String(line.dropLast()) : line
            #expect(body.utf8.count % 3 == 0, "escape split across lines: \(line)")
        }
        #expect(decodeQuotedPrintable(encoded) == Array(String(repeating: "é", count: 30).utf8))
    }

    @Test func crlfRenderingHasNoBareLF() throws {
        let bytes = try makeMessage().render(lineEnding: .crlf)
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at byte \(index)")
        }
        for (index, byte) in bytes.enumerated() where byte == 0x0D {
            #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at byte \(index)")
        }
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
    }

    @Test func finalLineBreakNotDoubled() throws {
        let with = String(decoding: try makeMessage(text: "one\n", html: "<p>one</p>\n").render(), as: UTF8.self)
        let without = String(decoding: try makeMessage(text: "one", html: "<p>one</p>").render(), as: UTF8.self)
        #expect(partBody(with, type: "text/plain") == "one\n")
        #expect(partBody(without, type: "text/plain") == "one\n")
        #expect(partBody(with, type: "text/html") == "<p>one</p>\n")
        #expect(partBody(without, type: "text/html") == "<p>one</p>\n")
    }

    @Test func lfRenderingHasNoCR() throws {
        let bytes = try makeMessage(text: "one\r\ntwo\rthree\n").render()
        #expect(!bytes.contains(0x0D))
    }

    @Test func nonASCIISubjectUsesEncodedWords() throws {
        let subject = "leafwatch wéb1: Grüße aus 東京 " + String(repeating: "ü", count: 40)
        let rendered = lines(try makeMessage(subject: subject).render())
        let start = try #require(rendered.firstIndex { $0.hasPrefix("Subject: ") })
        var header = [rendered[start]]
        var index = start + 1
        while rendered[index].hasPrefix(" ") {
            header.append(rendered[index])
            index += 1
        }
        #expect(header.count > 1)
        var decoded: [UInt8] = []
        for (number, line) in header.enumerated() {
            #expect(line.utf8.count <= 78)
            let word = number == 0 ? String(line.dropFirst("Subject: ".count)) : String(line.dropFirst())
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let data = try #require(Data(base64Encoded: String(base64)))
            #expect(String(data: data, encoding: .utf8) != nil, "encoded word splits a character: \(word)")
            decoded += data
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func longASCIISubjectFoldsAtSpaces() throws {
        let subject = (1...20).map { "word\($0)" }.joined(separator: " ")
        let rendered = lines(try makeMessage(subject: subject).render())
        let start = try #require(rendered.firstIndex { $0.hasPrefix("Subject: ") })
        #expect(rendered[start].utf8.count <= 78)
        #expect(rendered[start + 1].hasPrefix(" word"))
        let unfolded = (rendered[start] + rendered[start + 1]).dropFirst("Subject: ".count)
        #expect(String(unfolded) == subject)
    }

    @Test func subjectWithEncodedWordLookAlikeIsEncoded() throws {
        let rendered = lines(try makeMessage(subject: "=?UTF-8?B?Zm9v?=").render())
        #expect(rendered.contains("Subject: =?UTF-8?B?PT9VVEYtOD9CP1ptOXY/PQ==?="))
    }

    @Test func manyRecipientsAreFolded() throws {
        let recipients = (1...8).map { "member\($0)@example.com" }
        let message = try MailMessage(sender: "a@b.example", recipients: recipients, subject: "s", text: "t", html: "h", host: "b.example")
        let rendered = lines(message.render())
        let start = try #require(rendered.firstIndex { $0.hasPrefix("To: ") })
        var header = rendered[start]
        var index = start + 1
        while rendered[index].hasPrefix(" ") {
            #expect(rendered[index].utf8.count <= 78)
            header += rendered[index]
            index += 1
        }
        #expect(index > start + 1)
        #expect(header == "To: " + recipients.joined(separator: ", "))
    }

    @Test(arguments: ["\r", "\n", "\r\n"])
    func lineBreakInSubjectRejected(_ lineBreak: String) {
        #expect(throws: MailError.lineBreakInHeader(header: "Subject")) {
            try makeMessage(subject: "report\(lineBreak)Bcc: victim@example.com")
        }
    }

    @Test func lineBreakInRecipientRejected() {
        #expect(throws: MailError.lineBreakInHeader(header: "To")) {
            try MailMessage(sender: "a@b.example", recipients: ["ops@example.com", "x@example.com\nBcc: y@example.com"], subject: "s", text: "t", html: "h", host: "b.example")
        }
    }

    @Test func lineBreakInSenderRejected() {
        #expect(throws: MailError.lineBreakInHeader(header: "From")) {
            try MailMessage(sender: "a@b.example\r\nSubject: forged", recipients: ["ops@example.com"], subject: "s", text: "t", html: "h", host: "b.example")
        }
    }

    @Test func lineBreakInHostRejected() {
        #expect(throws: MailError.lineBreakInHeader(header: "Message-ID")) {
            try MailMessage(sender: "a@b.example", recipients: ["ops@example.com"], subject: "s", text: "t", html: "h", host: "b.example\nX: y")
        }
    }

    @Test(arguments: ["ops", "@example.com", "ops@", "a@b@c", "Ops <ops@example.com>", "ops@example.com, x@example.com", "öps@example.com", "ops @example.com"])
    func invalidAddressRejected(_ address: String) {
        #expect(throws: MailError.invalidValue(header: "To", value: address)) {
            try MailMessage(sender: "a@b.example", recipients: [address], subject: "s", text: "t", html: "h", host: "b.example")
        }
    }

    @Test func noRecipientsRejected() {
        #expect(throws: MailError.noRecipients) {
            try MailMessage(sender: "a@b.example", recipients: [], subject: "s", text: "t", html: "h", host: "b.example")
        }
    }

    @Test func errorNamesHeader() {
        #expect(MailError.lineBreakInHeader(header: "Subject").description.contains("Subject"))
        #expect(MailError.invalidValue(header: "From", value: "a\u{1}b").description.contains("'a\\x01b'"))
    }
}

@Suite struct SendmailTests {
    /// Writes an executable shell script to the folder and returns its path.
    private func script(_ folder: TemporaryFolder, _ name: String, _ body: String) throws -> String {
        let path = try folder.write(name, "#!/bin/sh\n" + body + "\n")
        chmod(path, 0o755)
        return path
    }

    @Test func messageReachesStandardInput() throws {
        let folder = try TemporaryFolder()
        let program = try script(folder, "sendmail", "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/arguments\"; cat > \"$(dirname \"$0\")/received\"")
        let message = try makeMessage().render()
        try Sendmail(commandLine: program + "  -t\t-oi").send(message)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: folder.path + "/received"))) == message)
        #expect(try String(contentsOfFile: folder.path + "/arguments", encoding: .utf8) == "-t\n-oi\n")
    }

    @Test func failureCarriesStatusAndStandardError() throws {
        let folder = try TemporaryFolder()
        let program = try script(folder, "sendmail", "cat > /dev/null; echo 'sendmail: cannot connect to mail.example.com: Connection refused' >&2; exit 75")
        let message = try makeMessage().render()
        do {
            try Sendmail(commandLine: program + " -t -oi").send(message)
            Issue.record("a failing sendmail program was reported as a success")
        } catch {
            #expect(error.exitStatus == 75)
            #expect(error.output?.contains("cannot connect to mail.example.com: Connection refused") == true)
            #expect(error.description.contains("exit status 75"))
            #expect(error.description.contains("Connection refused"))
        }
    }

    @Test func exitStatusOneWithoutReading() throws {
        let folder = try TemporaryFolder()
        let program = try script(folder, "sendmail", "echo 'no recipients' >&2; exit 1")
        #expect(throws: SendmailError.failed(program: program, exitStatus: 1, output: "no recipients\n")) {
            try Sendmail(commandLine: program).send(Array(repeating: UInt8(ascii: "x"), count: 4 << 20))
        }
    }

    @Test func missingProgramReported() {
        #expect(throws: SendmailError.programNotFound("/nonexistent/sendmail")) {
            try Sendmail(commandLine: "/nonexistent/sendmail -t -oi").send(Array("x\n".utf8))
        }
    }

    @Test func programNotExecutableReported() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("sendmail", "#!/bin/sh\nexit 0\n")
        chmod(path, 0o644)
        // root may execute a file without execute bits only when some bit is set, so this holds for root too.
        #expect(throws: SendmailError.spawnFailed(program: path, errno: EACCES)) {
            try Sendmail(commandLine: path).send(Array("x\n".utf8))
        }
    }

    @Test(arguments: ["", "   ", "sendmail -t", "./sendmail"])
    func relativeCommandRejected(_ commandLine: String) {
        #expect(throws: SendmailError.invalidCommand(commandLine)) {
            try Sendmail(commandLine: commandLine)
        }
    }

    @Test func earlyExitWithSuccessIsIncomplete() throws {
        // 4 MiB do not fit into the socket buffer, so the exit is seen while writing.
        let message = Array(repeating: UInt8(ascii: "x"), count: 4 << 20)
        do {
            try Sendmail(commandLine: "/bin/true").send(message)
            Issue.record("a program that read nothing was reported as a success")
        } catch {
            guard case .incompleteInput(_, let written, let total, _, _) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(written < total)
            #expect(total == message.count)
        }
    }

    @Test func largeOutputDoesNotBlock() throws {
        let folder = try TemporaryFolder()
        // 1 MiB on standard error before reading: a writer that waited for the input to be read first would block.
        let program = try script(folder, "sendmail", "head -c 1048576 /dev/zero >&2; cat > \"$(dirname \"$0\")/received\"")
        let message = Array(repeating: UInt8(ascii: "y"), count: 1 << 20)
        try Sendmail(commandLine: program).send(message)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/received")).count == message.count)
    }

    @Test func capturedOutputIsBounded() throws {
        let folder = try TemporaryFolder()
        let program = try script(folder, "sendmail", "head -c 1048576 /dev/zero | tr '\\0' e >&2; exit 2")
        do {
            try Sendmail(commandLine: program).send(Array("x\n".utf8))
            Issue.record("a failing sendmail program was reported as a success")
        } catch {
            #expect(error.exitStatus == 2)
            #expect(error.output?.utf8.count == Sendmail.maxCapturedBytes)
        }
    }

    @Test func hangingProgramTimesOut() throws {
        let folder = try TemporaryFolder()
        let program = try script(folder, "sendmail", "cat > /dev/null; exec sleep 30")
        let started = Date()
        do {
            try Sendmail(commandLine: program, timeout: 0.5).send(Array("x\n".utf8))
            Issue.record("a hanging sendmail program was reported as a success")
        } catch {
            guard case .timedOut = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func backgroundChildHoldingOutputDoesNotBlock() throws {
        let folder = try TemporaryFolder()
        // The child in the background keeps standard error open for 30 s after the program exits.
        let program = try script(folder, "sendmail", "cat > /dev/null; sleep 30 & echo $! > \"$(dirname \"$0\")/child\"; exit 0")
        let started = Date()
        try Sendmail(commandLine: program, timeout: 20).send(Array("x\n".utf8))
        #expect(Date().timeIntervalSince(started) < 5)
        if let child = Int32((try? String(contentsOfFile: folder.path + "/child", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
            kill(child, SIGTERM)
        }
    }
}

@Suite struct ReportLedgerTests {
    @Test func missingFileIsEmpty() throws {
        let folder = try TemporaryFolder()
        let ledger = try ReportLedger.load(directory: folder.path)
        #expect(ledger.entries.isEmpty)
        #expect(!ledger.contains(ReportLedger.Period(start: 0, end: 604_800)))
    }

    @Test func recordedPeriodReadBack() throws {
        let folder = try TemporaryFolder()
        let week = ReportLedger.Period(start: 1_795_737_600, end: 1_796_342_400)
        var ledger = try ReportLedger.load(directory: folder.path)
        try ledger.record(week, sentAt: 1_796_371_200, messageID: "0123abcd@www1.example.com")
        #expect(ledger.contains(week))

        let reread = try ReportLedger.load(directory: folder.path)
        #expect(reread == ledger)
        #expect(reread.contains(week))
        #expect(reread.entry(for: week)?.messageID == "0123abcd@www1.example.com")
        #expect(reread.entry(for: week)?.sentAt == 1_796_371_200)
        #expect(!reread.contains(ReportLedger.Period(start: week.start + 86_400, end: week.end + 86_400)))
        #expect(!reread.contains(ReportLedger.Period(start: week.start, end: week.end + 1)))
    }

    @Test func fileIsReadableJSON() throws {
        let folder = try TemporaryFolder()
        var ledger = try ReportLedger.load(directory: folder.path)
        try ledger.record(ReportLedger.Period(start: 10, end: 20), sentAt: 30, messageID: "id@host")
        let text = try String(contentsOfFile: folder.path + "/" + ReportLedger.fileName, encoding: .utf8)
        #expect(text == #"{"reports":[{"isDefaultPeriod":false,"messageID":"id@host","period":{"end":20,"start":10},"sentAt":30}],"version":1}"#)
    }

    @Test func entryWithoutDefaultFlagReadsAsExplicit() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write(ReportLedger.fileName,
                             #"{"reports":[{"messageID":"id@host","period":{"end":20,"start":10},"sentAt":30}],"version":1}"#)
        let ledger = try ReportLedger.load(directory: folder.path)
        #expect(ledger.entries.map(\.isDefaultPeriod) == [false])
        #expect(ledger.lastDefaultPeriodEnd == nil)
    }

    @Test func lastDefaultPeriodEndIgnoresExplicitPeriods() throws {
        let folder = try TemporaryFolder()
        var ledger = try ReportLedger.load(directory: folder.path)
        try ledger.record(ReportLedger.Period(start: 0, end: 604_800), sentAt: 604_900, messageID: "a@host", isDefaultPeriod: true)
        try ledger.record(ReportLedger.Period(start: 604_800, end: 1_209_600), sentAt: 1_209_700, messageID: "b@host",
                          isDefaultPeriod: true)
        // A manual report of a later span does not move the weekly series.
        try ledger.record(ReportLedger.Period(start: 1_209_600, end: 1_300_000), sentAt: 1_300_100, messageID: "c@host")
        let reread = try ReportLedger.load(directory: folder.path)
        #expect(reread.lastDefaultPeriodEnd == 1_209_600)
        #expect(reread.entries.map(\.isDefaultPeriod) == [true, true, false])
    }

    @Test func failedWriteLeavesLedgerUnchanged() throws {
        let folder = try TemporaryFolder()
        // A file where the state directory should be makes the write fail.
        let blocked = try folder.write("state", "not a directory")
        var ledger = ReportLedger(directory: blocked + "/missing", entries: [])
        #expect(throws: SystemError.self) {
            try ledger.record(ReportLedger.Period(start: 10, end: 20), sentAt: 30, messageID: "id@host")
        }
        #expect(ledger.entries.isEmpty)
    }

    @Test func oldestEntriesDropped() throws {
        let folder = try TemporaryFolder()
        var ledger = try ReportLedger.load(directory: folder.path)
        for week in 0..<(ReportLedger.maxEntries + 3) {
            let start = Int64(week) * 604_800
            try ledger.record(ReportLedger.Period(start: start, end: start + 604_800), sentAt: start, messageID: "\(week)@host")
        }
        let reread = try ReportLedger.load(directory: folder.path)
        #expect(reread.entries.count == ReportLedger.maxEntries)
        #expect(!reread.contains(ReportLedger.Period(start: 0, end: 604_800)))
        #expect(reread.entries.first?.messageID == "3@host")
    }

    @Test func corruptFileReported() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write(ReportLedger.fileName, "{not json")
        #expect(throws: SystemError.self) {
            try ReportLedger.load(directory: folder.path)
        }
    }
}

/// The real mail path: msmtp as the sendmail program, delivering over SMTP to
/// scripts/smtp-sink.py (aiosmtpd) on a free loopback port.
private enum RealMailPath {
    static let msmtp: String? = ["/usr/bin/msmtp", "/usr/local/bin/msmtp"].first { (path: String) in access(path, X_OK) == 0 }
    static let python = repositoryRoot + "/.build/venv/bin/python"
    static let hasAiosmtpd: Bool = {
        guard access(python, X_OK) == 0 else { return false }
        return (try? runProgram(python, ["-c", "import aiosmtpd"])) == 0
    }()
    static let mustRun = (msmtp != nil && hasAiosmtpd) || ProcessInfo.processInfo.environment["CI"] != nil

    /// Returns a TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Returns true once a TCP connection to 127.0.0.1:`port` succeeds, trying for up to 10 seconds.
    static func waitForListener(port: UInt16) -> Bool {
        for _ in 0..<200 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(descriptor)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }
}

/// Parses a stored message with Python's email package and prints its headers and decoded parts as JSON.
private let parseMessageScript = """
    import email, email.policy, json, sys
    with open(sys.argv[1], "rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    parts = [{"type": part.get_content_type(), "charset": part.get_content_charset(),
              "encoding": part["Content-Transfer-Encoding"], "content": part.get_content()}
             for part in message.iter_parts()]
    print(json.dumps({
        "from": str(message["From"]), "to": str(message["To"]), "subject": str(message["Subject"]),
        "date": str(message["Date"]), "messageID": str(message["Message-ID"]),
        "mimeVersion": str(message["MIME-Version"]), "type": message.get_content_type(),
        "defects": len(message.defects) + sum(len(part.defects) for part in message.iter_parts()),
        "parts": parts}))
    """

private struct ParsedMessage: Decodable {
    struct Part: Decodable {
        var type: String
        var charset: String?
        var encoding: String?
        var content: String
    }
    var from: String
    var to: String
    var subject: String
    var date: String
    var messageID: String
    var mimeVersion: String
    var type: String
    var defects: Int
    var parts: [Part]
}

@Suite(.enabled(if: RealMailPath.mustRun, "msmtp or aiosmtpd missing; run scripts/deps.sh test"))
struct RealMailPathTests {
    @Test func msmtpDeliversToSink() throws {
        let msmtp = try #require(RealMailPath.msmtp, "msmtp is not installed")
        try #require(RealMailPath.hasAiosmtpd, "\(RealMailPath.python) cannot import aiosmtpd")
        let folder = try TemporaryFolder()
        let inbox = folder.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: false)
        let port = try RealMailPath.freePort()

        // Start the sink; it is stopped by its PID at the end.
        let sink = Process()
        sink.executableURL = URL(fileURLWithPath: RealMailPath.python)
        sink.arguments = [repositoryRoot + "/scripts/smtp-sink.py", "--port", String(port), "--directory", inbox]
        try sink.run()
        defer {
            kill(sink.processIdentifier, SIGTERM)
            // A sink that ignores SIGTERM is killed after 5 s rather than holding the test.
            for _ in 0..<100 where sink.isRunning { usleep(50_000) }
            if sink.isRunning { kill(sink.processIdentifier, SIGKILL) }
            sink.waitUntilExit()
        }
        try #require(RealMailPath.waitForListener(port: port), "smtp-sink.py did not listen on port \(port)")

        // msmtp reads only a configuration file that its owner alone may read.
        let configuration = try folder.write("msmtprc", """
            defaults
            auth off
            tls off
            syslog off
            account default
            host 127.0.0.1
            port \(port)
            from leafwatch@www1.example.com

            """)
        chmod(configuration, 0o600)

        let subject = "leafwatch www1: 2026-11-27 to 2026-12-04, 3 alerts – Grüße"
        let message = try makeMessage(subject: subject)
        try Sendmail(commandLine: "\(msmtp) -C \(configuration) -t").send(message.render())

        let stored = inbox + "/0001.eml"
        try #require(FileManager.default.fileExists(atPath: stored), "the sink stored no message")
        let envelope = try String(contentsOfFile: inbox + "/0001.envelope", encoding: .utf8)
        #expect(envelope == "leafwatch@www1.example.com\nops@example.com\nmanager@example.org\n")

        let script = try folder.write("parse.py", parseMessageScript)
        let parser = Process()
        let pipe = Pipe()
        parser.executableURL = URL(fileURLWithPath: RealMailPath.python)
        parser.arguments = [script, stored]
        parser.standardOutput = pipe
        try parser.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        parser.waitUntilExit()
        try #require(parser.terminationStatus == 0)
        let parsed = try JSONDecoder().decode(ParsedMessage.self, from: output)

        #expect(parsed.from == "leafwatch@www1.example.com")
        #expect(parsed.to == "ops@example.com, manager@example.org")
        #expect(parsed.subject == subject)
        #expect(parsed.date == "Fri, 04 Dec 2026 08:00:00 +0100")
        #expect(parsed.messageID == "<\(message.messageID)>")
        #expect(parsed.mimeVersion == "1.0")
        #expect(parsed.type == "multipart/alternative")
        #expect(parsed.defects == 0)
        try #require(parsed.parts.count == 2)
        #expect(parsed.parts[0].type == "text/plain")
        #expect(parsed.parts[1].type == "text/html")
        for part in parsed.parts {
            #expect(part.charset == "utf-8")
            #expect(part.encoding == "quoted-printable")
        }
        // The email package ends a text part with a newline and reads line ends as LF.
        #expect(parsed.parts[0].content == samplePlain + "\n")
        #expect(parsed.parts[1].content == sampleHTML + "\n")

        // Every line on the wire is within 76 characters and ends in CRLF.
        let wire = try Array(Data(contentsOf: URL(fileURLWithPath: stored)))
        let wireLines = String(decoding: wire, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(wireLines.allSatisfy { !$0.contains("\n") && !$0.contains("\r") })
        #expect(wireLines.allSatisfy { $0.utf8.count <= 76 })
    }
}

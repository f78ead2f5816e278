import Foundation
import Testing
import LeafwatchCore
@testable import LeafwatchSystem

/// Returns the error lines that loading `path` throws, or none when it succeeds.
private func loadErrors(_ path: String) -> [String] {
    do {
        _ = try ConfigurationLoader.load(path: path)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

private func makeFolder(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

@Suite struct ConfigurationLoaderTests {
    @Test func mainFileOnly() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "[RequestFlood]\nThreshold=900\n")
        let loaded = try ConfigurationLoader.load(path: main)
        #expect(loaded.configuration.requestFlood.threshold == 900)
        #expect(loaded.filesRead == [main])
        #expect(!loaded.mainFileMissing)
    }

    @Test func dropInsInLexicalOrder() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "[AuthFailuresPerIP]\nThreshold=6\nWindow=20min\n")
        try makeFolder(main + ".d")
        // Byte order puts digits before upper case before lower case.
        _ = try folder.write("leafwatch.conf.d/b.conf", "[AuthFailuresPerIP]\nThreshold=9\n")
        _ = try folder.write("leafwatch.conf.d/B.conf", "[AuthFailuresPerIP]\nThreshold=8\n")
        _ = try folder.write("leafwatch.conf.d/10-a.conf", "[AuthFailuresPerIP]\nThreshold=7\n[Input]\nAccessLog=/a.log\n")
        _ = try folder.write("leafwatch.conf.d/20-b.conf", "[Input]\nAccessLog=/b.log\n")

        let loaded = try ConfigurationLoader.load(path: main)
        #expect(loaded.filesRead == [
            main,
            main + ".d/10-a.conf",
            main + ".d/20-b.conf",
            main + ".d/B.conf",
            main + ".d/b.conf",
        ])
        #expect(loaded.configuration.authFailuresPerIP.threshold == 9)
        #expect(loaded.configuration.authFailuresPerIP.window == 1200)
        #expect(loaded.configuration.input.accessLogs == ["/a.log", "/b.log"])
    }

    @Test func otherNamesIgnored() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "")
        try makeFolder(main + ".d")
        _ = try folder.write("leafwatch.conf.d/50-local.conf", "[RequestFlood]\nThreshold=700\n")
        _ = try folder.write("leafwatch.conf.d/50-local.conf.bak", "[RequestFlood]\nThreshold=bad\n")
        _ = try folder.write("leafwatch.conf.d/50-local.conf~", "[RequestFlood]\nThreshold=bad\n")
        _ = try folder.write("leafwatch.conf.d/.hidden.conf", "[RequestFlood]\nThreshold=bad\n")
        _ = try folder.write("leafwatch.conf.d/README", "not a configuration file\n")

        let loaded = try ConfigurationLoader.load(path: main)
        #expect(loaded.filesRead == [main, main + ".d/50-local.conf"])
        #expect(loaded.configuration.requestFlood.threshold == 700)
    }

    @Test func missingDropInFolder() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "[State]\nDirectory=/srv/leafwatch\n")
        let loaded = try ConfigurationLoader.load(path: main)
        #expect(loaded.filesRead == [main])
        #expect(loaded.configuration.state.directory == "/srv/leafwatch")
    }

    @Test func missingExplicitFile() throws {
        let folder = try TemporaryFolder()
        #expect(loadErrors(folder.path + "/none.conf") == ["\(folder.path)/none.conf: configuration file not found"])
    }

    @Test func missingDefaultFile() throws {
        // The default path may be missing: the drop-ins and the defaults apply.
        let folder = try TemporaryFolder()
        let main = folder.path + "/leafwatch.conf"
        try makeFolder(main + ".d")
        _ = try folder.write("leafwatch.conf.d/10.conf", "[Report]\nCheckInDay=Monday\n")

        let sources = ConfigurationLoader.readSources(mainPath: main, mustExist: false)
        #expect(sources.mainFileMissing)
        #expect(sources.errors.isEmpty)
        #expect(sources.files.map(\.path) == [main + ".d/10.conf"])

        let explicit = ConfigurationLoader.readSources(mainPath: main, mustExist: true)
        #expect(!explicit.mainFileMissing)
        #expect(explicit.errors.map(\.description) == ["\(main): configuration file not found"])
    }

    @Test(.enabled(if: geteuid() != 0, "root reads files whatever their mode"))
    func permissionDenied() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "[Input]\n")
        chmod(main, 0)
        #expect(loadErrors(main) == ["\(main): failed to open: Permission denied"])
    }

    @Test func directoryInPlaceOfFile() throws {
        let folder = try TemporaryFolder()
        let main = folder.path + "/leafwatch.conf"
        try makeFolder(main)
        #expect(loadErrors(main) == ["\(main): failed to read: Is a directory"])
    }

    @Test func fileInPlaceOfDropInFolder() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "")
        _ = try folder.write("leafwatch.conf.d", "")
        #expect(loadErrors(main) == ["\(main).d: failed to list the drop-in folder: Not a directory"])
    }

    @Test func invalidUTF8() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", Array("[Input]\nTimeZone=Europe/Z".utf8) + [0xFC] + Array("rich\n".utf8))
        #expect(loadErrors(main) == ["\(main): failed to read: line 2 is not valid UTF-8; save the file as UTF-8"])
    }

    @Test func readAndParseErrorsTogether() throws {
        let folder = try TemporaryFolder()
        let main = try folder.write("leafwatch.conf", "[Input]\nStartAt=middle\n")
        try makeFolder(main + ".d/broken.conf")
        _ = try folder.write("leafwatch.conf.d/later.conf", "[Bogus]\n")

        #expect(loadErrors(main) == [
            "\(main).d/broken.conf: failed to read: Is a directory",
            "\(main):2: invalid value 'middle' for StartAt= in [Input]; expected end or beginning",
            "\(main).d/later.conf:1: unknown section [Bogus]; valid sections are [Input], [AuthFailuresPerIP], [AuthFailuresPerUser], [NewClientForUser], [ServerErrorBurst], [RequestFlood], [Alerts], [Report], [State]",
        ])
    }

    @Test func shippedConfigLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try ConfigurationLoader.load(path: root.appendingPathComponent("config/leafwatch.conf").path)
        #expect(loaded.configuration == Configuration.defaults)
    }
}

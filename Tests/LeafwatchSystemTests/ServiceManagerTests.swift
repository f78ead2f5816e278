import Foundation
import Testing
@testable import LeafwatchSystem

/// A datagram socket bound to `path` in a temporary folder, which replaces
/// systemd's notification socket in the tests.
private final class NotifySocket {
    let folder: TemporaryFolder
    let path: String
    let descriptor: Int32

    init() throws {
        folder = try TemporaryFolder()
        path = folder.path + "/notify"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path.utf8)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }

        // A missing message fails the test after 2 seconds instead of hanging it.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
    }

    /// Returns the next datagram, or nil when none arrives within 2 seconds.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Returns true when no datagram is waiting.
    func isEmpty() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) < 0
    }
}

/// Runs `body` with the environment variables in `values` set (or unset for
/// nil), and restores their previous values afterwards.
@discardableResult
private func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
    var previous: [String: String?] = [:]
    for (name, value) in values {
        previous[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in previous {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}

/// These tests change the process's environment, so they run one at a time.
/// No other suite reads `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID` or `INVOCATION_ID`.
@Suite(.serialized) struct ServiceManagerTests {
    @Test func readyArrives() throws {
        let socket = try NotifySocket()
        let sent = try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try ServiceManager.ready() }
        #expect(sent)
        #expect(socket.receive() == "READY=1")
    }

    @Test func readyWithStatusArrives() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            try ServiceManager.ready(status: "Following 3 files, 0 lines/s, 0 open episodes")
        }
        #expect(socket.receive() == "READY=1\nSTATUS=Following 3 files, 0 lines/s, 0 open episodes")
    }

    @Test func reloadingCarriesMonotonicTime() throws {
        let socket = try NotifySocket()
        let before = ServiceManager.monotonicMicroseconds()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try ServiceManager.reloading() }
        let after = ServiceManager.monotonicMicroseconds()

        let message = try #require(socket.receive())
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let time = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(time >= before)
        #expect(time <= after)
    }

    @Test func statusArrivesByteExact() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            try ServiceManager.status("Following 12 files, 350 lines/s, 2 open episodes ✓")
        }
        #expect(socket.receive() == "STATUS=Following 12 files, 350 lines/s, 2 open episodes ✓")
    }

    @Test func statusNewlineCannotAddAssignment() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try ServiceManager.status("x\nREADY=1") }
        #expect(socket.receive() == "STATUS=x READY=1")
    }

    @Test func stoppingArrives() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try ServiceManager.stopping() }
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test func watchdogArrives() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try ServiceManager.watchdog() }
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test func unsetSocketSendsNothing() throws {
        let socket = try NotifySocket()
        let sent = try withEnvironment(["NOTIFY_SOCKET": nil]) { try ServiceManager.ready() }
        #expect(!sent)
        #expect(socket.isEmpty())
    }

    @Test func missingSocketThrows() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/missing"
        let error = withEnvironment(["NOTIFY_SOCKET": path]) {
            #expect(throws: SystemError.self) { try ServiceManager.ready() }
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.path == path)
    }

    @Test func watchdogIntervalIsHalf() {
        let interval = withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid())]) {
            ServiceManager.watchdogInterval
        }
        #expect(interval == .seconds(15))
    }

    @Test func watchdogForOtherProcessIgnored() {
        let interval = withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            ServiceManager.watchdogInterval
        }
        #expect(interval == nil)
    }

    @Test func watchdogUnsetIsNil() {
        let interval = withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) { ServiceManager.watchdogInterval }
        #expect(interval == nil)
    }

    @Test func invocationIDMeansSystemd() {
        #expect(withEnvironment(["INVOCATION_ID": "8f3c2a0e5b7d4c1e9a6f0b2d4e6a8c0e"]) { ServiceManager.isUnderSystemd })
        #expect(!withEnvironment(["INVOCATION_ID": nil]) { ServiceManager.isUnderSystemd })
    }
}

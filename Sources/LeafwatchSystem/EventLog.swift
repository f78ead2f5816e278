#if canImport(Glibc)
import Glibc
#endif
import LeafwatchCore
import Synchronization

/// The one place the daemon writes its alerts and its own events to: the
/// journal, or standard error as one readable line per entry.
///
/// When a journal write fails (journald stopped, its socket gone), that entry
/// goes to standard error instead, and the failure is reported there once
/// until a journal write succeeds again. Writes do not throw.
///
/// NOTE: a write to standard error blocks while a pipe on it is full, and a
/// journal write blocks while journald's queue is full (see `Journal`). A
/// write to a closed pipe raises SIGPIPE, so the daemon must ignore SIGPIPE.
///
/// Writes are serialized by a `Mutex`, so entries from several threads keep
/// their order and lines never interleave.
public final class EventLog: Sendable {
    /// The destination of entries.
    public enum Target: String, Sendable, CaseIterable {
        case journal, stderr
    }

    /// The `--log-target` option: a target, or `auto` to choose one from how
    /// the process was started.
    public enum TargetOption: String, Sendable, CaseIterable {
        case auto, journal, stderr
    }

    private struct State {
        var maxMessageLength: Int
        /// The error of the first failed journal write of the current outage, or nil while writes succeed.
        var journalFailure: SystemError?
        /// Entries written to standard error in place of the journal during the current outage.
        var entriesRedirected = 0
    }

    public let target: Target
    private let errorDescriptor: Int32
    private let journalSocket: String
    /// True when standard error is a journald stream, which reads a `<N>`
    /// prefix as the line's priority (systemd.exec(5), `SyslogLevelPrefix=`).
    private let prefixesPriority: Bool
    private let state: Mutex<State>

    /// - Parameters:
    ///   - maxMessageLength: the maximum length of `MESSAGE` in bytes, `[Alerts] MaxMessageLength=`.
    ///   - errorDescriptor: the descriptor of standard error; tests pass a pipe.
    ///   - journalSocket: the socket whose absence means the journal is missing; tests pass a missing path.
    ///   - journalStream: the value of `$JOURNAL_STREAM`, the device and
    ///     inode of the journald stream that systemd connected, if any.
    public init(target: Target, maxMessageLength: Int = 512, errorDescriptor: Int32 = STDERR_FILENO,
                journalSocket: String = Journal.socketPath,
                journalStream: String? = getenv("JOURNAL_STREAM").map { String(cString: $0) }) {
        self.target = target
        self.errorDescriptor = errorDescriptor
        self.journalSocket = journalSocket
        self.prefixesPriority = target == .stderr && EventLog.isJournalStream(errorDescriptor, journalStream: journalStream)
        self.state = Mutex(State(maxMessageLength: maxMessageLength))
    }

    /// The maximum length of `MESSAGE` in bytes; a reload may change it.
    public var maxMessageLength: Int {
        get { state.withLock { $0.maxMessageLength } }
        set { state.withLock { $0.maxMessageLength = newValue } }
    }

    /// Writes an alert. `logPath` is the file whose line caused it, nil for
    /// a close that time passing caused.
    public func write(_ alert: Alert, logPath: String?) {
        state.withLock { state in
            let fields = alert.journalFields(logPath: logPath, maxMessageLength: state.maxMessageLength)
            write(fields, priority: alert.priority, line: fields[0].text, state: &state)
        }
    }

    /// Writes one of the daemon's own events.
    public func write(_ event: DaemonEvent) {
        state.withLock { state in
            let fields = event.journalFields(maxMessageLength: state.maxMessageLength)
            write(fields, priority: event.priority, line: fields[0].text, state: &state)
        }
    }

    /// Sends `fields` to the journal, or writes `line` to standard error when
    /// that is the target or the journal write fails.
    private func write(_ fields: [JournalField], priority: Priority, line: String, state: inout State) {
        if target == .journal {
            do {
                try Journal.send(fields, socketPath: journalSocket)
                if state.journalFailure != nil {
                    let count = state.entriesRedirected
                    writeLine("the journal accepts entries again, after \(count) \(count == 1 ? "entry" : "entries") "
                              + "went to standard error", priority: .notice)
                    state.journalFailure = nil
                    state.entriesRedirected = 0
                }
                return
            } catch {
                if state.journalFailure == nil {
                    writeLine("\(error), writing entries to standard error until the journal accepts them again",
                              priority: .err)
                    state.journalFailure = error
                }
                state.entriesRedirected += 1
            }
        }
        writeLine(line, priority: priority)
    }

    /// Writes `leafwatch: ` and `text` as one line, with `<N>` in front when
    /// standard error is a journald stream.
    private func writeLine(_ text: String, priority: Priority) {
        let prefix = prefixesPriority ? "<\(priority.rawValue)>" : ""
        var line = "\(prefix)leafwatch: \(text)\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(errorDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    // Standard error is closed or broken: there is nowhere left to report this.
                    return
                }
                offset += written
            }
        }
    }
}

extension EventLog {
    /// Returns the target for `option`. For `auto`: the journal when
    /// `$JOURNAL_STREAM` names standard error's device and inode (systemd
    /// started the process with its output connected to the journal),
    /// standard error when it is a terminal, otherwise the journal when its
    /// socket exists, else standard error.
    public static func resolve(_ option: TargetOption, errorDescriptor: Int32 = STDERR_FILENO,
                               journalSocket: String = Journal.socketPath) -> Target {
        switch option {
        case .journal: return .journal
        case .stderr: return .stderr
        case .auto:
            return automaticTarget(stderrIsJournalStream: isJournalStream(errorDescriptor),
                                   stderrIsTerminal: isatty(errorDescriptor) == 1,
                                   journalSocketExists: access(journalSocket, F_OK) == 0)
        }
    }

    /// Returns the `auto` target from the facts `resolve` gathers.
    static func automaticTarget(stderrIsJournalStream: Bool, stderrIsTerminal: Bool, journalSocketExists: Bool) -> Target {
        if stderrIsJournalStream { return .journal }
        if stderrIsTerminal { return .stderr }
        return journalSocketExists ? .journal : .stderr
    }

    /// Returns true when `journalStream`, by default `$JOURNAL_STREAM`, names
    /// the device and inode of `descriptor`.
    static func isJournalStream(_ descriptor: Int32,
                                journalStream: String? = getenv("JOURNAL_STREAM").map { String(cString: $0) }) -> Bool {
        guard let journalStream, let stream = parseJournalStream(journalStream) else { return false }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == stream.device && UInt64(status.st_ino) == stream.inode
    }

    /// Parses `$JOURNAL_STREAM`, which systemd sets to the device and inode
    /// numbers of the stream, in decimal, as `device:inode`.
    static func parseJournalStream(_ text: String) -> (device: UInt64, inode: UInt64)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }
}

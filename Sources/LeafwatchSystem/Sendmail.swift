#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Delivers a message through the sendmail interface: a program such as
/// `/usr/sbin/sendmail -t -oi` (Postfix, Exim, msmtp, nullmailer) that reads
/// the message on standard input and takes the recipients from its headers.
///
/// The command line is split into words at spaces and tabs, as
/// `[Report] Sendmail=` is, and started with posix_spawn without a shell.
/// Its first word must be an absolute path, because no `PATH` search is made.
/// The message goes to standard input through a socket pair, written with
/// `MSG_NOSIGNAL`, so that a program that exits early cannot kill this
/// process with SIGPIPE. Standard input is closed after the last byte. The
/// program's standard output and standard error go to one socket that is read
/// while the message is written, so neither side can block the other, and
/// the first `maxCapturedBytes` of it are kept for the error. The program
/// runs with the caller's environment, an empty signal mask and the default
/// action for every signal.
///
/// A program still running after `timeout` seconds is sent SIGTERM, then SIGKILL
/// after 2 more seconds. Once the program exits, output that a background
/// child of it still holds open is no longer waited for.
public struct Sendmail: Sendable {
    /// The program's path and arguments.
    public let arguments: [String]
    /// Seconds the program may run before it is stopped.
    public let timeout: Double
    /// The maximum number of bytes of the program's output kept for the error.
    public static let maxCapturedBytes = 64 * 1024

    /// Creates a sender from a command line such as `/usr/sbin/sendmail -t -oi`.
    public init(commandLine: String, timeout: Double = 120) throws(SendmailError) {
        let words = commandLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = words.first, program.hasPrefix("/") else {
            throw SendmailError.invalidCommand(commandLine)
        }
        self.arguments = words
        self.timeout = timeout
    }

    /// Starts the program, writes `message` to its standard input and waits for it to exit.
    ///
    /// - Throws: `SendmailError` when the program cannot be started, exits with a
    ///   status other than 0, is killed by a signal, times out or stops reading
    ///   before the end of the message.
    public func send(_ message: [UInt8]) throws(SendmailError) {
        let program = arguments[0]

        // Standard input is a socket so that writes can use MSG_NOSIGNAL.
        var input: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &input) == 0 else {
            throw SendmailError.systemCall("socketpair", errno: errno)
        }
        // Glibc's module does not export pipe2, and a socket pair is created close-on-exec in one call too.
        var output: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &output) == 0 else {
            let code = errno
            close(input[0])
            close(input[1])
            throw SendmailError.systemCall("socketpair", errno: code)
        }
        let pid: pid_t
        do {
            pid = try spawn(program: program, standardInput: input[0], output: output[1])
        } catch {
            for descriptor in input + output { close(descriptor) }
            throw error
        }
        close(input[0])
        close(output[1])

        let result = exchange(pid: pid, message: message, input: input[1], output: output[0])
        let captured = String(decoding: result.captured, as: UTF8.self)
        if result.timedOut {
            throw SendmailError.timedOut(program: program, seconds: timeout, output: captured)
        }
        let status = result.status
        if status & 0x7F != 0 {
            throw SendmailError.killed(program: program, signal: status & 0x7F, output: captured)
        }
        let exitStatus = (status >> 8) & 0xFF
        if exitStatus != 0 {
            throw SendmailError.failed(program: program, exitStatus: exitStatus, output: captured)
        }
        if let writeError = result.writeError {
            throw SendmailError.incompleteInput(program: program, written: result.written, total: message.count, errno: writeError, output: captured)
        }
    }

    private func spawn(program: String, standardInput: Int32, output: Int32) throws(SendmailError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        // glibc reports a failed exec (ENOENT, EACCES) as the result of posix_spawn.
        // ETXTBSY means that some process still has the program open for writing,
        // such as a child forked by another thread just after the file was
        // written, and passes within milliseconds; it is retried for up to 1 s.
        var result = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        var retries = 0
        while result == ETXTBSY && retries < 100 {
            usleep(10_000)
            retries += 1
            result = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        }
        switch result {
        case 0: return pid
        case ENOENT, ENOTDIR: throw SendmailError.programNotFound(program)
        default: throw SendmailError.spawnFailed(program: program, errno: result)
        }
    }

    private struct Exchange {
        var status: Int32 = 0
        var captured: [UInt8] = []
        var written = 0
        var writeError: Int32? = nil
        var timedOut = false
    }

    /// Writes the message and reads the output until the program exits; closes `input` and `output`.
    private func exchange(pid: pid_t, message: [UInt8], input: Int32, output: Int32) -> Exchange {
        var result = Exchange()
        var inputOpen = true
        var outputOpen = true
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = Self.monotonicSeconds() + timeout
        var terminatedAt: Double? = nil
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)

        func closeInput() {
            if inputOpen {
                close(input)
                inputOpen = false
            }
        }
        if message.isEmpty { closeInput() }

        while !exited {
            // Wait for room on standard input, output to read, or 50 ms to check the exit.
            var descriptors: [pollfd] = []
            if inputOpen { descriptors.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            if outputOpen { descriptors.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&descriptors, nfds_t(descriptors.count), 50)

            if inputOpen {
                let count = message.withUnsafeBytes { bytes in
                    Glibc.send(input, bytes.baseAddress! + result.written, bytes.count - result.written, Int32(MSG_NOSIGNAL))
                }
                if count > 0 {
                    result.written += count
                    if result.written == message.count { closeInput() }
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    result.writeError = errno
                    closeInput()
                }
            }
            if outputOpen {
                outputOpen = readAvailable(output, into: &result.captured, buffer: &buffer)
            }

            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                result.status = status
                exited = true
            } else if let sent = terminatedAt {
                if Self.monotonicSeconds() > sent + 2 { kill(pid, SIGKILL) }
            } else if Self.monotonicSeconds() > deadline {
                result.timedOut = true
                kill(pid, SIGTERM)
                terminatedAt = Self.monotonicSeconds()
            }
        }

        // What the program wrote just before it exited is still in the socket.
        if outputOpen {
            _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
            _ = readAvailable(output, into: &result.captured, buffer: &buffer)
        }
        // A program that exits before the poll reports the closed socket leaves no write error behind.
        if result.written < message.count && result.writeError == nil {
            result.writeError = EPIPE
        }
        closeInput()
        close(output)
        return result
    }

    /// Reads what `descriptor` has without blocking; returns false at end of file or on an error.
    private func readAvailable(_ descriptor: Int32, into captured: inout [UInt8], buffer: inout [UInt8]) -> Bool {
        while true {
            var probe = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&probe, 1, 0) > 0 else { return true }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return true }
            guard count > 0 else { return false }
            let room = max(0, Self.maxCapturedBytes - captured.count)
            captured += buffer[0..<min(count, room)]
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// A failure to deliver a message through the sendmail program.
public enum SendmailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command line is empty or its first word is not an absolute path.
    case invalidCommand(String)
    /// The program does not exist.
    case programNotFound(String)
    /// posix_spawn failed for another reason, such as EACCES.
    case spawnFailed(program: String, errno: Int32)
    /// A system call needed to start the program failed.
    case systemCall(String, errno: Int32)
    /// The program exited with a status other than 0; `output` is what it wrote.
    case failed(program: String, exitStatus: Int32, output: String)
    /// A signal ended the program.
    case killed(program: String, signal: Int32, output: String)
    /// The program ran longer than the timeout and was stopped.
    case timedOut(program: String, seconds: Double, output: String)
    /// The program exited with status 0 without reading the whole message.
    case incompleteInput(program: String, written: Int, total: Int, errno: Int32, output: String)

    /// The exit status of a program that failed, or nil when it did not exit by itself.
    public var exitStatus: Int32? {
        if case .failed(_, let status, _) = self { return status }
        return nil
    }

    /// What the program wrote on standard error and standard output, or nil when it did not run.
    public var output: String? {
        switch self {
        case .failed(_, _, let output), .killed(_, _, let output), .timedOut(_, _, let output),
             .incompleteInput(_, _, _, _, let output):
            return output
        case .invalidCommand, .programNotFound, .spawnFailed, .systemCall:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidCommand(let line):
            return "invalid sendmail command '\(line)': expected an absolute path and arguments, such as /usr/sbin/sendmail -t -oi"
        case .programNotFound(let program):
            return "sendmail program '\(program)' not found; install an MTA that provides it (msmtp-mta, postfix, exim4 or nullmailer) or set [Report] Sendmail="
        case .spawnFailed(let program, let code):
            return "failed to start '\(program)': \(String(cString: strerror(code)))"
        case .systemCall(let call, let code):
            return "failed to start the sendmail program: \(call): \(String(cString: strerror(code)))"
        case .failed(let program, let status, let output):
            return "'\(program)' failed with exit status \(status)" + Self.shown(output)
        case .killed(let program, let signal, let output):
            return "'\(program)' was killed by signal \(signal)" + Self.shown(output)
        case .timedOut(let program, let seconds, let output):
            return "'\(program)' timed out after \(Int(seconds)) s and was stopped" + Self.shown(output)
        case .incompleteInput(let program, let written, let total, let code, let output):
            return "'\(program)' exited after reading \(written) of \(total) bytes of the message (\(String(cString: strerror(code))))" + Self.shown(output)
        }
    }

    private static func shown(_ output: String) -> String {
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "" : ": " + trimmed
    }
}

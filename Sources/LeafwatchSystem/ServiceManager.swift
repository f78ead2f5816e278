#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// State changes sent to the service manager with `sd_notify`
/// (sd_notify(3)). Every call does nothing when `$NOTIFY_SOCKET` is unset,
/// which is the case outside a `Type=notify` unit.
public enum ServiceManager {
    /// True when systemd started this process as part of a unit: systemd sets
    /// `$INVOCATION_ID` for every unit's processes (systemd.exec(5), since
    /// version 232).
    public static var isUnderSystemd: Bool {
        getenv("INVOCATION_ID") != nil
    }

    /// Sends `state`, one `NAME=value` assignment per line.
    ///
    /// - Returns: true when the message was sent, false when `$NOTIFY_SOCKET` is unset.
    /// - Throws: `SystemError` with the errno that `sd_notify` returns.
    @discardableResult
    public static func notify(_ state: String) throws(SystemError) -> Bool {
        let result = sd_notify(0, state)
        if result < 0 {
            let socket = getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? "$NOTIFY_SOCKET"
            throw SystemError("send notification to", path: socket, errno: -result)
        }
        return result > 0
    }

    /// Sends `READY=1`, with `STATUS=` when `status` is set.
    @discardableResult
    public static func ready(status: String? = nil) throws(SystemError) -> Bool {
        try notify("READY=1" + (status.map { "\nSTATUS=" + statusText($0) } ?? ""))
    }

    /// Sends `RELOADING=1` with `MONOTONIC_USEC=`, the time on
    /// `CLOCK_MONOTONIC` in microseconds. systemd 253 and later use it to
    /// match the reload to its request (`Type=notify-reload`), and earlier
    /// versions ignore it.
    @discardableResult
    public static func reloading() throws(SystemError) -> Bool {
        try notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds())")
    }

    /// Sends `STOPPING=1`.
    @discardableResult
    public static func stopping() throws(SystemError) -> Bool {
        try notify("STOPPING=1")
    }

    /// Sends `STATUS=` with `text`, the one line `systemctl status` shows.
    @discardableResult
    public static func status(_ text: String) throws(SystemError) -> Bool {
        try notify("STATUS=" + statusText(text))
    }

    /// Sends `WATCHDOG=1`, the keep-alive ping.
    @discardableResult
    public static func watchdog() throws(SystemError) -> Bool {
        try notify("WATCHDOG=1")
    }

    /// The interval at which to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`,
    /// as sd_watchdog_enabled(3) recommends, or nil when the unit has no
    /// watchdog or `$WATCHDOG_PID` names another process.
    public static var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds / 2))
    }

    /// Returns `CLOCK_MONOTONIC` in microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }

    /// Returns `text` on one line: a newline would end the `STATUS=` assignment
    /// and start another, so control characters become spaces.
    static func statusText(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { JournalText.isControl($0) ? " " : $0 }))
    }
}

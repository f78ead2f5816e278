import Foundation

/// Converts wall-clock times written without a UTC offset (error logs, some
/// custom access-log formats) to UTC using a time zone's rules.
///
/// A local time inside the hour that repeats when daylight saving time ends
/// is taken as its first occurrence; a local time inside the hour skipped
/// when it starts is converted with the offset in force before the change.
public struct LocalTimeZone: Sendable {
    public let identifier: String
    private let zone: TimeZone

    /// The zone named by an IANA identifier such as `Europe/Berlin`, or nil.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
        self.identifier = identifier
    }

    /// The system's zone (`TZ`, then `/etc/localtime`).
    public static var system: LocalTimeZone {
        let zone = TimeZone.current
        return LocalTimeZone(zone: zone)
    }

    public static let utc = LocalTimeZone(zone: TimeZone(identifier: "UTC")!)

    private init(zone: TimeZone) {
        self.zone = zone
        self.identifier = zone.identifier
    }

    /// Returns the zone's offset from UTC in seconds at the instant `utcSeconds`.
    public func offset(atUTC utcSeconds: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcSeconds))))
    }

    /// Returns the UTC instant of a wall-clock time given as seconds since the
    /// epoch as if the wall clock were UTC.
    public func utc(fromLocal localSeconds: Int64) -> Int64 {
        let before = offset(atUTC: localSeconds - 86_400)
        let after = offset(atUTC: localSeconds + 86_400)
        if before == after { return localSeconds - before }

        // The larger offset gives the earlier instant, which is the first
        // occurrence of a repeated local time.
        for candidate in [max(before, after), min(before, after)] where offset(atUTC: localSeconds - candidate) == candidate {
            return localSeconds - candidate
        }
        return localSeconds - before
    }
}

/// A cache in front of `LocalTimeZone.utc(fromLocal:)` for one reader.
/// Offsets change at most at quarter-hour boundaries in the tz database, so
/// one conversion per local quarter hour is enough.
public struct LocalTimeConverter: Sendable {
    public let zone: LocalTimeZone
    private var cachedQuarter: Int64 = .min
    private var cachedOffset: Int64 = 0

    public init(zone: LocalTimeZone) {
        self.zone = zone
    }

    public mutating func utc(fromLocal localSeconds: Int64) -> Int64 {
        let quarter = localSeconds >= 0 ? localSeconds / 900 : (localSeconds - 899) / 900
        if quarter != cachedQuarter {
            // The quarter's start decides the offset, so that every second of a
            // repeated hour gets the same offset regardless of arrival order.
            let start = quarter * 900
            cachedOffset = start - zone.utc(fromLocal: start)
            cachedQuarter = quarter
        }
        return localSeconds - cachedOffset
    }
}

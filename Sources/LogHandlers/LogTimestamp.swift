#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A wall-clock instant as seconds and nanoseconds since the Unix epoch, formatted for log lines.
///
/// The handlers read the clock through a closure returning this type, so tests can pin the time and check the
/// exact output. Formatting is done here rather than with Foundation to keep the handlers light and fast.
public struct LogTimestamp: Sendable, Equatable {
    /// Whole seconds since 1970-01-01T00:00:00Z; negative before the epoch.
    public var seconds: Int64
    /// Nanoseconds within the second, 0 ..< 1_000_000_000.
    public var nanoseconds: Int32

    /// Creates a timestamp; `nanoseconds` is clamped into 0 ..< 1_000_000_000.
    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = min(max(nanoseconds, 0), 999_999_999)
    }

    /// The current wall-clock time from `CLOCK_REALTIME`.
    public static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LogTimestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-11-25T12:34:56.123456Z`.
    ///
    /// Fixed width and UTC so lines sort as text and compare across hosts in different time zones.
    public var rfc3339: String {
        let secondsPerDay: Int64 = 86_400
        var days = seconds / secondsPerDay
        var secondOfDay = seconds % secondsPerDay
        if secondOfDay < 0 {
            secondOfDay += secondsPerDay
            days -= 1
        }
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        var text = ""
        text.reserveCapacity(27)
        Self.append(year, width: 4, to: &text)
        text.append("-")
        Self.append(month, width: 2, to: &text)
        text.append("-")
        Self.append(day, width: 2, to: &text)
        text.append("T")
        Self.append(secondOfDay / 3600, width: 2, to: &text)
        text.append(":")
        Self.append(secondOfDay / 60 % 60, width: 2, to: &text)
        text.append(":")
        Self.append(secondOfDay % 60, width: 2, to: &text)
        text.append(".")
        Self.append(Int64(nanoseconds / 1000), width: 6, to: &text)
        text.append("Z")
        return text
    }

    /// Converts days since 1970-01-01 into a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.utf8.count < width {
            text.append(String(repeating: "0", count: width - digits.utf8.count))
        }
        text.append(digits)
    }
}

//! Time formatting without a date library: UTC civil dates from the Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch (0 for times before it).
pub(crate) fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
}

/// Year, month, day of the proleptic Gregorian calendar for `days` since 1970-01-01
/// (the well-known era-based conversion: 400-year eras of 146097 days).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day is 1..=31 and month 1..=12 by construction.
    (year, month as u32, day as u32)
}

/// The UTC civil time of `t`.
pub(crate) fn civil(t: SystemTime) -> Civil {
    let secs = epoch_secs(t) as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        // 1970-01-01 was a Thursday (4).
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// `2024-03-09 14:05 UTC`, for the table header.
pub(crate) fn minute_utc(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// `Sat Mar  9 14:05:07 2024` (C `ctime` layout, in UTC), for `startstr` and `timestr`.
pub(crate) fn ctime_utc(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(t);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        DAYS[c.weekday as usize % 7],
        MONTHS[(c.month as usize + 11) % 12],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// Seconds with two decimals (`0.52`), as in "scanned in 0.52 seconds" and XML `elapsed`.
pub(crate) fn secs_2dp(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// Seconds with two significant digits and no trailing zeros (`0.00012`, `0.25`, `1.5`), as in
/// "Host is up (0.00012s latency)."
pub(crate) fn secs_2sig(d: Duration) -> String {
    let x = d.as_secs_f64();
    if x <= 0.0 {
        return "0".to_string();
    }
    let exp = x.log10().floor() as i32;
    let decimals = (1 - exp).max(0) as usize;
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Microseconds, saturating.
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn civil_dates_match_known_epochs() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(minute_utc(at(1_710_000_000)), "2024-03-09 16:00 UTC");
        assert_eq!(ctime_utc(at(1_710_000_000)), "Sat Mar  9 16:00:00 2024");
        assert_eq!(ctime_utc(at(1_795_239_593)), "Sat Nov 21 05:39:53 2026");
        assert_eq!(ctime_utc(at(0)), "Thu Jan  1 00:00:00 1970");
    }

    #[test]
    fn seconds_formats() {
        assert_eq!(secs_2sig(Duration::from_micros(120)), "0.00012");
        assert_eq!(secs_2sig(Duration::from_micros(95)), "0.000095");
        assert_eq!(secs_2sig(Duration::from_micros(100)), "0.0001");
        assert_eq!(secs_2sig(Duration::from_millis(250)), "0.25");
        assert_eq!(secs_2sig(Duration::from_millis(1500)), "1.5");
        assert_eq!(secs_2sig(Duration::from_secs(12)), "12");
        assert_eq!(secs_2sig(Duration::ZERO), "0");
        assert_eq!(secs_2dp(Duration::from_millis(523)), "0.52");
        assert_eq!(micros(Duration::from_millis(2)), 2000);
    }
}

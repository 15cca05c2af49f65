//! Timestamps as stored in the database, and dates as shown to visitors.
//!
//! The database stores UTC text in the fixed form `YYYY-MM-DDTHH:MM:SSZ` (see the first migration for
//! why). Visitors see dates in Europe/Stockholm, in Swedish or English wording. The time zone database
//! is compiled into the binary (jiff's `tzdb-bundle-always`), so dates do not depend on the host.

use std::sync::{
    Arc, LazyLock,
    atomic::{AtomicI64, Ordering},
};

use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::lang::Lang;

/// The zone every date on the site is shown in.
static STOCKHOLM: LazyLock<TimeZone> = LazyLock::new(|| {
    // The zone database is bundled into the binary, so the name always resolves; UTC is only a
    // belt-and-braces fallback that keeps the site up should the bundle ever lack it.
    TimeZone::get("Europe/Stockholm").unwrap_or(TimeZone::UTC)
});

/// The time zone of the site.
pub fn stockholm() -> &'static TimeZone {
    &STOCKHOLM
}

/// Formats a timestamp the way the database stores it.
pub fn to_db(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The day of a timestamp as the database stores it: `2026-12-02` of `2026-12-02T10:11:12Z`.
pub fn day_of(db_timestamp: &str) -> &str {
    db_timestamp.get(..10).unwrap_or(db_timestamp)
}

/// The current time, as the database stores it.
pub fn now_db() -> Moment {
    Moment::of(Timestamp::now())
}

/// A moment in the form the database stores and compares (`2026-12-02T10:11:12Z`, UTC, to the
/// second). Made only from a [`Timestamp`], so no other text can pass for one; it reads as that text
/// (`Deref<Target = str>`) wherever a statement binds or compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Moment(String);

impl Moment {
    pub fn of(ts: Timestamp) -> Moment {
        Moment(to_db(ts))
    }

    /// The moment `text` (RFC 3339) names, in the database's form; `None` when it names none.
    pub fn parse(text: &str) -> Option<Moment> {
        from_db(text).map(Moment::of)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Moment {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<Moment> for str {
    fn eq(&self, other: &Moment) -> bool {
        self == other.0
    }
}

impl PartialOrd<Moment> for str {
    fn partial_cmp(&self, other: &Moment) -> Option<std::cmp::Ordering> {
        self.partial_cmp(other.0.as_str())
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl rusqlite::types::ToSql for Moment {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

/// Where the application reads the time from: the system clock, or in tests a clock they set, so that a
/// scheduled page can be seen going live without waiting for it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Unix seconds of a manual clock; `None` reads the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands still at `ts` until it is [`set`](Self::set).
    pub fn manual(ts: Timestamp) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(ts.as_second()))),
        }
    }

    /// Moves a manual clock to `ts`. The system clock cannot be set, so this does nothing to it.
    pub fn set(&self, ts: Timestamp) {
        if let Some(seconds) = &self.manual {
            seconds.store(ts.as_second(), Ordering::Relaxed);
        }
    }

    pub fn now(&self) -> Timestamp {
        match &self.manual {
            Some(seconds) => Timestamp::from_second(seconds.load(Ordering::Relaxed))
                .unwrap_or(Timestamp::UNIX_EPOCH),
            None => Timestamp::now(),
        }
    }

    /// The current time, as the database stores it.
    pub fn now_db(&self) -> Moment {
        Moment::of(self.now())
    }
}

/// Parses a timestamp written by [`to_db`] (or any RFC 3339 timestamp).
pub fn from_db(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// How precisely a page's date is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum DatePrecision {
    /// A calendar day, such as 14 December 2012.
    #[default]
    Day,
    /// A month only, such as December 2012: the source names no day, so none is shown.
    Month,
}

/// Read by rusqlite as sqlx stores it: `day` or `month`.
impl rusqlite::types::FromSql for DatePrecision {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match value.as_str()? {
            "day" => Ok(DatePrecision::Day),
            "month" => Ok(DatePrecision::Month),
            _ => Err(rusqlite::types::FromSqlError::InvalidType),
        }
    }
}

/// A page's date as an author writes it in front matter: `2012-12-14`, `2012-12`, or a full RFC 3339
/// timestamp such as `2026-12-01T09:00:00+01:00`. Dates without a time mean midnight in Stockholm.
pub fn parse_author_date(text: &str) -> Result<(Timestamp, DatePrecision), String> {
    let text = text.trim();
    let midnight = |date: Date| {
        date.to_zoned(stockholm().clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|err| format!("`{text}` is not a valid date: {err}"))
    };
    // jiff's `Date` parser also accepts a full timestamp (and drops its time), so dispatch on the form.
    if text.len() == "2012-12-14".len()
        && let Ok(date) = text.parse::<Date>()
    {
        return Ok((midnight(date)?, DatePrecision::Day));
    }
    if let Some((year, month)) = text.split_once('-')
        && year.len() == 4
        && month.len() == 2
        && let (Ok(year), Ok(month)) = (year.parse::<i16>(), month.parse::<i8>())
    {
        let date = Date::new(year, month, 1).map_err(|_| {
            format!("`{text}` is not a valid month; write it as YYYY-MM, e.g. 2012-12")
        })?;
        return Ok((midnight(date)?, DatePrecision::Month));
    }
    text.parse::<Timestamp>()
        .map(|ts| (ts, DatePrecision::Day))
        .map_err(|_| {
            format!(
                "`{text}` is not a date; write YYYY-MM-DD (2012-12-14), YYYY-MM (2012-12) \
                 or a full timestamp (2012-12-14T09:00:00+01:00)"
            )
        })
}

/// The inverse of [`parse_author_date`]: the shortest form that gives the same timestamp back.
pub fn format_author_date(ts: Timestamp, precision: DatePrecision) -> String {
    let local = ts.to_zoned(stockholm().clone());
    let is_midnight = local.time() == jiff::civil::Time::midnight();
    match precision {
        DatePrecision::Month if is_midnight && local.day() == 1 => {
            local.strftime("%Y-%m").to_string()
        }
        _ if is_midnight => local.strftime("%Y-%m-%d").to_string(),
        _ => local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    }
}

/// The machine-readable form for `<time datetime>`: `2012-12-14` or `2012-12`.
pub fn html_date(ts: Timestamp, precision: DatePrecision) -> String {
    let local = ts.to_zoned(stockholm().clone());
    match precision {
        DatePrecision::Day => local.strftime("%Y-%m-%d").to_string(),
        DatePrecision::Month => local.strftime("%Y-%m").to_string(),
    }
}

/// A date in words in the visitor's language: "14 december 2012" or "14 December 2012"; with month
/// precision "december 2012".
pub fn human_date(ts: Timestamp, precision: DatePrecision, lang: Lang) -> String {
    const SV: [&str; 12] = [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let local = ts.to_zoned(stockholm().clone());
    let names = match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    };
    // month() is 1..=12 by jiff's invariant, so the index is in bounds.
    let month = names[usize::try_from(local.month() - 1).unwrap_or(0)];
    match precision {
        DatePrecision::Day => format!("{} {month} {}", local.day(), local.year()),
        DatePrecision::Month => format!("{month} {}", local.year()),
    }
}

/// A moment as the admin area shows it: `2026-12-01 09:00`, in Stockholm time.
pub fn admin_datetime(ts: Timestamp) -> String {
    ts.to_zoned(stockholm().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A moment split for a form's date and time fields (`2026-12-01`, `09:00`), in Stockholm time.
pub fn form_fields(ts: Timestamp) -> (String, String) {
    let local = ts.to_zoned(stockholm().clone());
    (
        local.strftime("%Y-%m-%d").to_string(),
        local.strftime("%H:%M").to_string(),
    )
}

/// What is wrong with a form's date and time fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormTimeProblem {
    /// The date is not `YYYY-MM-DD`.
    Date,
    /// The time is not `HH:MM`.
    Time,
    /// The moment does not exist in Swedish time (it falls in the hour skipped in spring).
    Nonexistent,
}

impl FormTimeProblem {
    /// Whether the problem lies in the time field rather than the date field.
    pub fn in_time_field(self) -> bool {
        self == FormTimeProblem::Time
    }

    /// The problem and how to fix it, in the admin area's language.
    pub fn swedish(self) -> &'static str {
        match self {
            FormTimeProblem::Date => "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-12-01.",
            FormTimeProblem::Time => "Skriv klockslaget som TT:MM, till exempel 09:00.",
            FormTimeProblem::Nonexistent => "Den tiden finns inte i svensk tid. Välj en annan.",
        }
    }
}

/// Reads a form's date (`YYYY-MM-DD`) and optional time (`HH:MM`) as Stockholm time. A missing time
/// means midnight. In the hour that occurs twice in autumn, the earlier one is taken.
pub fn parse_form_fields(date: &str, time: &str) -> Result<Timestamp, FormTimeProblem> {
    let date: Date = date.trim().parse().map_err(|_| FormTimeProblem::Date)?;
    let time = match time.trim() {
        "" => jiff::civil::Time::midnight(),
        text => text.parse().map_err(|_| FormTimeProblem::Time)?,
    };
    date.to_datetime(time)
        .to_zoned(stockholm().clone())
        .map(|zoned| zoned.timestamp())
        .map_err(|_| FormTimeProblem::Nonexistent)
}

/// RFC 3339 in UTC, as Atom and sitemaps want it.
pub fn rfc3339(ts: Timestamp) -> String {
    to_db(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_form_round_trips_and_sorts() {
        let early = from_db("2012-12-01T00:00:00Z").expect("valid");
        let late = from_db("2026-01-01T12:00:00Z").expect("valid");
        assert_eq!(to_db(early), "2012-12-01T00:00:00Z");
        assert!(to_db(early) < to_db(late));
    }

    #[test]
    fn author_dates_mean_midnight_in_stockholm() {
        let (winter, precision) = parse_author_date("2012-12-14").expect("valid");
        assert_eq!(to_db(winter), "2012-12-13T23:00:00Z");
        assert_eq!(precision, DatePrecision::Day);
        let (summer, _) = parse_author_date("2012-06-14").expect("valid");
        assert_eq!(to_db(summer), "2012-06-13T22:00:00Z");
    }

    #[test]
    fn author_dates_round_trip_through_their_shortest_form() {
        for text in [
            "2012-12-14",
            "2012-12",
            "2026-03-29T09:30:00+02:00",
            "2026-01-05T07:15:00+01:00",
        ] {
            let (ts, precision) = parse_author_date(text).expect("valid");
            assert_eq!(format_author_date(ts, precision), text);
        }
    }

    #[test]
    fn nonsense_dates_are_refused_with_a_hint() {
        let err = parse_author_date("14/12/2012").expect_err("invalid");
        assert!(err.contains("YYYY-MM-DD"), "{err}");
        assert!(parse_author_date("2012-13").is_err());
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let (ts, _) = parse_author_date("2012-12-14").expect("valid");
        assert_eq!(
            human_date(ts, DatePrecision::Day, Lang::Sv),
            "14 december 2012"
        );
        assert_eq!(
            human_date(ts, DatePrecision::Day, Lang::En),
            "14 December 2012"
        );
        assert_eq!(
            human_date(ts, DatePrecision::Month, Lang::Sv),
            "december 2012"
        );
        assert_eq!(html_date(ts, DatePrecision::Month), "2012-12");
    }
}

//! Reporting periods: a financial year (`2024-25`, April to March) or the
//! year to date of a month (`2025-03`: 1 April 2024 to 31 March 2025).

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A period the measures are built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The label as given (`2024-25` or `2025-03`), stored in the cube's `period` column.
    pub label: String,
    /// First day (always 1 April).
    pub start: NaiveDate,
    /// Last day (31 March, or the last day of the month for year to date).
    pub end: NaiveDate,
    /// Whether this is a whole financial year or a year to date.
    pub kind: PeriodKind,
}

/// The two forms of period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// `YYYY-YY`: April of the first year to March of the next.
    FinancialYear,
    /// `YYYY-MM`: April of the financial year containing the month, to that month's end.
    YearToDate,
}

/// Why a period label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period `{input}`: {reason} (expected a financial year like 2024-25 or a month like 2025-03)")]
pub struct PeriodError {
    pub input: String,
    pub reason: String,
}

impl Period {
    /// Parses `YYYY-YY` (financial year) or `YYYY-MM` (year to date).
    ///
    /// The two forms are told apart by the second number: a financial year's
    /// second part is the year after the first (`2024-25`); a month is `01`-`12`.
    /// (`2012-13` is therefore a financial year, never the 13th month.)
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let err = |reason: &str| PeriodError { input: input.to_string(), reason: reason.to_string() };
        let (year_text, second_text) = input.split_once('-').ok_or_else(|| err("no `-`"))?;
        if year_text.len() != 4 || second_text.len() != 2 {
            return Err(err("the first part must have 4 digits and the second 2"));
        }
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year_text) || !digits(second_text) {
            return Err(err("the parts must be digits"));
        }
        let year: i32 = year_text.parse().map_err(|_| err("bad year"))?;
        let second: u32 = second_text.parse().map_err(|_| err("bad second part"))?;
        let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| err("date out of range"));
        let next_year_suffix = ((year + 1) % 100) as u32;
        if second == next_year_suffix {
            return Ok(Period {
                label: input.to_string(),
                start: date(year, 4, 1)?,
                end: date(year + 1, 3, 31)?,
                kind: PeriodKind::FinancialYear,
            });
        }
        if (1..=12).contains(&second) {
            let fy_start_year = if second >= 4 { year } else { year - 1 };
            let first_of_next = if second == 12 { date(year + 1, 1, 1)? } else { date(year, second + 1, 1)? };
            let end = first_of_next.pred_opt().ok_or_else(|| err("date out of range"))?;
            return Ok(Period {
                label: input.to_string(),
                start: date(fy_start_year, 4, 1)?,
                end,
                kind: PeriodKind::YearToDate,
            });
        }
        Err(err("the second part is neither the next year (financial year) nor a month 01-12"))
    }

    /// The first day as `YYYY-MM-DD`.
    pub fn start_iso(&self) -> String {
        self.start.format("%Y-%m-%d").to_string()
    }

    /// The last day as `YYYY-MM-DD`.
    pub fn end_iso(&self) -> String {
        self.end.format("%Y-%m-%d").to_string()
    }

    /// The measure name disclosure control uses for this period's cells: `measure@start/end`.
    /// A financial year and the year to date of its March cover the same days and so give the
    /// same cells, whichever product shows them.
    pub fn qualify(&self, measure: &str) -> String {
        format!("{measure}@{}/{}", self.start_iso(), self.end_iso())
    }

    /// The twelve calendar months (`YYYY-MM`) ending with the period's last month.
    pub fn trend_months(&self) -> Vec<String> {
        let last = self.end.year() * 12 + self.end.month0() as i32;
        (last - 11..=last).map(|m| format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)).collect()
    }

    /// The financial year this period belongs to, as `YYYY-YY`.
    pub fn financial_year(&self) -> String {
        let y = self.start.year();
        format!("{y}-{:02}", (y + 1) % 100)
    }
}

/// The measure name disclosure control uses for one calendar month's count (`2025-03`:
/// `measure@2025-03-01/2025-03-31`), whichever product shows it; `None` for a bad month.
pub fn qualify_month(measure: &str, month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let start = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if start.month() == 12 { NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)? };
    let end = next.pred_opt()?;
    Some(format!("{measure}@{}/{}", start.format("%Y-%m-%d"), end.format("%Y-%m-%d")))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} to {})", self.label, self.start_iso(), self.end_iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_year_runs_april_to_march() {
        let p = Period::parse("2024-25").unwrap();
        assert_eq!((p.start, p.end, p.kind), (d(2024, 4, 1), d(2025, 3, 31), PeriodKind::FinancialYear));
        let p = Period::parse("1999-00").unwrap();
        assert_eq!((p.start, p.end), (d(1999, 4, 1), d(2000, 3, 31)));
    }

    #[test]
    fn month_is_year_to_date_from_april() {
        let p = Period::parse("2025-03").unwrap();
        assert_eq!((p.start, p.end, p.kind), (d(2024, 4, 1), d(2025, 3, 31), PeriodKind::YearToDate));
        let p = Period::parse("2024-04").unwrap();
        assert_eq!((p.start, p.end), (d(2024, 4, 1), d(2024, 4, 30)));
        let p = Period::parse("2024-12").unwrap();
        assert_eq!((p.start, p.end), (d(2024, 4, 1), d(2024, 12, 31)));
        let p = Period::parse("2024-02").unwrap();
        assert_eq!((p.start, p.end), (d(2023, 4, 1), d(2024, 2, 29)));
        assert_eq!(p.financial_year(), "2023-24");
    }

    #[test]
    fn next_year_suffix_wins_over_month() {
        // 2011-12 is the financial year, not December 2011
        let p = Period::parse("2011-12").unwrap();
        assert_eq!(p.kind, PeriodKind::FinancialYear);
        assert_eq!(p.end, d(2012, 3, 31));
    }

    #[test]
    fn malformed_periods_are_refused_with_the_input() {
        for bad in ["2024", "2024-26", "2024-13", "2024-00", "24-25", "2024-2", "abcd-ef", "2024/25", ""] {
            let e = Period::parse(bad).unwrap_err();
            assert_eq!(e.input, bad);
            assert!(e.to_string().contains(bad));
        }
    }

    #[test]
    fn trend_months_and_month_keys() {
        let p = Period::parse("2025-03").unwrap();
        let months = p.trend_months();
        assert_eq!(months.len(), 12);
        assert_eq!((months[0].as_str(), months[11].as_str()), ("2024-04", "2025-03"));
        assert_eq!(Period::parse("2025-01").unwrap().trend_months()[0], "2024-02");
        assert_eq!(qualify_month("adult:in_treatment", "2024-02").unwrap(), "adult:in_treatment@2024-02-01/2024-02-29");
        assert_eq!(qualify_month("m", "2024-12").unwrap(), "m@2024-12-01/2024-12-31");
        assert!(qualify_month("m", "2024-13").is_none());
    }
}

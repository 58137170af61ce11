//! Submission identity: the `<AGNCY>_<YYYY-MM>.csv` file name, the
//! submission month and the reporting period it covers.
//!
//! The reporting period runs from 1 January of the reporting start year to
//! the end of the submission month. The start year is the submission's year
//! minus 1 for August to December and minus 2 for January to July (the CDS-P
//! table: September 2019 and March 2020 cover from 1 January 2018, August
//! 2020 from 1 January 2019), so a March 2025 submission covers 1 January
//! 2023 to 31 March 2025 and an August 2025 one 1 January 2024 to 31 August
//! 2025.

use chrono::{Datelike, NaiveDate};
use std::path::Path;

/// Which agency and month a file claims to be, from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionName {
    pub agency: String,
    pub year: i32,
    pub month: u32,
}

impl SubmissionName {
    /// Parses a file name of the form `<AGNCY>_<YYYY-MM>.csv`.
    pub fn parse(path: &Path) -> Result<SubmissionName, String> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| "the file name is not valid UTF-8".to_string())?;
        let stem = name
            .strip_suffix(".csv")
            .ok_or_else(|| format!("file name `{name}` does not end in .csv (expected <AGNCY>_<YYYY-MM>.csv)"))?;
        let (agency, month) = stem
            .rsplit_once('_')
            .ok_or_else(|| format!("file name `{name}` is not <AGNCY>_<YYYY-MM>.csv"))?;
        let bad_month = || format!("file name `{name}`: `{month}` is not a month in YYYY-MM form");
        let (y, m) = month.split_once('-').ok_or_else(bad_month)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad_month());
        }
        let year: i32 = y.parse().map_err(|_| bad_month())?;
        let month: u32 = m.parse().map_err(|_| bad_month())?;
        if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
            return Err(bad_month());
        }
        if agency.is_empty() || !agency.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("file name `{name}`: agency code `{agency}` must be letters and digits"));
        }
        Ok(SubmissionName { agency: agency.to_string(), year, month })
    }

    /// `YYYY-MM`.
    pub fn month_label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The first day of the submission month.
    pub fn month_start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }

    /// The reporting period this submission covers.
    pub fn period(&self) -> ReportingPeriod {
        ReportingPeriod::for_month(self.year, self.month)
    }
}

/// A closed date range, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportingPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl ReportingPeriod {
    /// The reporting period of a submission for `year`-`month`.
    pub fn for_month(year: i32, month: u32) -> ReportingPeriod {
        let start_year = if month >= 8 { year - 1 } else { year - 2 };
        ReportingPeriod {
            start: NaiveDate::from_ymd_opt(start_year, 1, 1).expect("valid date"),
            end: last_day_of_month(year, month),
        }
    }
}

/// The last day of a calendar month.
pub fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid date").pred_opt().expect("valid date")
}

/// Whole years from `dob` to `on` (the age on that date).
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_agency_and_month() {
        let n = SubmissionName::parse(Path::new("/x/N0852_2025-03.csv")).unwrap();
        assert_eq!(n, SubmissionName { agency: "N0852".into(), year: 2025, month: 3 });
        assert_eq!(n.month_label(), "2025-03");
    }

    #[test]
    fn rejects_bad_names() {
        for bad in ["N0852-2025-03.csv", "N0852_2025-13.csv", "N0852_2025-3.csv", "N0852_2025-03.txt", "_2025-03.csv", "N08 52_2025-03.csv"] {
            assert!(SubmissionName::parse(Path::new(bad)).is_err(), "{bad}");
        }
    }

    /// The rows of the CDS-P table: September 2019 to June (and the part of July) 2020 cover
    /// from 1 January 2018; (part-July and) August 2020 onwards from 1 January 2019. The rule
    /// puts the whole of July with the earlier rows.
    #[test]
    fn period_start_follows_the_cds_p_table() {
        let start = |y, m| ReportingPeriod::for_month(y, m).start;
        assert_eq!(start(2019, 9), d(2018, 1, 1), "Sept 2019");
        assert_eq!(start(2020, 3), d(2018, 1, 1), "Mar 2020");
        assert_eq!(start(2020, 7), d(2018, 1, 1), "part July 2020");
        assert_eq!(start(2020, 8), d(2019, 1, 1), "Aug 2020");
        assert_eq!(start(2020, 9), d(2019, 1, 1), "Sept 2020");
        assert_eq!(ReportingPeriod::for_month(2025, 3), ReportingPeriod { start: d(2023, 1, 1), end: d(2025, 3, 31) });
        assert_eq!(ReportingPeriod::for_month(2024, 2), ReportingPeriod { start: d(2022, 1, 1), end: d(2024, 2, 29) });
    }

    #[test]
    fn age_turns_on_the_birthday() {
        assert_eq!(age_on(d(2007, 4, 1), d(2025, 3, 31)), 17);
        assert_eq!(age_on(d(2007, 4, 1), d(2025, 4, 1)), 18);
        assert_eq!(age_on(d(2004, 2, 29), d(2022, 2, 28)), 17);
        assert_eq!(age_on(d(2004, 2, 29), d(2022, 3, 1)), 18);
    }
}

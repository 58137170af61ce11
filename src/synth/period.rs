//! Submission months and reporting periods (extract-format.md,
//! "Submissions"): a submission for month m covers 1 January of the
//! reporting start year to the end of m, and the start rolls forward one
//! year each September. Also the financial year used for calibration.

use chrono::{Datelike, NaiveDate};

/// A submission month (year, month 1-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubmissionMonth {
    pub year: i32,
    pub month: u32,
}

impl SubmissionMonth {
    /// The month, if `month` is 1-12.
    pub fn new(year: i32, month: u32) -> Option<SubmissionMonth> {
        (1..=12)
            .contains(&month)
            .then_some(SubmissionMonth { year, month })
    }

    /// The month `n` months before this one.
    pub fn minus(self, n: u32) -> SubmissionMonth {
        let idx = self.year * 12 + self.month as i32 - 1 - n as i32;
        SubmissionMonth {
            year: idx.div_euclid(12),
            month: idx.rem_euclid(12) as u32 + 1,
        }
    }

    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("month is 1-12")
    }

    /// Last day of the month: the end of the reporting period.
    pub fn end(self) -> NaiveDate {
        let next = self.plus_one().first_day();
        next.pred_opt().expect("date in range")
    }

    fn plus_one(self) -> SubmissionMonth {
        if self.month == 12 {
            SubmissionMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            SubmissionMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The reporting start year: the submission's year from September, the year before otherwise.
    pub fn reporting_start_year(self) -> i32 {
        if self.month >= 9 {
            self.year
        } else {
            self.year - 1
        }
    }

    /// First day of the reporting period (1 January of the reporting start year).
    pub fn period_start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.reporting_start_year(), 1, 1).expect("date in range")
    }

    /// `YYYY-MM`, as used in extract file names.
    pub fn label(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// The latest complete financial year (April to March) ending on or before the month's end.
pub fn calibration_year(latest: SubmissionMonth) -> (NaiveDate, NaiveDate) {
    let end_year = if latest.month >= 3 {
        latest.year
    } else {
        latest.year - 1
    };
    let start = NaiveDate::from_ymd_opt(end_year - 1, 4, 1).expect("date in range");
    let end = NaiveDate::from_ymd_opt(end_year, 3, 31).expect("date in range");
    (start, end)
}

/// Whole years between `dob` and `on` (age on that day).
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
    fn reporting_period_rolls_forward_in_september() {
        let march = SubmissionMonth::new(2025, 3).unwrap();
        assert_eq!(march.period_start(), d(2024, 1, 1));
        assert_eq!(march.end(), d(2025, 3, 31));
        let aug = SubmissionMonth::new(2025, 8).unwrap();
        assert_eq!(aug.period_start(), d(2024, 1, 1));
        let sep = SubmissionMonth::new(2025, 9).unwrap();
        assert_eq!(sep.period_start(), d(2025, 1, 1));
        assert_eq!(SubmissionMonth::new(2024, 2).unwrap().end(), d(2024, 2, 29));
        assert_eq!(
            SubmissionMonth::new(2024, 12).unwrap().end(),
            d(2024, 12, 31)
        );
    }

    #[test]
    fn months_count_back_across_years_and_label_pads() {
        let m = SubmissionMonth::new(2025, 2).unwrap();
        assert_eq!(m.minus(2), SubmissionMonth::new(2024, 12).unwrap());
        assert_eq!(m.minus(14), SubmissionMonth::new(2023, 12).unwrap());
        assert_eq!(m.label(), "2025-02");
        assert!(SubmissionMonth::new(2025, 13).is_none());
    }

    #[test]
    fn calibration_year_is_the_latest_full_financial_year() {
        let m = SubmissionMonth::new(2025, 3).unwrap();
        assert_eq!(calibration_year(m), (d(2024, 4, 1), d(2025, 3, 31)));
        let m = SubmissionMonth::new(2025, 2).unwrap();
        assert_eq!(calibration_year(m), (d(2023, 4, 1), d(2024, 3, 31)));
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(d(2000, 6, 15), d(2018, 6, 14)), 17);
        assert_eq!(age_on(d(2000, 6, 15), d(2018, 6, 15)), 18);
    }
}

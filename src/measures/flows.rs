//! Which measures count events in a period (flows) and which count people
//! present in it (stocks): the one place that says so.
//!
//! A flow (a journey starting, an exit, a successful completion) happens on
//! one day, so its count over consecutive months adds up to its count over
//! the months together: new presentations of the twelve months of a
//! financial year add up to the year. A stock (people in treatment, people
//! receiving an intervention) counts a person in every month they are in
//! contact, so its months add up to more than the year. Manifests declare a
//! month dimension additive for exactly the flows (`additive_measures`), and
//! an outside checker uses that relation.

/// Cube measures that count events (journeys starting or ending, deaths,
/// completions): each is dated to one day of the period. Measures not listed
/// here are treated as stocks: their months do not add up to the year.
pub const FLOW_MEASURES: [&str; 6] =
    ["new_presentations", "waiting", "exits", "successful_completions", "deaths", "completions_without_representation"];

/// Whether `measure` counts events dated to one day (its months add up).
pub fn is_flow(measure: &str) -> bool {
    FLOW_MEASURES.contains(&measure)
}

/// The calendar months (`YYYY-MM`) from `start` to `end` inclusive.
pub fn months_between(start: chrono::NaiveDate, end: chrono::NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let (first, last) = (start.year() * 12 + start.month0() as i32, end.year() * 12 + end.month0() as i32);
    (first..=last).map(|m| format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)).collect()
}

/// The measures of `measures` whose months add up to the period's figure, given the months a
/// table shows and the period its `Total` covers: the flows when the months are exactly the
/// period's calendar months, none otherwise (twelve months ending in January against a year
/// to date from April add up to nothing shown).
pub fn month_additive_measures<'a>(measures: &'a [String], months: &[String], period: &super::Period) -> Vec<&'a String> {
    let covered = months_between(period.start, period.end);
    let mut shown: Vec<&String> = months.iter().collect();
    shown.sort();
    if shown.len() != covered.len() || shown.iter().zip(&covered).any(|(a, b)| *a != b) {
        return Vec::new();
    }
    measures.iter().filter(|m| is_flow(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::Period;

    fn strings(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flows_and_stocks() {
        assert!(is_flow("new_presentations") && is_flow("exits") && is_flow("successful_completions"));
        assert!(!is_flow("in_treatment") && !is_flow("interventions"));
    }

    #[test]
    fn months_of_a_year_add_up_for_flows_only() {
        let year = Period::parse("2024-25").unwrap();
        let measures = strings(&["in_treatment", "new_presentations"]);
        let months = year.trend_months();
        assert_eq!(months_between(year.start, year.end), months);
        assert_eq!(month_additive_measures(&measures, &months, &year), vec!["new_presentations"]);
    }

    #[test]
    fn twelve_months_against_a_shorter_year_to_date_add_up_to_nothing() {
        let ytd = Period::parse("2025-01").unwrap();
        let measures = strings(&["new_presentations"]);
        assert!(month_additive_measures(&measures, &ytd.trend_months(), &ytd).is_empty());
        let march = Period::parse("2025-03").unwrap();
        assert_eq!(month_additive_measures(&measures, &march.trend_months(), &march).len(), 1);
    }
}

//! Hand-worked fixtures for linkage, treatment journeys and the measures:
//! each test inserts episodes straight into a temporary warehouse, runs the
//! build and checks journey and cube rows worked out by hand.

mod fixture;

use fixture::*;

#[test]
fn twenty_one_days_after_discharge_continues_the_journey_and_twenty_two_starts_a_new_one() {
    let f = Fixture::new();
    f.add(ep("A1", "P21", "e1", "2024-01-05", Some(("2024-04-10", "80"))));
    f.add(ep("A1", "P21", "e2", "2024-05-01", Some(("2024-08-01", "83")))); // 21 days
    f.add(ep("A1", "P22", "e1", "2024-01-05", Some(("2024-04-10", "80"))));
    f.add(ep("A2", "P22", "e1", "2024-05-02", Some(("2024-08-01", "83")))); // 22 days
    f.build("2024-25");
    assert_eq!(f.journeys("P21").len(), 1);
    assert_eq!(f.journeys("P21")[0].1.as_deref(), Some("2024-08-01"));
    assert_eq!(f.journeys("P22").len(), 2);
    // only P22's second journey starts in 2024-25; P21's single journey exits unsuccessfully
    assert_eq!(f.england("2024-25", "new_presentations"), 1);
    assert_eq!(f.england("2024-25", "exits"), 3);
    assert_eq!(f.england("2024-25", "successful_completions"), 1);
}

#[test]
fn an_earlier_episode_still_open_keeps_a_later_one_in_its_journey() {
    let f = Fixture::new();
    f.add(ep("A1", "P", "e1", "2024-01-05", None));
    f.add(ep("A2", "P", "e1", "2024-09-01", Some(("2024-10-01", "80"))));
    // open at A1 and a closed episode at A2: a third episode months after the
    // closed one still joins, because the A1 episode is open
    f.add(ep("A1", "Q", "e1", "2024-01-05", None));
    f.add(ep("A2", "Q", "e1", "2024-02-01", Some(("2024-02-28", "88"))));
    f.add(ep("A3", "Q", "e1", "2024-06-01", None));
    f.build("2024-25");
    assert_eq!(f.journeys("Q").len(), 1, "{:?}", f.journeys("Q"));
    let j = f.journeys("P");
    assert_eq!(j.len(), 1, "{j:?}");
    assert_eq!(j[0].1, None, "the journey is open while any episode is");
    assert_eq!(f.england("2024-25", "exits"), 0);
    assert_eq!(f.england("2024-25", "successful_completions"), 0);
    assert_eq!(f.england("2024-25", "new_presentations"), 0);
}

#[test]
fn an_earlier_discharge_after_the_later_one_keeps_the_journey_and_gives_its_end_and_reason() {
    let f = Fixture::new();
    // nested episode: the journey ends at the earlier episode's later discharge, with its reason
    f.add(ep("A1", "N", "e1", "2024-04-05", Some(("2024-09-30", "83"))));
    f.add(ep("A2", "N", "e1", "2024-05-01", Some(("2024-06-01", "80"))));
    // the later episode starts 32 days after the earlier discharge but was discharged before it:
    // rule (b) alone keeps it in the journey
    f.add(ep("A1", "B", "e1", "2024-04-05", Some(("2024-06-30", "81"))));
    f.add(Ep { refld: "2024-04-10", ..ep("A2", "B", "e1", "2024-08-01", Some(("2024-05-01", "83"))) });
    f.build("2024-25");
    assert_eq!(
        f.journeys("N"),
        vec![("2024-04-05".into(), Some("2024-09-30".into()), Some("83".into()), "opiate not crack".into())]
    );
    assert_eq!(
        f.journeys("B"),
        vec![("2024-04-05".into(), Some("2024-06-30".into()), Some("81".into()), "opiate not crack".into())]
    );
    assert_eq!(f.england("2024-25", "exits"), 2);
    assert_eq!(f.england("2024-25", "successful_completions"), 1);
    assert_eq!(f.cell("2024-25", "exits", ("england", ENGLAND), "Total", "exit_reason", "dropped out or left"), 1);
    assert_eq!(f.cell("2024-25", "exits", ("england", ENGLAND), "Total", "exit_reason", "successful completion"), 1);
}

#[test]
fn a_person_at_two_agencies_counts_once_in_the_la_and_once_at_each_agency() {
    let f = Fixture::new();
    f.add(ep("A1", "P", "e1", "2024-05-01", None));
    f.add(ep("A2", "P", "e1", "2024-06-01", None));
    f.build("2024-25");
    assert_eq!(f.cell("2024-25", "in_treatment", ("la", MANCHESTER), "Total", "", "Total"), 1);
    assert_eq!(f.cell("2024-25", "in_treatment", ("region", NORTH_WEST), "Total", "", "Total"), 1);
    assert_eq!(f.england("2024-25", "in_treatment"), 1);
    assert_eq!(f.cell("2024-25", "in_treatment", ("provider", "A1"), "Total", "", "Total"), 1);
    assert_eq!(f.cell("2024-25", "in_treatment", ("provider", "A2"), "Total", "", "Total"), 1);
}

#[test]
fn a_mover_counts_in_the_la_of_their_latest_episode_for_every_measure() {
    let f = Fixture::new();
    f.add(ep("A1", "M", "e1", "2024-04-10", Some(("2024-06-30", "88"))));
    f.add(ep("A2", "M", "e1", "2024-07-10", Some(("2025-01-31", "80"))).la(Some(HACKNEY)));
    f.add(ep("A1", "C", "e1", "2024-05-01", None).la(Some(CITY_OF_LONDON)));
    f.add(ep("A1", "U", "e1", "2024-05-01", None).la(None));
    f.build("2024-25");
    let it = |level: &str, area: &str| f.cell("2024-25", "in_treatment", (level, area), "Total", "", "Total");
    assert_eq!(it("la", MANCHESTER), 0);
    assert_eq!(it("la", HACKNEY), 2, "the mover and the City of London resident");
    assert_eq!(it("la", CITY_OF_LONDON), 0);
    assert_eq!(it("la", "LA_UNKNOWN"), 1);
    assert_eq!(it("region", LONDON), 2);
    assert_eq!(it("region", NORTH_WEST), 0);
    assert_eq!(it("region", "LA_UNKNOWN"), 0, "no English LA: England only");
    assert_eq!(it("england", ENGLAND), 3);
    assert_eq!(f.cell("2024-25", "exits", ("la", HACKNEY), "Total", "", "Total"), 1);
    assert_eq!(f.cell("2024-25", "exits", ("la", MANCHESTER), "Total", "", "Total"), 0);
    assert_eq!(f.cell("2024-25", "successful_completions", ("region", LONDON), "Total", "", "Total"), 1);
    // LA -> England adds up for every measure and cell of the period
    let mismatches = f.query_i64(
        "WITH la AS (SELECT population, measure, substance_group, dimension, category, sum(value) v FROM cube
                     WHERE period = '2024-25' AND geography_level = 'la' GROUP BY ALL),
              en AS (SELECT population, measure, substance_group, dimension, category, value v FROM cube
                     WHERE period = '2024-25' AND geography_level = 'england')
         SELECT count(*) FROM la FULL JOIN en USING (population, measure, substance_group, dimension, category)
         WHERE la.v IS DISTINCT FROM en.v",
        &[],
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn a_mover_is_placed_by_their_latest_treatment_episode_not_by_the_exit_episode_or_a_referral() {
    let f = Fixture::new();
    // The journey ends with the Manchester episode's discharge (80), but its latest episode in
    // journey order is at Hackney: the exit and the completion count in Hackney.
    f.add(ep("A1", "X", "e1", "2024-04-10", Some(("2024-12-31", "80"))));
    f.add(ep("A2", "X", "e1", "2024-06-01", Some(("2024-09-30", "88"))).la(Some(HACKNEY)));
    // Treated in Manchester; referred in Hackney in March with a first intervention in April:
    // the referral is no treatment in 2024-25 and places nobody.
    f.add(ep("A1", "R", "e1", "2024-05-01", Some(("2024-11-10", "80"))).drugs("1011", None, None));
    f.add(Ep { refld: "2025-03-20", ..ep("A2", "R", "e1", "2025-04-05", None).la(Some(HACKNEY)).drugs("7000", None, None) });
    f.build("2024-25");
    let at = |m: &str, la: &str| f.cell("2024-25", m, ("la", la), "Total", "", "Total");
    assert_eq!((at("exits", HACKNEY), at("exits", MANCHESTER)), (1, 1));
    assert_eq!((at("successful_completions", HACKNEY), at("successful_completions", MANCHESTER)), (1, 1));
    assert_eq!((at("in_treatment", HACKNEY), at("in_treatment", MANCHESTER)), (1, 1));
    assert_eq!(f.cell("2024-25", "in_treatment", ("la", MANCHESTER), "opiate", "", "Total"), 1, "R's journey in the period is opiate");
    assert_eq!(f.cell("2024-25", "in_treatment", ("la", HACKNEY), "alcohol only", "", "Total"), 0);
    assert_eq!(f.cell("2024-25", "in_treatment", ("region", LONDON), "Total", "", "Total"), 1);
    assert_eq!(f.cell("2024-25", "in_treatment", ("region", NORTH_WEST), "Total", "", "Total"), 1);
    // Each LA adds up to its region, for every measure and cell.
    let mismatches = f.query_i64(
        "WITH la AS (SELECT population, measure, substance_group, dimension, category, region_code AS region, sum(value) v
                     FROM cube JOIN geography_la g ON g.la_code = cube.area_code
                     WHERE period = '2024-25' AND geography_level = 'la' GROUP BY ALL),
              rg AS (SELECT population, measure, substance_group, dimension, category, area_code AS region, value v FROM cube
                     WHERE period = '2024-25' AND geography_level = 'region')
         SELECT count(*) FROM la FULL JOIN rg USING (population, measure, substance_group, dimension, category, region)
         WHERE coalesce(la.v, 0) IS DISTINCT FROM coalesce(rg.v, 0)",
        &[],
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn adult_or_young_person_is_decided_by_age_at_the_journeys_first_triage() {
    let f = Fixture::new();
    // 17 at referral, 18 at triage: an adult. 18 at referral is impossible to undo later.
    f.add(ep("A1", "T18", "e1", "2024-05-01", None).ages(17, "2024-05-01", 18));
    // First triage at 17 in the journey's first episode; a later episode of the same journey
    // is triaged at 18: still a young person.
    f.add(ep("A1", "J17", "e1", "2024-04-02", Some(("2024-06-01", "88"))).ages(17, "2024-04-02", 17));
    f.add(ep("A2", "J17", "e1", "2024-06-10", None).ages(18, "2024-06-10", 18));
    f.build("2024-25");
    let people = |population: &str| {
        f.query_i64(
            "SELECT coalesce(sum(value), 0) FROM cube WHERE period = '2024-25' AND population = ? AND measure = 'in_treatment'
               AND geography_level = 'england' AND substance_group = 'Total' AND dimension = ''",
            &[&population],
        )
    };
    assert_eq!((people("adult"), people("young_people")), (1, 1));
    assert_eq!(f.journeys("J17").len(), 1);
}

#[test]
fn seventeen_at_triage_is_a_young_person_and_eighteen_an_adult() {
    let f = Fixture::new();
    f.add(ep("A1", "Y17", "e1", "2024-05-01", None).triaged("2024-05-01", 17));
    f.add(ep("A1", "Y18", "e1", "2024-05-01", None).triaged("2024-05-01", 18));
    f.build("2024-25");
    let pop = |p: &str| {
        f.query_i64(
            "SELECT count(*) FROM cube WHERE period = '2024-25' AND population = ? AND measure = 'in_treatment'
               AND geography_level = 'england' AND substance_group = 'Total' AND dimension = 'age_band' AND value = 1",
            &[&p],
        )
    };
    assert_eq!((pop("young_people"), pop("adult")), (1, 1));
    assert_eq!(f.cell("2024-25", "in_treatment", ("england", ENGLAND), "Total", "age_band", "16-17"), 1);
    assert_eq!(f.cell("2024-25", "in_treatment", ("england", ENGLAND), "Total", "age_band", "18-24"), 1);
}

#[test]
fn substance_group_follows_the_hierarchy_across_the_journeys_episodes() {
    let f = Fixture::new();
    f.add(ep("A1", "OC", "e1", "2024-05-01", None).drugs("1011", Some("3201"), None));
    f.add(ep("A1", "ON", "e1", "2024-05-01", None).drugs("1105", Some("7000"), Some("5000")));
    f.add(ep("A1", "NA", "e1", "2024-05-01", None).drugs("5000", Some("7000"), None));
    f.add(ep("A1", "CA", "e1", "2024-05-01", None).drugs("3201", None, Some("7000")));
    f.add(ep("A1", "NO", "e1", "2024-05-01", None).drugs("3201", Some("2200"), None));
    f.add(ep("A1", "AL", "e1", "2024-05-01", None).drugs("7000", None, None));
    // alcohol then, in the same journey at another agency, heroin: the journey is opiate
    f.add(ep("A1", "MIX", "e1", "2024-05-01", Some(("2024-06-01", "88"))).drugs("7000", None, None));
    f.add(ep("A2", "MIX", "e1", "2024-06-10", None).drugs("1000", None, None));
    f.build("2024-25");
    let group = |p: &str| f.journeys(p)[0].3.clone();
    assert_eq!(group("OC"), "opiate and crack");
    assert_eq!(group("ON"), "opiate not crack");
    assert_eq!(group("NA"), "non-opiate and alcohol");
    assert_eq!(group("CA"), "non-opiate and alcohol");
    assert_eq!(group("NO"), "non-opiate only");
    assert_eq!(group("AL"), "alcohol only");
    assert_eq!(group("MIX"), "opiate not crack");
    let s = |substance: &str| f.cell("2024-25", "in_treatment", ("england", ENGLAND), substance, "", "Total");
    assert_eq!(s("opiate"), 3);
    assert_eq!(s("opiate and crack"), 1);
    assert_eq!(s("opiate not crack"), 2);
    assert_eq!(s("non-opiate and alcohol"), 2);
    assert_eq!(s("non-opiate only"), 1);
    assert_eq!(s("alcohol only"), 1);
    assert_eq!(s("Total"), 7);
    let phof = |g: &str| f.cell("2024-25", "in_treatment", ("england", ENGLAND), "Total", "phof_group", g);
    assert_eq!((phof("opiate"), phof("non-opiate"), phof("alcohol")), (3, 3, 1));
}

#[test]
fn representation_within_six_calendar_months_is_a_day_either_side() {
    let f = Fixture::new();
    // both complete on 15 June 2024; 6 calendar months later is 15 December 2024
    f.add(ep("A1", "EARLY", "e1", "2024-04-02", Some(("2024-06-15", "80"))));
    f.add(ep("A1", "EARLY", "e2", "2024-12-14", None)); // 6 months minus a day: represented
    f.add(ep("A1", "LATE", "e1", "2024-04-02", Some(("2024-06-15", "80"))));
    f.add(ep("A1", "LATE", "e2", "2024-12-16", None)); // 6 months plus a day: not represented
    f.build("2024-25");
    assert_eq!(f.england("2024-25", "successful_completions"), 2);
    assert_eq!(f.england("2024-25", "completions_without_representation"), 1);
    assert_eq!(f.cell("2024-25", "completions_without_representation", ("england", ENGLAND), "opiate", "", "Total"), 1);
    assert_eq!(
        f.cell("2024-25", "completions_without_representation", ("england", ENGLAND), "Total", "phof_group", "opiate"),
        1
    );
    assert_eq!(f.cell("2024-25", "in_treatment", ("england", ENGLAND), "Total", "phof_group", "opiate"), 2);
}

#[test]
fn six_calendar_months_from_the_end_of_august_is_the_end_of_february() {
    let f = Fixture::new();
    // Completed 31 August 2024: six calendar months later is 28 February 2025 (not 182 days,
    // not 3 March). A new journey on that day is a representation; on 1 March it is not.
    for (person, drug, next) in [("ON", "7000", "2025-02-28"), ("AFTER", "7000", "2025-03-01"), ("NO", "5000", "2025-02-28"), ("NA", "5000", "2025-03-01")] {
        let person: &'static str = Box::leak(person.to_string().into_boxed_str());
        f.add(ep("A1", person, "e1", "2024-04-02", Some(("2024-08-31", "81"))).drugs(drug, None, None));
        let next: &'static str = Box::leak(next.to_string().into_boxed_str());
        f.add(ep("A1", person, "e2", next, None).drugs(drug, None, None));
    }
    f.build("2024-25");
    let without = |group: &str| f.cell("2024-25", "completions_without_representation", ("england", ENGLAND), "Total", "phof_group", group);
    assert_eq!(f.england("2024-25", "successful_completions"), 4);
    assert_eq!((without("alcohol"), without("non-opiate"), without("opiate")), (1, 1, 0));
    assert_eq!(f.england("2024-25", "completions_without_representation"), 2);
}

#[test]
fn financial_year_boundaries_fall_between_31_march_and_1_april() {
    let f = Fixture::new();
    f.add(ep("A1", "S31", "e1", "2025-03-31", None));
    f.add(ep("A1", "S01", "e1", "2025-04-01", None));
    f.add(ep("A1", "E31", "e1", "2024-06-01", Some(("2025-03-31", "80"))));
    f.add(ep("A1", "E01", "e1", "2024-06-01", Some(("2025-04-01", "80"))));
    // referred in March, first intervention in April: in treatment from 2025-26 only
    f.add(Ep { refld: "2025-03-20", ..ep("A1", "W", "e1", "2025-04-05", None) });
    f.build("2024-25");
    f.build("2025-26");
    assert_eq!(f.england("2024-25", "new_presentations"), 3, "S31 and the two June 2024 starts");
    assert_eq!(f.england("2025-26", "new_presentations"), 2, "S01 and W");
    assert_eq!(f.england("2024-25", "exits"), 1);
    assert_eq!(f.england("2025-26", "exits"), 1);
    assert_eq!(f.england("2024-25", "in_treatment"), 3, "S31, E31, E01");
    assert_eq!(f.england("2025-26", "in_treatment"), 4, "S31, S01, E01, W");
    // the month form: year to date April 2024..March 2025 equals the financial year
    f.build("2025-03");
    for m in ["in_treatment", "new_presentations", "exits"] {
        assert_eq!(f.england("2025-03", m), f.england("2024-25", m), "{m}");
    }
}

#[test]
fn an_episode_with_no_intervention_started_is_not_in_treatment_and_unlinked_people_are_not_counted() {
    let f = Fixture::new();
    f.add(ep("A1", "REF", "e1", "2024-05-01", None).modst(None));
    f.add(ep("A1", "PH", "e1", "2024-05-01", None).unlinked("placeholder"));
    f.add(ep("A1", "IN", "e1", "2024-05-01", None).unlinked("incomplete"));
    f.add(ep("A1", "T", "e1", "2024-05-01", None));
    f.build("2024-25");
    assert!(f.journeys("REF").is_empty());
    assert_eq!(f.england("2024-25", "in_treatment"), 1);
    assert_eq!(f.england("2024-25", "new_presentations"), 1);
    assert_eq!(f.query_i64("SELECT count(*) FROM journey", &[]), 1);
}

#[test]
fn waiting_bands_split_at_three_and_six_weeks() {
    let f = Fixture::new();
    for (person, start) in [("W20", "2024-05-21"), ("W21", "2024-05-22"), ("W42", "2024-06-12"), ("W43", "2024-06-13")]
    {
        f.add(Ep { refld: "2024-05-01", ..ep("A1", person, "e1", start, None) });
    }
    f.build("2024-25");
    let band = |b: &str| f.cell("2024-25", "waiting", ("england", ENGLAND), "Total", "waiting_band", b);
    assert_eq!((band("under 3 weeks"), band("3-6 weeks"), band("over 6 weeks")), (1, 2, 1));
}

#[test]
fn deaths_settings_and_top_change_are_counted() {
    let f = Fixture::new();
    f.add(ep("A1", "D", "e1", "2024-05-01", Some(("2024-09-01", "87"))).setting("6"));
    f.add(ep("A1", "T", "e1", "2024-04-02", None));
    f.add(ep("A1", "R", "e1", "2024-04-02", None));
    let c = f.wh.conn();
    c.execute_batch(
        "INSERT INTO top_record (agency, client_id, episode_id, top_id, topdate, trstage, opiuse, submission_id) VALUES
           ('A1', 'T@A1', 'e1', 't1', DATE '2024-04-10', 'S', 20, 1),
           ('A1', 'T@A1', 'e1', 't2', DATE '2024-10-10', 'R', 0, 1),
           ('A1', 'R@A1', 'e1', 't1', DATE '2024-04-10', 'S', 20, 1),
           ('A1', 'R@A1', 'e1', 't2', DATE '2024-10-12', 'R', 10, 1),
           ('A1', 'R@A1', 'e1', 't3', DATE '2025-02-12', 'R', 0, 1);",
    )
    .unwrap();
    f.build("2024-25");
    assert_eq!(f.england("2024-25", "deaths"), 1);
    assert_eq!(f.cell("2024-25", "interventions", ("england", ENGLAND), "Total", "setting", "prison or secure"), 1);
    assert_eq!(f.cell("2024-25", "interventions", ("england", ENGLAND), "Total", "setting", "community"), 2);
    assert_eq!(f.england("2024-25", "top_start_review"), 2);
    assert_eq!(f.england("2024-25", "top_abstinent"), 1);
    assert_eq!(f.england("2024-25", "top_reduced"), 1, "20 -> 10 days; the 10-month review is outside 5-7 months");
}

#[test]
fn rebuilding_a_period_is_idempotent_and_keeps_other_periods() {
    let f = Fixture::new();
    f.add(ep("A1", "P", "e1", "2024-05-01", Some(("2025-05-01", "80"))));
    f.build("2024-25");
    f.build("2025-26");
    let snapshot = |period: &str| {
        f.query_i64("SELECT count(*) * 1000 + coalesce(sum(value), 0) FROM cube WHERE period = ?", &[&period])
    };
    let first = (snapshot("2024-25"), snapshot("2025-26"));
    f.build("2024-25");
    assert_eq!((snapshot("2024-25"), snapshot("2025-26")), first);
    assert!(first.0 > 0 && first.1 > 0);
    // the trend covers April 2024..March 2025; nobody was in treatment in April (absent = 0)
    let months = f.query_i64(
        "SELECT count(DISTINCT month) FROM cube_month WHERE period = '2024-25'
           AND month BETWEEN DATE '2024-05-01' AND DATE '2025-03-01'",
        &[],
    );
    assert_eq!(months, 11);
    let outside = f.query_i64(
        "SELECT count(*) FROM cube_month WHERE period = '2024-25' AND month NOT BETWEEN DATE '2024-05-01' AND DATE '2025-03-01'",
        &[],
    );
    assert_eq!(outside, 0);
    let trend = f.query_i64(
        "SELECT value FROM cube_month WHERE period = '2024-25' AND month = DATE '2024-05-01'
           AND measure = 'new_presentations' AND geography_level = 'england'",
        &[],
    );
    assert_eq!(trend, 1);
}

#[test]
fn linkage_quality_counts_cross_agency_links_and_likely_twins() {
    let f = Fixture::new();
    f.add(ep("A1", "X", "e1", "2024-05-01", None));
    f.add(ep("A2", "X", "e1", "2024-06-01", None));
    // one attributor on two CLIENTIDs at A1, in treatment at the same time: likely twins
    f.add(Ep { client: "twin-1".into(), ..ep("A1", "TW", "e1", "2024-05-01", None) });
    f.add(Ep { client: "twin-2".into(), ..ep("A1", "TW", "e1", "2024-05-03", None) });
    // one attributor on two CLIENTIDs at A2, one after the other: shared, not twins
    f.add(Ep { client: "old".into(), ..ep("A2", "RR", "e1", "2023-05-01", Some(("2023-06-01", "83"))) });
    f.add(Ep { client: "new".into(), ..ep("A2", "RR", "e1", "2024-05-01", None) });
    f.build("2024-25");
    let metric = |agency: &str, m: &str| {
        f.query_i64("SELECT value FROM linkage_quality WHERE agency = ? AND metric = ?", &[&agency, &m])
    };
    assert_eq!(metric("", "people"), 3);
    assert_eq!(metric("", "people_at_several_agencies"), 1);
    assert_eq!(metric("", "shared_attributors"), 2);
    assert_eq!(metric("", "likely_twins"), 1);
    assert_eq!(metric("A1", "likely_twins"), 1);
    assert_eq!(metric("A2", "likely_twins"), 0);
}

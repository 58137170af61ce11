//! One episode's details: referral and triage dates, referral source,
//! injecting status, alcohol units, interventions (by substance group and
//! the agency's setting) and outcome (TOP) records at start, every six
//! months and at a planned exit.

use chrono::{Datelike, NaiveDate, TimeDelta};

use super::agencies::ServiceKind;
use super::model::{is_successful, Intervention, Top};
use super::period::SubmissionMonth;
use super::population::Group;
use super::rng::Rng;

/// `d` moved by `days` (saturating at chrono's range).
pub fn add(d: NaiveDate, days: i64) -> NaiveDate {
    d.checked_add_signed(TimeDelta::days(days)).unwrap_or(d)
}

/// Days from `a` to `b`.
pub fn between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// A triage date 0-7 days after referral, in the referral's calendar month
/// (so that a submission never shows a referral without its triage).
pub fn triage_date(referral: NaiveDate, latest_allowed: NaiveDate, rng: &mut Rng) -> NaiveDate {
    let month_end = SubmissionMonth::new(referral.year(), referral.month())
        .map(|m| m.end())
        .unwrap_or(referral);
    let cap = between(referral, month_end.min(latest_allowed)).max(0);
    add(referral, rng.range(0, 7).min(cap))
}

/// Waiting time from referral to first intervention: 98.5% under 3 weeks.
pub fn waiting_days(rng: &mut Rng) -> i64 {
    let r = rng.unit();
    if r < 0.985 {
        (rng.exponential(5.0) as i64).min(20)
    } else if r < 0.993 {
        rng.range(21, 42)
    } else {
        rng.range(43, 120)
    }
}

/// Referral source of a new presentation (national series 2023/24).
pub fn referral_source(group: Group, rng: &mut Rng) -> u8 {
    if group == Group::YoungPeople {
        return rng.pick(&[
            (1, 10.0),
            (2, 12.0),
            (3, 3.0),
            (4, 30.0),
            (5, 20.0),
            (6, 5.0),
            (7, 20.0),
        ]);
    }
    let cj = if group.is_opiate() { 22.0 } else { 13.0 };
    rng.pick(&[
        (1, 45.0),
        (2, 11.0),
        (3, 9.0),
        (4, 11.0),
        (5, cj),
        (6, 4.2),
        (7, 4.4),
    ])
}

/// Injecting status by group.
pub fn injecting(group: Group, rng: &mut Rng) -> u8 {
    if group.is_opiate() {
        rng.pick(&[(b'C', 10.0), (b'P', 45.0), (b'N', 43.0), (b'Z', 2.0)])
    } else {
        rng.pick(&[(b'C', 0.5), (b'P', 5.0), (b'N', 92.5), (b'Z', 2.0)])
    }
}

/// Alcohol units in the last 28 days (optional field).
pub fn alcohol_units(drugs: &[u16; 3], rng: &mut Rng) -> Option<u16> {
    if drugs.contains(&7000) {
        Some((rng.exponential(600.0) + 120.0).min(9999.0) as u16)
    } else if rng.chance(0.6) {
        Some(rng.range(0, 250) as u16)
    } else {
        None
    }
}

/// The intervention exit status that goes with a discharge reason.
fn exit_status(reason: u8) -> u8 {
    match reason {
        80..=82 => b'A',
        84 => b'C',
        _ => b'B',
    }
}

/// Interventions of an episode whose first intervention starts at `first`.
pub fn interventions(
    kind: ServiceKind,
    group: Group,
    referral: NaiveDate,
    first: NaiveDate,
    discharge: Option<(NaiveDate, u8)>,
    rng: &mut Rng,
) -> Vec<Intervention> {
    let setting = match kind {
        ServiceKind::Community | ServiceKind::YoungPeople => 1,
        ServiceKind::Inpatient => 2,
        ServiceKind::Residential => {
            if rng.chance(0.2) {
                4
            } else {
                5
            }
        }
        ServiceKind::Prison | ServiceKind::SecureYoungPeople => 6,
    };
    // (modal, start offset, planned length in days; None = until discharge)
    let mut plan: Vec<(u8, i64, Option<i64>)> = Vec::with_capacity(4);
    match (kind, group) {
        (ServiceKind::Inpatient, _) => {
            plan.push((94, 0, None));
            plan.push((95, 0, None));
        }
        (ServiceKind::Residential, _) => {
            plan.push((95, 0, None));
            plan.push((96, rng.range(0, 14), None));
        }
        (_, Group::OpiateCrack | Group::OpiateNotCrack) => {
            plan.push((94, 0, None));
            plan.push((95, rng.range(0, 14), Some(rng.range(60, 400))));
            if rng.chance(0.2) {
                plan.push((96, rng.range(60, 400), None));
            }
        }
        (_, Group::AlcoholOnly | Group::NonOpiateAlcohol) => {
            plan.push((95, 0, Some(rng.range(60, 300))));
            if rng.chance(0.25) {
                plan.push((94, rng.range(0, 30), Some(rng.range(7, 28))));
            }
            if rng.chance(0.3) {
                plan.push((96, rng.range(30, 120), None));
            }
        }
        _ => {
            plan.push((95, 0, Some(rng.range(45, 240))));
            if rng.chance(0.25) {
                plan.push((96, rng.range(30, 120), None));
            }
        }
    }
    plan.into_iter()
        .map(|(modal, offset, length)| {
            let mut start = add(first, offset);
            if let Some((d, _)) = discharge {
                start = start.min(d);
            }
            let referred = add(start, -rng.range(0, 7)).max(referral);
            let planned = length.map(|l| add(start, l));
            let (end, exit) = match (planned, discharge) {
                (Some(p), Some((d, _))) if p < d => (Some(p), b'A'),
                (_, Some((d, reason))) => (Some(d), exit_status(reason)),
                (Some(p), None) => (Some(p), b'A'),
                (None, None) => (None, 0),
            };
            let modset = if modal == 94 && setting == 1 && rng.chance(0.12) {
                3
            } else {
                setting
            };
            Intervention {
                modal,
                modset,
                referred,
                start,
                end,
                exit,
            }
        })
        .collect()
}

/// Which TOP day-count fields a group uses (alcohol, opiates, crack, cocaine, amphetamines, cannabis).
fn used_fields(drugs: &[u16; 3]) -> [bool; 6] {
    let mut used = [false; 6];
    for &d in drugs {
        match d {
            7000 => used[0] = true,
            1000 | 1011 | 1105 | 1106 => used[1] = true,
            3201 => used[2] = true,
            3200 => used[3] = true,
            3100 => used[4] = true,
            5000 => used[5] = true,
            _ => {}
        }
    }
    used
}

fn top_record(date: NaiveDate, stage: u8, used: &[bool; 6], progress: f64, rng: &mut Rng) -> Top {
    let mut days = [0u8; 6];
    for (i, u) in used.iter().enumerate() {
        days[i] = if *u {
            if stage != b'S' && rng.chance(progress) {
                0
            } else {
                let base = rng.range(8, 28) as f64;
                (base * (1.0 - progress * rng.unit()))
                    .round()
                    .clamp(0.0, 28.0) as u8
            }
        } else if rng.chance(0.1) {
            rng.range(1, 4) as u8
        } else {
            0
        };
    }
    let qol = (rng.normal(8.0 + 8.0 * progress, 2.5))
        .round()
        .clamp(0.0, 20.0) as u8;
    let housing_problem = rng.chance(if stage == b'S' { 0.1 } else { 0.05 });
    Top {
        date,
        stage,
        days,
        housing_problem,
        quality_of_life: qol,
    }
}

/// TOPs: start, reviews every six months up to `horizon` (the latest five kept), exit at a planned discharge.
pub fn tops(
    drugs: &[u16; 3],
    first: NaiveDate,
    discharge: Option<(NaiveDate, u8)>,
    horizon: NaiveDate,
    rng: &mut Rng,
) -> Vec<Top> {
    let used = used_fields(drugs);
    let mut start = add(first, rng.range(0, 14));
    if let Some((d, _)) = discharge {
        start = start.min(d);
    }
    let mut out = vec![top_record(start, b'S', &used, 0.0, rng)];
    let stop = discharge.map(|(d, _)| d).unwrap_or(horizon).min(horizon);
    let mut reviews = Vec::new();
    let mut date = add(start, rng.range(172, 192));
    let mut progress: f64 = 0.3;
    while date < stop {
        reviews.push(top_record(date, b'R', &used, progress.min(0.8), rng));
        progress += 0.1;
        date = add(date, rng.range(172, 192));
    }
    let keep = reviews.len().saturating_sub(5);
    out.extend(reviews.into_iter().skip(keep));
    if let Some((d, reason)) = discharge {
        let p = if is_successful(reason) { 0.8 } else { 0.2 };
        if d > start && rng.chance(p) {
            let progress = if is_successful(reason) { 0.85 } else { 0.3 };
            out.push(top_record(d, b'E', &used, progress, rng));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn triage_stays_in_the_referral_month() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let t = triage_date(d(2024, 3, 30), d(2030, 1, 1), &mut rng);
            assert!(t >= d(2024, 3, 30) && t <= d(2024, 3, 31));
        }
    }

    #[test]
    fn interventions_lie_inside_the_episode() {
        let mut rng = Rng::new(2);
        for _ in 0..500 {
            let referral = d(2024, 1, 10);
            let first = d(2024, 1, 20);
            let discharge = Some((d(2024, 2, 15), 83));
            for i in interventions(
                ServiceKind::Community,
                Group::OpiateCrack,
                referral,
                first,
                discharge,
                &mut rng,
            ) {
                assert!(i.referred >= referral && i.referred <= i.start);
                assert!(i.start <= d(2024, 2, 15));
                let end = i.end.unwrap();
                assert!(end >= i.start && end <= d(2024, 2, 15));
                assert!(b"ABC".contains(&i.exit));
            }
        }
    }

    #[test]
    fn tops_are_within_range_and_ordered() {
        let mut rng = Rng::new(3);
        let t = tops(
            &[1011, 3201, 0],
            d(2015, 1, 1),
            None,
            d(2025, 3, 31),
            &mut rng,
        );
        assert_eq!(t[0].stage, b'S');
        assert!(t.len() <= 6);
        assert!(t.windows(2).all(|w| w[0].date <= w[1].date));
        assert!(t
            .iter()
            .all(|x| x.days.iter().all(|&v| v <= 28) && x.quality_of_life <= 20));
    }
}

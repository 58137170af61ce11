//! Treatment journeys turned into episodes: a journey starts with a
//! referral to the community service of the person's LA and may move on
//! (transfer 88 to another LA after a move, 89 into prison and back, 88 into
//! residential rehabilitation), may include an inpatient detox alongside the
//! community episode (two agencies at once), and ends with a discharge
//! reason drawn for its substance group; transfers re-engage within 21 days
//! so they stay in one journey.

use chrono::NaiveDate;

use super::agencies::{Directory, ServiceKind};
use super::episodes::{self, add, between};
use super::model::{is_successful, Episode, Person};
use super::population::Group;
use super::rng::Rng;

/// Dates that shape the universe.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// The calibration financial year.
    pub year_start: NaiveDate,
    pub year_end: NaiveDate,
    /// End of the latest submission month: nothing later is ever shown.
    pub horizon: NaiveDate,
    /// Start of the earliest reporting period written.
    pub earliest: NaiveDate,
}

/// What a journey is about and where it starts.
#[derive(Debug, Clone, Copy)]
pub struct JourneySpec {
    pub group: Group,
    pub home: usize,
    pub start: NaiveDate,
    /// Discharge date of the journey (may lie after the horizon).
    pub end: NaiveDate,
    pub reason: u8,
}

/// A stretch of a journey at one agency.
struct Segment {
    agency: usize,
    la: usize,
    start: NaiveDate,
    end: NaiveDate,
    reason: u8,
    source: Option<u8>,
}

/// Exit reason of a journey by group (national series 2023/24 shape; calibrated so that the
/// built measures give successful completions about 47% of adult exits).
pub fn exit_reason(group: Group, rng: &mut Rng) -> u8 {
    let success = match group {
        Group::OpiateCrack => 0.22,
        Group::OpiateNotCrack => 0.28,
        Group::NonOpiateOnly => 0.59,
        Group::NonOpiateAlcohol => 0.54,
        Group::AlcoholOnly => 0.59,
        Group::YoungPeople => 0.78,
    };
    if rng.chance(success) {
        return match group {
            Group::AlcoholOnly => 81,
            Group::NonOpiateAlcohol => rng.pick(&[(80, 0.5), (81, 0.3), (82, 0.2)]),
            Group::NonOpiateOnly | Group::YoungPeople => rng.pick(&[(80, 0.7), (82, 0.3)]),
            _ => 80,
        };
    }
    let died = if group.is_opiate() {
        8.0
    } else if group == Group::AlcoholOnly {
        5.5
    } else {
        1.5
    };
    rng.pick(&[
        (83, 67.0),
        (84, 0.5),
        (85, 1.3),
        (86, 3.6),
        (87, died),
        (88, 10.0),
        (89, 7.0),
    ])
}

/// The community agency a person of `la` goes to.
pub fn community_agency(dir: &Directory, la: usize, group: Group, rng: &mut Rng) -> usize {
    let options = &dir.community[la];
    if options.len() > 1 && group != Group::YoungPeople && rng.chance(0.35) {
        options[1]
    } else {
        options[0]
    }
}

fn postcode(rng: &mut Rng) -> (u8, u8) {
    (rng.range(1, 30) as u8, rng.range(0, 9) as u8)
}

/// Where a mover goes: 60% within the region.
fn new_home(dir: &Directory, home: usize, weights: &[f64], rng: &mut Rng) -> usize {
    loop {
        let la = rng.weighted(weights);
        if la != home && (dir.las[la].region == dir.las[home].region || rng.chance(0.4)) {
            return la;
        }
    }
}

/// Builds the episodes of one journey for `person`, appending to `out`.
#[allow(clippy::too_many_arguments)]
pub fn journey(
    dir: &Directory,
    cal: &Calendar,
    weights: &[f64],
    person: Person,
    spec: JourneySpec,
    drugs: [u16; 3],
    rng: &mut Rng,
    out: &mut Vec<Episode>,
) {
    let first_start = add(spec.start, episodes::waiting_days(rng));
    let end = spec.end.max(add(first_start, 7));
    let span = between(first_start, end);
    let main = community_agency(dir, spec.home, spec.group, rng);
    let mut segments: Vec<Segment> = Vec::with_capacity(3);
    let mut current = Segment {
        agency: main,
        la: spec.home,
        start: spec.start,
        end,
        reason: spec.reason,
        source: None,
    };
    let r = rng.unit();
    let (p_move, p_custody) = if spec.group.is_opiate() {
        (0.05, 0.06)
    } else {
        (0.04, 0.02)
    };
    if span > 150 && r < p_move {
        let t = add(first_start, rng.range(30, span - 60));
        let la = new_home(dir, spec.home, weights, rng);
        segments.push(Segment {
            end: t,
            reason: 88,
            ..current
        });
        let agency = community_agency(dir, la, spec.group, rng);
        current = Segment {
            agency,
            la,
            start: add(t, rng.range(0, 7)),
            end,
            reason: spec.reason,
            source: Some(6),
        };
    } else if span > 150 && r < p_move + p_custody {
        let t = add(first_start, rng.range(30, span - 60));
        segments.push(Segment {
            end: t,
            reason: 89,
            ..current
        });
        let prisons = &dir.prisons_by_region[dir.las[current.la].region];
        let prison = prisons[rng.below(prisons.len())];
        let release = add(t, rng.range(30, 270));
        let in_prison = add(t, rng.range(0, 3));
        if release >= add(end, -30) {
            current = Segment {
                agency: prison,
                la: current.la,
                start: in_prison,
                end,
                reason: spec.reason,
                source: Some(5),
            };
        } else {
            segments.push(Segment {
                agency: prison,
                la: current.la,
                start: in_prison,
                end: release,
                reason: 88,
                source: Some(5),
            });
            current = Segment {
                start: add(release, rng.range(0, 7)),
                source: Some(5),
                ..current
            };
        }
    } else if span > 150
        && is_successful(spec.reason)
        && end <= cal.horizon
        && matches!(
            spec.group,
            Group::AlcoholOnly | Group::OpiateNotCrack | Group::OpiateCrack
        )
        && rng.chance(0.06)
    {
        let t = add(end, -rng.range(60, 120));
        segments.push(Segment {
            end: t,
            reason: 88,
            ..current
        });
        let rehab = dir.residential[rng.below(dir.residential.len())];
        current = Segment {
            agency: rehab,
            la: current.la,
            start: add(t, rng.range(0, 7)),
            end,
            reason: spec.reason,
            source: Some(6),
        };
    }
    segments.push(current);

    let injecting = episodes::injecting(spec.group, rng);
    let units = episodes::alcohol_units(&drugs, rng);
    let mut pc = postcode(rng);
    let mut last_la = spec.home;
    let first_source = episodes::referral_source(spec.group, rng);
    for (k, seg) in segments.iter().enumerate() {
        if seg.start > cal.horizon {
            break;
        }
        if seg.la != last_la {
            pc = postcode(rng);
            last_la = seg.la;
        }
        let first = if k == 0 {
            first_start
        } else {
            add(seg.start, rng.range(0, 7))
        };
        let seg_end = seg.end.max(add(first, 1));
        let kind = dir.agencies[seg.agency].kind;
        let discharge = Some((seg_end, seg.reason));
        let episode = Episode {
            person,
            agency: seg.agency as u32,
            alt_client: false,
            number: out.len() as u16 + 1,
            la: seg.la as u16,
            postcode: pc,
            referral: seg.start,
            triage: episodes::triage_date(seg.start, first, rng),
            referral_source: seg.source.unwrap_or(first_source),
            drugs,
            injecting,
            alcohol_units: units,
            discharge: Some(seg_end),
            discharge_reason: seg.reason,
            interventions: episodes::interventions(
                kind, spec.group, seg.start, first, discharge, rng,
            ),
            tops: episodes::tops(&drugs, first, discharge, cal.horizon, rng),
        };
        let long_enough = between(first, seg_end) > 75;
        out.push(episode);
        if kind == ServiceKind::Community && long_enough {
            nested_inpatient(dir, cal, spec.group, seg, first, rng, out);
        }
    }
}

/// An inpatient detox alongside a community episode (seen at two agencies at once).
fn nested_inpatient(
    dir: &Directory,
    cal: &Calendar,
    group: Group,
    seg: &Segment,
    first: NaiveDate,
    rng: &mut Rng,
    out: &mut Vec<Episode>,
) {
    let p = match group {
        Group::OpiateCrack | Group::OpiateNotCrack => 0.04,
        Group::AlcoholOnly => 0.06,
        Group::NonOpiateAlcohol => 0.02,
        _ => 0.0,
    };
    if !rng.chance(p) {
        return;
    }
    let room = between(first, seg.end) - 45;
    let start = add(first, rng.range(14, room.max(15)));
    if start > cal.horizon {
        return;
    }
    let end = add(start, rng.range(7, 28));
    let reason = if rng.chance(0.8) {
        if group == Group::AlcoholOnly {
            81
        } else {
            80
        }
    } else {
        83
    };
    let Some(community) = out.last() else { return };
    let inpatient = &dir.inpatient_by_region[dir.las[seg.la].region];
    let agency = inpatient[rng.below(inpatient.len())];
    let first_in = add(start, rng.range(0, 3));
    let discharge = Some((end, reason));
    let episode = Episode {
        person: community.person,
        agency: agency as u32,
        alt_client: false,
        number: out.len() as u16 + 1,
        la: community.la,
        postcode: community.postcode,
        referral: start,
        triage: episodes::triage_date(start, first_in, rng),
        referral_source: 6,
        drugs: community.drugs,
        injecting: community.injecting,
        alcohol_units: community.alcohol_units,
        discharge: Some(end),
        discharge_reason: reason,
        interventions: episodes::interventions(
            ServiceKind::Inpatient,
            group,
            start,
            first_in,
            discharge,
            rng,
        ),
        tops: episodes::tops(&community.drugs, first_in, discharge, cal.horizon, rng),
    };
    out.push(episode);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::Geography;
    use crate::synth::population::{self, ClientFaultRates};

    #[test]
    fn transfers_rejoin_within_21_days_and_episodes_are_consistent() {
        let geo = Geography::embedded();
        let dir = Directory::build(&geo, 1);
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let cal = Calendar {
            year_start: d(2024, 4, 1),
            year_end: d(2025, 3, 31),
            horizon: d(2025, 3, 31),
            earliest: d(2024, 1, 1),
        };
        let weights = dir.residence_weights();
        let mut rng = Rng::new(9);
        let mut transfers = 0;
        for uid in 0..3000 {
            let group = Group::OpiateCrack;
            let p = population::person(
                uid,
                group,
                40,
                d(2023, 1, 1),
                false,
                ClientFaultRates::at(0.0),
                &mut rng,
            );
            let spec = JourneySpec {
                group,
                home: 10,
                start: d(2023, 1, 1),
                end: d(2025, 1, 1),
                reason: 83,
            };
            let mut out = Vec::new();
            journey(
                &dir,
                &cal,
                &weights,
                p,
                spec,
                [1011, 3201, 0],
                &mut rng,
                &mut out,
            );
            for w in out.windows(2) {
                if matches!(w[0].discharge_reason, 88 | 89) {
                    transfers += 1;
                    let gap = between(
                        w[0].discharge.unwrap(),
                        w[1].interventions[0].start.min(w[1].referral),
                    );
                    assert!(gap <= 21, "gap {gap}");
                }
            }
            for e in &out {
                assert!(e.triage >= e.referral && e.discharge.unwrap() >= e.referral);
                assert!(!e.interventions.is_empty());
            }
        }
        assert!(transfers > 50, "{transfers} transfers");
    }
}

//! Who is in the universe. `--people` adults are in treatment during the
//! calibration financial year (about a quarter of opiate clients and 70% of
//! the others presenting in the year, the rest continuing, long-term opiate
//! clients from years back); more people finish just before the year
//! (they appear in reporting periods that start in January), present after
//! it (when the latest month is later), are young people (about 10,000 per
//! 310,000 adults) or are seen only in prison. Each slot has its own random
//! stream, so slots can be generated in parallel.

use super::agencies::Directory;
use super::episodes::{add, between};
use super::journeys::{self, exit_reason, Calendar, JourneySpec};
use super::model::{Episode, Person};
use super::population::{self, ClientFaultRates, Group};
use super::rng::Rng;

/// The kinds of slot, in slot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    InYear,
    BeforeYear,
    AfterYear,
    YoungPeople,
    PrisonOnly,
}

/// How many slots of each cohort.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub counts: [usize; 5],
}

const COHORTS: [Cohort; 5] = [
    Cohort::InYear,
    Cohort::BeforeYear,
    Cohort::AfterYear,
    Cohort::YoungPeople,
    Cohort::PrisonOnly,
];

impl Plan {
    /// Cohort sizes for `people` adults in treatment in the calibration year.
    pub fn new(people: usize, cal: &Calendar) -> Plan {
        let months_before = (between(cal.earliest, cal.year_start).max(0) as f64) / 30.44;
        let months_after = (between(cal.year_end, cal.horizon).max(0) as f64) / 30.44;
        let p = people as f64;
        Plan {
            // About 1% of them are seen only as referrals or in prison in the year: top up.
            counts: [
                (p * 1.01).round() as usize,
                (p * 0.037 * months_before).round() as usize,
                (p * 0.043 * months_after).round() as usize,
                (p * 10.0 / 310.0).round() as usize,
                (p * 0.08).round() as usize,
            ],
        }
    }

    /// Total number of slots.
    pub fn slots(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The cohort of a slot.
    pub fn cohort(&self, slot: usize) -> Cohort {
        let mut rest = slot;
        for (k, c) in self.counts.iter().enumerate() {
            if rest < *c {
                return COHORTS[k];
            }
            rest -= c;
        }
        Cohort::PrisonOnly
    }
}

/// Shared inputs of slot generation.
pub struct World<'a> {
    pub dir: &'a Directory,
    pub cal: Calendar,
    pub weights: Vec<f64>,
    pub rates: ClientFaultRates,
    pub seed: u64,
    pub london_region: Option<usize>,
}

/// A date uniformly between `a` and `b` inclusive.
pub(super) fn uniform_date(
    a: chrono::NaiveDate,
    b: chrono::NaiveDate,
    rng: &mut Rng,
) -> chrono::NaiveDate {
    add(a, rng.range(0, between(a, b).max(0)))
}

/// Journey length in days for a group (new journeys) or the remaining length (continuing ones).
pub(super) fn duration(group: Group, rng: &mut Rng) -> i64 {
    match group {
        Group::OpiateCrack | Group::OpiateNotCrack => {
            if rng.chance(0.4) {
                14 + rng.exponential(150.0) as i64
            } else {
                14 + rng.exponential(1460.0) as i64
            }
        }
        Group::YoungPeople => 21 + rng.exponential(150.0) as i64,
        _ => 21 + rng.exponential(215.0) as i64,
    }
}

/// Days before the calibration year that a continuing journey started.
fn continuing_lag(group: Group, rng: &mut Rng) -> i64 {
    if group.is_opiate() {
        let years = rng.pick(&[
            ((0.0, 1.0), 25.0),
            ((1.0, 2.0), 20.0),
            ((2.0, 4.0), 17.0),
            ((4.0, 6.0), 12.0),
            ((6.0, 15.0), 26.0),
        ]);
        ((years.0 + (years.1 - years.0) * rng.unit()) * 365.25) as i64 + 1
    } else {
        rng.range(1, 365)
    }
}

impl World<'_> {
    /// A person of `group` whose age fits a journey starting on `start`.
    pub(super) fn person(
        &self,
        uid: u32,
        group: Group,
        start: chrono::NaiveDate,
        home: usize,
        rng: &mut Rng,
    ) -> Person {
        let age = population::age_at_start(group, rng);
        let london = Some(self.dir.las[home].region) == self.london_region;
        population::person(uid, group, age, start, london, self.rates, rng)
    }

    /// All episodes of one slot (one person, or two for twins).
    pub fn slot(&self, plan: &Plan, slot: usize) -> Vec<Episode> {
        let mut rng = Rng::derive(self.seed, 0x5107, slot as u64);
        let cal = &self.cal;
        let cohort = plan.cohort(slot);
        let home = rng.weighted(&self.weights);
        let uid = (slot * 2) as u32;
        let mut out = Vec::with_capacity(3);
        match cohort {
            Cohort::InYear => {
                let group = population::adult_group(&mut rng);
                let new = rng.chance(if group.is_opiate() { 0.25 } else { 0.67 });
                let (start, end) = if new {
                    let s = uniform_date(cal.year_start, cal.year_end, &mut rng);
                    (s, add(s, duration(group, &mut rng)))
                } else {
                    let s = add(cal.year_start, -continuing_lag(group, &mut rng));
                    let residual = if group.is_opiate() {
                        rng.exponential(1460.0)
                    } else {
                        rng.exponential(215.0)
                    };
                    (s, add(cal.year_start, residual as i64))
                };
                let person = self.person(uid, group, start, home, &mut rng);
                self.adult_journeys(person, group, home, start, end, &mut rng, &mut out);
                if rng.chance(0.0015) {
                    let twin = Person {
                        uid: uid + 1,
                        ..person
                    };
                    let start = uniform_date(add(cal.year_start, -200), cal.year_end, &mut rng);
                    let end = add(start, duration(group, &mut rng));
                    let mut twin_eps = Vec::new();
                    self.adult_journeys(twin, group, home, start, end, &mut rng, &mut twin_eps);
                    out.extend(twin_eps);
                }
            }
            Cohort::BeforeYear => {
                let group = population::adult_group(&mut rng);
                let end = uniform_date(cal.earliest, add(cal.year_start, -1), &mut rng);
                let start = add(end, -duration(group, &mut rng));
                let person = self.person(uid, group, start, home, &mut rng);
                let reason = exit_reason(group, &mut rng);
                let spec = JourneySpec {
                    group,
                    home,
                    start,
                    end,
                    reason,
                };
                let drugs = population::drugs(group, &mut rng);
                journeys::journey(
                    self.dir,
                    cal,
                    &self.weights,
                    person,
                    spec,
                    drugs,
                    &mut rng,
                    &mut out,
                );
            }
            Cohort::AfterYear => {
                let group = population::adult_group(&mut rng);
                let start = uniform_date(add(cal.year_end, 1), cal.horizon, &mut rng);
                let end = add(start, duration(group, &mut rng));
                let person = self.person(uid, group, start, home, &mut rng);
                self.adult_journeys(person, group, home, start, end, &mut rng, &mut out);
            }
            Cohort::YoungPeople => self.young_person(uid, home, &mut rng, &mut out),
            Cohort::PrisonOnly => self.prison_only(uid, home, &mut rng, &mut out),
        }
        self.share_client_ids(&mut out, &mut rng);
        out
    }

    /// A journey and possibly one re-presentation (a new journey more than 21 days later).
    #[allow(clippy::too_many_arguments)]
    fn adult_journeys(
        &self,
        person: Person,
        group: Group,
        home: usize,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
        rng: &mut Rng,
        out: &mut Vec<Episode>,
    ) {
        let reason = exit_reason(group, rng);
        let drugs = population::drugs(group, rng);
        let spec = JourneySpec {
            group,
            home,
            start,
            end,
            reason,
        };
        journeys::journey(
            self.dir,
            &self.cal,
            &self.weights,
            person,
            spec,
            drugs,
            rng,
            out,
        );
        let Some(last_end) = out.iter().filter_map(|e| e.discharge).max() else {
            return;
        };
        let p = match reason {
            83 | 84 | 86 => 0.25,
            80..=82 => 0.10,
            88 => 0.15,
            _ => 0.0,
        };
        if last_end < self.cal.horizon && rng.chance(p) {
            let again = add(last_end, 22 + rng.exponential(120.0) as i64);
            if again <= self.cal.horizon {
                let end = add(again, duration(group, rng));
                let reason = exit_reason(group, rng);
                let spec = JourneySpec {
                    group,
                    home,
                    start: again,
                    end,
                    reason,
                };
                journeys::journey(
                    self.dir,
                    &self.cal,
                    &self.weights,
                    person,
                    spec,
                    drugs,
                    rng,
                    out,
                );
            }
        }
    }

    /// When a person has two episodes at one agency, the later one sometimes
    /// carries a second CLIENTID (one attributor, two client ids).
    fn share_client_ids(&self, out: &mut [Episode], rng: &mut Rng) {
        for i in 1..out.len() {
            let same_agency = out[..i]
                .iter()
                .any(|e| e.agency == out[i].agency && e.person.uid == out[i].person.uid);
            if same_agency && rng.chance(0.1) {
                out[i].alt_client = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn plan_orders_cohorts_and_scales_with_people() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let cal = Calendar {
            year_start: d(2024, 4, 1),
            year_end: d(2025, 3, 31),
            horizon: d(2025, 3, 31),
            earliest: d(2024, 1, 1),
        };
        let plan = Plan::new(31_000, &cal);
        assert_eq!(plan.counts[0], 31_310);
        assert_eq!(plan.counts[2], 0);
        assert_eq!(plan.counts[3], 1_000);
        assert_eq!(plan.cohort(0), Cohort::InYear);
        assert_eq!(plan.cohort(31_310), Cohort::BeforeYear);
        assert_eq!(plan.cohort(plan.slots() - 1), Cohort::PrisonOnly);
    }
}

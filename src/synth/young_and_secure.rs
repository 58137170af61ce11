//! Slots of young people (at the young people's service of their LA, 3% in
//! a secure setting; mostly cannabis, single-episode journeys) and of adults
//! seen only in prison (secure-adult, not counted with community adults).

use super::cohorts::{duration, uniform_date, World};
use super::episodes::{add, between};
use super::journeys::{self, exit_reason, JourneySpec};
use super::model::Episode;
use super::population::{self, Group};
use super::rng::Rng;

impl World<'_> {
    /// A young person's single episode at their LA's young people's service
    /// (or a secure setting), three quarters presenting in the calibration year.
    pub(super) fn young_person(
        &self,
        uid: u32,
        home: usize,
        rng: &mut Rng,
        out: &mut Vec<Episode>,
    ) {
        let cal = &self.cal;
        let group = Group::YoungPeople;
        let start = if rng.chance(0.75) {
            uniform_date(cal.year_start, cal.year_end, rng)
        } else {
            add(cal.year_start, -rng.range(1, 300))
        };
        let end = add(start, duration(group, rng));
        let person = self.person(uid, group, start, home, rng);
        let agency = if rng.chance(0.03) {
            self.dir.secure_yp[rng.below(self.dir.secure_yp.len())]
        } else {
            self.dir.young_people[home]
        };
        let reason = match exit_reason(group, rng) {
            85 | 89 => 83,
            r => r,
        };
        let spec = JourneySpec {
            group,
            home,
            start,
            end,
            reason,
        };
        let drugs = population::drugs(group, rng);
        let mut eps = Vec::new();
        journeys::journey(
            self.dir,
            cal,
            &self.weights,
            person,
            spec,
            drugs,
            rng,
            &mut eps,
        );
        // Young people stay at one service: keep the first episode, at the YP agency.
        if let Some(mut first) = eps.into_iter().next() {
            let kind = self.dir.agencies[agency].kind;
            let first_start = first
                .interventions
                .first()
                .map(|i| i.start)
                .unwrap_or(first.referral);
            let end = add(
                first.referral,
                between(first.referral, end).max(between(first.referral, first_start) + 7),
            );
            let discharge = Some((end, reason));
            first.agency = agency as u32;
            first.discharge = Some(end);
            first.discharge_reason = reason;
            first.interventions = super::episodes::interventions(
                kind,
                group,
                first.referral,
                first_start,
                discharge,
                rng,
            );
            first.tops = super::episodes::tops(&drugs, first_start, discharge, cal.horizon, rng);
            out.push(first);
        }
    }

    /// An adult whose only episode in the period is in a prison of their region.
    pub(super) fn prison_only(&self, uid: u32, home: usize, rng: &mut Rng, out: &mut Vec<Episode>) {
        let cal = &self.cal;
        let group = rng.pick(&[
            (Group::OpiateCrack, 0.3),
            (Group::OpiateNotCrack, 0.2),
            (Group::NonOpiateOnly, 0.3),
            (Group::AlcoholOnly, 0.2),
        ]);
        let start = uniform_date(add(cal.year_start, -120), cal.year_end, rng);
        let end = add(start, 30 + rng.exponential(150.0) as i64);
        let person = self.person(uid, group, start, home, rng);
        let prisons = &self.dir.prisons_by_region[self.dir.las[home].region];
        let agency = prisons[rng.below(prisons.len())];
        let reason = rng.pick(&[
            (88, 45.0),
            (80, 20.0),
            (83, 12.0),
            (85, 8.0),
            (86, 5.0),
            (84, 1.0),
            (87, 0.5),
        ]);
        let first = add(start, rng.range(0, 5));
        let discharge = Some((end.max(add(first, 1)), reason));
        let drugs = population::drugs(group, rng);
        let kind = self.dir.agencies[agency].kind;
        out.push(Episode {
            person,
            agency: agency as u32,
            alt_client: false,
            number: 1,
            la: home as u16,
            postcode: (rng.range(1, 30) as u8, rng.range(0, 9) as u8),
            referral: start,
            triage: super::episodes::triage_date(start, first, rng),
            referral_source: 5,
            drugs,
            injecting: super::episodes::injecting(group, rng),
            alcohol_units: super::episodes::alcohol_units(&drugs, rng),
            discharge: discharge.map(|d| d.0),
            discharge_reason: reason,
            interventions: super::episodes::interventions(
                kind, group, start, first, discharge, rng,
            ),
            tops: super::episodes::tops(&drugs, first, discharge, cal.horizon, rng),
        });
    }
}

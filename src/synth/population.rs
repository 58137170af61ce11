//! People: substance profile, sex, age, ethnicity, initials and client-level
//! irregularities, calibrated on the national series for 2023/24 (44%
//! opiate, about half of them with crack; 30% alcohol only; about two thirds
//! male; 87% White, 4% Asian, 3% Black, 3% Mixed, 1% Other, 2% not stated).

use chrono::{Days, NaiveDate};

use super::model::{ClientFlags, Person};
use super::rng::Rng;

/// The substance group a journey is generated for (statistics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    OpiateCrack,
    OpiateNotCrack,
    NonOpiateOnly,
    NonOpiateAlcohol,
    AlcoholOnly,
    /// Young people: mostly cannabis, some alcohol.
    YoungPeople,
}

impl Group {
    /// Whether the group is one of the opiate groups.
    pub fn is_opiate(self) -> bool {
        matches!(self, Group::OpiateCrack | Group::OpiateNotCrack)
    }
}

/// Adult substance groups among people in treatment.
const ADULT_GROUPS: &[(Group, f64)] = &[
    (Group::OpiateCrack, 0.230),
    (Group::OpiateNotCrack, 0.214),
    (Group::NonOpiateOnly, 0.11),
    (Group::NonOpiateAlcohol, 0.146),
    (Group::AlcoholOnly, 0.30),
];

/// Chooses an adult substance group.
pub fn adult_group(rng: &mut Rng) -> Group {
    rng.pick(ADULT_GROUPS)
}

const OPIATES: &[(u16, f64)] = &[(1011, 80.0), (1000, 8.0), (1105, 8.0), (1106, 4.0)];
const NON_OPIATES: &[(u16, f64)] = &[
    (5000, 36.0),
    (3200, 32.0),
    (3201, 10.0),
    (3100, 6.0),
    (2200, 5.0),
    (3406, 2.0),
    (8500, 3.0),
    (8799, 6.0),
];

/// DRUG1-3 for a group.
pub fn drugs(group: Group, rng: &mut Rng) -> [u16; 3] {
    let other = |rng: &mut Rng, not: u16| loop {
        let d = rng.pick(NON_OPIATES);
        if d != not && d != 3201 {
            return d;
        }
    };
    match group {
        Group::OpiateCrack => {
            let third = if rng.chance(0.25) {
                7000
            } else if rng.chance(0.2) {
                2200
            } else {
                0
            };
            [rng.pick(OPIATES), 3201, third]
        }
        Group::OpiateNotCrack => {
            let second = if rng.chance(0.2) {
                7000
            } else if rng.chance(0.15) {
                other(rng, 0)
            } else {
                0
            };
            [rng.pick(OPIATES), second, 0]
        }
        Group::NonOpiateOnly => {
            let first = rng.pick(NON_OPIATES);
            let second = if rng.chance(0.3) {
                other(rng, first)
            } else {
                0
            };
            [first, second, 0]
        }
        Group::NonOpiateAlcohol => {
            let drug = rng.pick(NON_OPIATES);
            if rng.chance(0.5) {
                [7000, drug, 0]
            } else {
                [drug, 7000, 0]
            }
        }
        Group::AlcoholOnly => [7000, 0, 0],
        Group::YoungPeople => {
            let r = rng.unit();
            if r < 0.85 {
                [5000, if rng.chance(0.4) { 7000 } else { 0 }, 0]
            } else if r < 0.95 {
                [7000, 0, 0]
            } else {
                [[3200, 3406, 8500][rng.below(3)], 5000, 0]
            }
        }
    }
}

/// Age at the start of a journey.
pub fn age_at_start(group: Group, rng: &mut Rng) -> i64 {
    let (mu, sd, lo, hi) = match group {
        Group::OpiateCrack | Group::OpiateNotCrack => (43.0, 8.5, 19.0, 75.0),
        Group::NonOpiateOnly => (31.0, 9.0, 18.0, 70.0),
        Group::NonOpiateAlcohol => (36.0, 10.0, 18.0, 75.0),
        Group::AlcoholOnly => (47.0, 11.0, 18.0, 88.0),
        Group::YoungPeople => (15.5, 1.2, 12.0, 17.0),
    };
    rng.normal(mu, sd).clamp(lo, hi).floor() as i64
}

/// Share of men by group.
pub fn male_share(group: Group) -> f64 {
    match group {
        Group::OpiateCrack | Group::OpiateNotCrack => 0.73,
        Group::NonOpiateOnly => 0.72,
        Group::NonOpiateAlcohol => 0.70,
        Group::AlcoholOnly => 0.58,
        Group::YoungPeople => 0.64,
    }
}

const ETHNICITY: &[(u8, f64)] = &[
    (b'A', 79.0),
    (b'B', 1.6),
    (b'C', 6.8),
    (b'D', 0.94),
    (b'E', 0.34),
    (b'F', 0.42),
    (b'G', 0.51),
    (b'H', 0.94),
    (b'J', 1.44),
    (b'K', 0.42),
    (b'L', 0.51),
    (b'M', 1.1),
    (b'N', 0.85),
    (b'P', 0.51),
    (b'R', 0.09),
    (b'S', 0.77),
    (b'Z', 2.4),
];

/// ONS 2001 ethnicity; London residents are more often from minority groups.
pub fn ethnicity(london: bool, rng: &mut Rng) -> u8 {
    if london && rng.chance(0.12) {
        let minority = &ETHNICITY[3..16];
        return rng.pick(minority);
    }
    rng.pick(ETHNICITY)
}

const FIRST_INITIALS: &[f64] = &[
    // A     B    C    D    E    F    G    H    I    J     K    L    M    N    O    P    Q    R    S    T    U    V    W    X    Y    Z
    8.0, 3.5, 6.5, 7.5, 3.0, 1.5, 3.0, 2.5, 1.0, 11.0, 4.5, 5.0, 9.0, 3.0, 1.0, 5.0, 0.1, 5.5, 7.0,
    4.0, 0.2, 1.0, 2.5, 0.02, 0.3, 0.5,
];
const SURNAME_INITIALS: &[f64] = &[
    3.5, 9.5, 7.5, 4.5, 2.0, 3.5, 5.0, 8.0, 0.5, 3.0, 3.0, 4.5, 8.0, 2.0, 1.5, 6.0, 0.2, 5.0, 9.0,
    4.5, 0.3, 1.0, 7.0, 0.02, 0.6, 0.2,
];

fn initial(weights: &[f64], rng: &mut Rng) -> u8 {
    b'A' + rng.weighted(weights) as u8
}

/// Rates of client-level irregularities at a given fault rate (scaled from the 1% default).
#[derive(Debug, Clone, Copy)]
pub struct ClientFaultRates {
    pub consent_withheld: f64,
    pub withdraws_consent: f64,
    pub placeholder: f64,
    pub incomplete: f64,
}

impl ClientFaultRates {
    /// 0.5% withheld consent, 0.05% withdrawals, 0.3% placeholders and 0.1% incomplete at 1%.
    pub fn at(fault_rate: f64) -> ClientFaultRates {
        let s = (fault_rate / 0.01).max(0.0);
        ClientFaultRates {
            consent_withheld: (0.005 * s).min(0.2),
            withdraws_consent: (0.0005 * s).min(0.05),
            placeholder: (0.003 * s).min(0.1),
            incomplete: (0.001 * s).min(0.1),
        }
    }
}

/// A new person who is `age` years old on `on`.
pub fn person(
    uid: u32,
    group: Group,
    age: i64,
    on: NaiveDate,
    london: bool,
    rates: ClientFaultRates,
    rng: &mut Rng,
) -> Person {
    let years_back = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&on) - age as i32,
        chrono::Datelike::month(&on),
        chrono::Datelike::day(&on).min(28),
    )
    .unwrap_or(on);
    let dob = years_back
        .checked_sub_days(Days::new(rng.range(1, 330) as u64))
        .unwrap_or(years_back);
    let sex = if rng.chance(0.002) {
        b'9'
    } else if rng.chance(male_share(group)) {
        b'1'
    } else {
        b'2'
    };
    let mut flags = ClientFlags::default();
    if rng.chance(rates.consent_withheld) {
        flags.consent_withheld = true;
        flags.stray_values = rng.chance(0.3);
    } else if rng.chance(rates.withdraws_consent) {
        flags.withdraws_consent = true;
    } else if group != Group::YoungPeople && rng.chance(rates.placeholder) {
        flags.placeholder = true;
    } else if rng.chance(rates.incomplete) {
        flags.incomplete = Some(rng.below(4) as u8);
    }
    Person {
        uid,
        finitial: initial(FIRST_INITIALS, rng),
        sinitial: initial(SURNAME_INITIALS, rng),
        dob,
        sex,
        ethnic: ethnicity(london, rng),
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::period::age_on;

    #[test]
    fn person_has_the_requested_age_and_valid_codes() {
        let mut rng = Rng::new(3);
        let on = NaiveDate::from_ymd_opt(2024, 7, 31).unwrap();
        for uid in 0..2000 {
            let group = adult_group(&mut rng);
            let age = age_at_start(group, &mut rng);
            let p = person(
                uid,
                group,
                age,
                on,
                false,
                ClientFaultRates::at(0.0),
                &mut rng,
            );
            assert_eq!(age_on(p.dob, on) as i64, age);
            assert!(p.finitial.is_ascii_uppercase() && p.sinitial.is_ascii_uppercase());
            assert!(b"ABCDEFGHJKLMNPRSZ".contains(&p.ethnic));
            assert_eq!(p.flags, ClientFlags::default());
        }
    }

    #[test]
    fn groups_have_matching_drugs() {
        let mut rng = Rng::new(4);
        for _ in 0..500 {
            let d = drugs(Group::OpiateCrack, &mut rng);
            assert!(crate::synth::model::is_opiate(d[0]) && d.contains(&3201));
            let d = drugs(Group::AlcoholOnly, &mut rng);
            assert_eq!(d, [7000, 0, 0]);
            let d = drugs(Group::NonOpiateOnly, &mut rng);
            assert!(!d
                .iter()
                .any(|&x| x == 7000 || crate::synth::model::is_opiate(x)));
            let d = drugs(Group::NonOpiateAlcohol, &mut rng);
            assert!(d.contains(&7000) && d.iter().any(|&x| x != 7000 && x != 0));
        }
    }
}

//! Deliberate faults, so that the loader's validation can be tested: every
//! row error and warning of extract-format.md, disagreeing episode fields,
//! and the client-level irregularities (withheld or withdrawn consent,
//! placeholder and incomplete attributors). Episode and client fields are
//! changed on every row of the episode so that each fault is exactly the
//! one intended; intervention and TOP faults touch one row.

use chrono::NaiveDate;

use super::episodes::add;
use super::rng::Rng;
use super::rows::{f, Cell, Row};

pub use super::fault_kind::{FaultKind, ALL};

/// The episode-level kinds drawn at the row fault rate (client-level kinds are decided per person).
const EPISODE_KINDS: &[FaultKind] = ALL.split_at(22).0;

/// What the injector needs to know about the episode being faulted.
pub struct EpisodeContext {
    pub referral: NaiveDate,
    pub triage: NaiveDate,
    pub month_end: NaiveDate,
    pub closed: bool,
    pub young_people_agency: bool,
}

fn set_all(rows: &mut [Row], field: usize, value: Cell) {
    for r in rows.iter_mut() {
        r[field] = value;
    }
}

fn applicable(kind: FaultKind, rows: &[Row], ctx: &EpisodeContext) -> bool {
    let has = |field: usize| rows.iter().any(|r| !r[field].is_empty());
    match kind {
        FaultKind::DobAfterReferral => ctx.referral < ctx.month_end,
        FaultKind::DischargeBeforeReferral | FaultKind::DischargeWithoutReason => ctx.closed,
        FaultKind::ClosedWithoutIntervention => ctx.closed && has(f::MODID),
        FaultKind::ReasonWithoutDischarge => !ctx.closed,
        FaultKind::InterventionEndBeforeStart => has(f::MODST),
        FaultKind::TopDaysOutOfRange => has(f::TOPID),
        FaultKind::DateAfterMonthEnd => {
            has(f::TOPID)
                || rows
                    .iter()
                    .any(|r| !r[f::MODST].is_empty() && r[f::MODEND].is_empty())
        }
        FaultKind::EpisodeFieldsDisagree => rows.len() >= 2,
        FaultKind::UnderageAtAdultAgency => !ctx.young_people_agency,
        FaultKind::AdultAtYoungPeopleAgency => ctx.young_people_agency,
        _ => true,
    }
}

/// Picks an applicable episode-level fault and applies it; returns the kind and the rows affected.
pub fn inject(
    rows: &mut Vec<Row>,
    ctx: &EpisodeContext,
    rng: &mut Rng,
) -> Option<(FaultKind, u64)> {
    let options: Vec<FaultKind> = EPISODE_KINDS
        .iter()
        .copied()
        .filter(|k| applicable(*k, rows, ctx))
        .collect();
    if options.is_empty() {
        return None;
    }
    let kind = options[rng.below(options.len())];
    let n = rows.len() as u64;
    let one_row = |rows: &[Row], field: usize, rng: &mut Rng| -> Option<usize> {
        let hits: Vec<usize> = (0..rows.len())
            .filter(|&i| !rows[i][field].is_empty())
            .collect();
        (!hits.is_empty()).then(|| hits[rng.below(hits.len())])
    };
    let affected = match kind {
        FaultKind::MandatoryMissing => {
            set_all(rows, [f::REFLD, f::DRUG1][rng.below(2)], Cell::EMPTY);
            n
        }
        FaultKind::InvalidCode => {
            let (field, value) = [
                (f::SEX, "3"),
                (f::ETHNIC, "X"),
                (f::RFLS, "9"),
                (f::DRUG1, "9999"),
                (f::INJSTAT, "Q"),
            ][rng.below(5)];
            set_all(rows, field, Cell::text(value));
            n
        }
        FaultKind::UnparseableDate => {
            let bad = Cell::text(["31/02/2024", "2024-05-01", "13/13/2024"][rng.below(3)]);
            if let Some(i) = one_row(rows, f::TOPDATE, rng) {
                rows[i][f::TOPDATE] = bad;
                1
            } else {
                set_all(rows, f::TRIAGED, bad);
                n
            }
        }
        FaultKind::DobAfterReferral => {
            set_all(
                rows,
                f::DOB,
                Cell::date(add(ctx.referral, 1).min(ctx.month_end)),
            );
            n
        }
        FaultKind::TriageBeforeReferral => {
            set_all(rows, f::TRIAGED, Cell::date(add(ctx.referral, -3)));
            n
        }
        FaultKind::DischargeBeforeReferral => {
            set_all(
                rows,
                f::DISD,
                Cell::date(add(ctx.referral, -rng.range(1, 30))),
            );
            n
        }
        FaultKind::DischargeWithoutReason => {
            set_all(rows, f::DISRSN, Cell::EMPTY);
            n
        }
        FaultKind::ReasonWithoutDischarge => {
            set_all(rows, f::DISRSN, Cell::text("83"));
            n
        }
        FaultKind::InterventionEndBeforeStart => {
            let i = one_row(rows, f::MODST, rng)?;
            let start = parse_date(&rows[i][f::MODST])?;
            rows[i][f::MODEND] = Cell::date(add(start, -rng.range(1, 10)));
            rows[i][f::MODEXIT] = Cell::byte(b'A');
            1
        }
        FaultKind::TopDaysOutOfRange => {
            let i = one_row(rows, f::TOPID, rng)?;
            rows[i][f::ALCUSE + rng.below(6)] = Cell::num(rng.range(29, 40) as u64);
            1
        }
        FaultKind::DateAfterMonthEnd => {
            let late = Cell::date(add(ctx.month_end, rng.range(1, 20)));
            if let Some(i) = one_row(rows, f::TOPID, rng) {
                rows[i][f::TOPDATE] = late;
            } else {
                let i = (0..rows.len())
                    .find(|&i| !rows[i][f::MODST].is_empty() && rows[i][f::MODEND].is_empty())?;
                rows[i][f::MODST] = late;
            }
            1
        }
        FaultKind::EpisodeFieldsDisagree => {
            let i = rng.below(rows.len());
            let (field, value) = [
                (f::RFLS, "7"),
                (f::INJSTAT, "Z"),
                (f::DRUG2, "8799"),
                (f::ALCUNITS, "9"),
            ][rng.below(4)];
            let value = if rows[i][field].as_str() == value {
                Cell::text("1")
            } else {
                Cell::text(value)
            };
            rows[i][field] = if field == f::INJSTAT && value.as_str() == "1" {
                Cell::text("N")
            } else {
                value
            };
            n
        }
        FaultKind::MissingEthnicity => blank(rows, f::ETHNIC),
        FaultKind::MissingPostcode => blank(rows, f::PC),
        FaultKind::MissingLa => blank(rows, f::LA),
        FaultKind::MissingReferralSource => blank(rows, f::RFLS),
        FaultKind::MissingTriage => blank(rows, f::TRIAGED),
        FaultKind::MissingInjecting => blank(rows, f::INJSTAT),
        FaultKind::LaNotInLookup => {
            set_all(rows, f::LA, Cell::text("E06099999"));
            n
        }
        FaultKind::UnderageAtAdultAgency => {
            set_all(
                rows,
                f::DOB,
                Cell::date(add(ctx.triage, -(17 * 365 + rng.range(10, 300)))),
            );
            n
        }
        FaultKind::AdultAtYoungPeopleAgency => {
            set_all(
                rows,
                f::DOB,
                Cell::date(add(ctx.triage, -(18 * 365 + rng.range(10, 500)))),
            );
            n
        }
        FaultKind::ClosedWithoutIntervention => {
            for r in rows.iter_mut() {
                for c in &mut r[f::MODID..=f::MODEXIT] {
                    *c = Cell::EMPTY;
                }
            }
            let keep_tops: Vec<Row> = rows
                .iter()
                .filter(|r| !r[f::TOPID].is_empty())
                .copied()
                .collect();
            if !keep_tops.is_empty() {
                *rows = keep_tops;
            } else {
                rows.truncate(1);
            }
            rows.len() as u64
        }
        _ => return None,
    };
    Some((kind, affected))
}

fn blank(rows: &mut [Row], field: usize) -> u64 {
    set_all(rows, field, Cell::EMPTY);
    rows.len() as u64
}

fn parse_date(c: &Cell) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(c.as_str(), "%d/%m/%Y").ok()
}

/// Turns rows into CONSENT = N rows: only AGNCY, CLIENTID and CONSENT kept unless `stray`.
pub fn withhold_consent(rows: &mut [Row], stray: bool) {
    for r in rows.iter_mut() {
        r[f::CONSENT] = Cell::byte(b'N');
        if !stray {
            for c in r.iter_mut().skip(f::CONSENT + 1) {
                *c = Cell::EMPTY;
            }
        }
    }
}

/// Placeholder attributor of an objector: initials `XX`, DOB `05/05/1955`.
pub fn placeholder(rows: &mut [Row]) {
    let dob = NaiveDate::from_ymd_opt(1955, 5, 5)
        .map(Cell::date)
        .unwrap_or(Cell::EMPTY);
    for r in rows.iter_mut() {
        r[f::FINITIAL] = Cell::byte(b'X');
        r[f::SINITIAL] = Cell::byte(b'X');
        r[f::DOB] = dob;
    }
}

/// Blanks one attributor field (0 FINITIAL, 1 SINITIAL, 2 DOB, 3 SEX).
pub fn incomplete(rows: &mut [Row], which: u8) {
    let field = [f::FINITIAL, f::SINITIAL, f::DOB, f::SEX][which as usize % 4];
    set_all(rows, field, Cell::EMPTY);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        let mut r: Row = [Cell::text("1"); 39];
        for c in &mut r[f::MODID..=f::QUALLIFE] {
            *c = Cell::EMPTY;
        }
        r[f::REFLD] = Cell::text("10/01/2024");
        r[f::MODID] = Cell::text("M1");
        r[f::MODST] = Cell::text("12/01/2024");
        r[f::DISD] = Cell::text("01/03/2024");
        r[f::DISRSN] = Cell::text("80");
        let mut t = r;
        t[f::MODID] = Cell::EMPTY;
        t[f::MODST] = Cell::EMPTY;
        t[f::TOPID] = Cell::text("T1");
        t[f::TOPDATE] = Cell::text("12/01/2024");
        vec![r, t]
    }

    #[test]
    fn every_episode_kind_is_reachable_and_changes_rows() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = Rng::new(5);
        for yp in [false, true] {
            for closed in [false, true] {
                for _ in 0..400 {
                    let ctx = EpisodeContext {
                        referral: d(2024, 1, 10),
                        triage: d(2024, 1, 10),
                        month_end: d(2024, 3, 31),
                        closed,
                        young_people_agency: yp,
                    };
                    let mut r = rows();
                    let before = r.clone();
                    if let Some((kind, n)) = inject(&mut r, &ctx, &mut rng) {
                        assert!(n >= 1);
                        assert_ne!(r, before, "{kind:?} changed nothing");
                        seen.insert(kind);
                    }
                }
            }
        }
        assert_eq!(seen.len(), EPISODE_KINDS.len(), "{seen:?}");
    }

    #[test]
    fn withheld_consent_keeps_only_the_three_fields() {
        let mut r = rows();
        r[0][f::AGNCY] = Cell::text("N0001");
        withhold_consent(&mut r, false);
        assert_eq!(r[0][f::CONSENT].as_str(), "N");
        assert_eq!(r[0][f::AGNCY].as_str(), "N0001");
        assert!(r[0][f::REFLD].is_empty() && r[1][f::TOPID].is_empty());
    }
}

//! Rendering one agency's submission for one month: the episodes in contact
//! with the reporting period, as known at the month's end, with client-level
//! irregularities and episode faults applied, plus the deliberately broken
//! files (missing, extra or duplicated header; a row from another agency).
//! Some agencies use `\r\n` line ends or a leading BOM, which the format allows.

use chrono::NaiveDate;

use super::agencies::Directory;
use super::faults::{self, EpisodeContext, FaultKind, ALL};
use super::model::Episode;
use super::period::SubmissionMonth;
use super::rng::Rng;
use super::rows::{self, f, Row, FIELDS};

/// How a file is deliberately broken so that the loader rejects it whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDamage {
    /// The header lacks a field (the column is dropped).
    MissingHeader(&'static str),
    /// The header has a field not in the schema (an empty column is added).
    ExtraHeader(&'static str),
    /// A field appears twice in the header.
    DuplicatedHeader(&'static str),
    /// One row's AGNCY is another agency's code.
    ForeignAgencyRow(String),
    /// The agency is not in `agencies.csv`.
    UnknownAgency(String),
}

impl FileDamage {
    /// Why the loader must reject the file.
    pub fn reason(&self) -> String {
        match self {
            FileDamage::MissingHeader(h) => format!("missing header {h}"),
            FileDamage::ExtraHeader(h) => format!("extra header {h}"),
            FileDamage::DuplicatedHeader(h) => format!("duplicated header {h}"),
            FileDamage::ForeignAgencyRow(c) => {
                format!("a row has AGNCY {c}, not the agency in the file name")
            }
            FileDamage::UnknownAgency(c) => format!("agency {c} is not in agencies.csv"),
        }
    }
}

/// Settings shared by every file of a run.
pub struct RenderSettings<'a> {
    pub dir: &'a Directory,
    pub seed: u64,
    pub fault_rate: f64,
    /// More than one month is written, so consent can be withdrawn in the latest.
    pub multi_month: bool,
}

/// What one rendered file holds.
#[derive(Debug, Clone)]
pub struct FileStats {
    pub name: String,
    pub rows: u64,
    /// Rows affected per fault kind, indexed like [`ALL`].
    pub faults: [u64; ALL.len()],
    pub rejected: Option<String>,
}

fn index(kind: FaultKind) -> usize {
    ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn push_row(out: &mut Vec<u8>, row: &Row, damage: Option<&FileDamage>, eol: &[u8]) {
    let skip = match damage {
        Some(FileDamage::MissingHeader(h)) => FIELDS.iter().position(|x| x == h),
        _ => None,
    };
    let mut first = true;
    for (i, cell) in row.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(cell.as_bytes());
    }
    match damage {
        Some(FileDamage::ExtraHeader(_)) => out.push(b','),
        Some(FileDamage::DuplicatedHeader(h)) => {
            out.push(b',');
            if let Some(i) = FIELDS.iter().position(|x| x == h) {
                out.extend_from_slice(row[i].as_bytes());
            }
        }
        _ => {}
    }
    out.extend_from_slice(eol);
}

fn header(out: &mut Vec<u8>, damage: Option<&FileDamage>, eol: &[u8]) {
    let names: Vec<&str> = match damage {
        Some(FileDamage::MissingHeader(h)) => FIELDS.iter().copied().filter(|x| x != h).collect(),
        Some(FileDamage::ExtraHeader(h)) | Some(FileDamage::DuplicatedHeader(h)) => {
            FIELDS.iter().copied().chain(std::iter::once(*h)).collect()
        }
        _ => FIELDS.to_vec(),
    };
    out.extend_from_slice(names.join(",").as_bytes());
    out.extend_from_slice(eol);
}

/// Renders the extract of `agency` for `month` (`episodes` sorted by client).
pub fn render(
    settings: &RenderSettings,
    agency: usize,
    episodes: &[Episode],
    month: SubmissionMonth,
    latest: bool,
    damage: Option<&FileDamage>,
) -> (Vec<u8>, FileStats) {
    let dir = settings.dir;
    let code = match damage {
        Some(FileDamage::UnknownAgency(c)) => c.as_str(),
        _ => dir.agencies[agency].code.as_str(),
    };
    let yp = dir.agencies[agency].dataset.is_young_people();
    let eol: &[u8] = if agency % 7 == 3 { b"\r\n" } else { b"\n" };
    let mut out = Vec::with_capacity(256 + episodes.len() * 400);
    if agency % 11 == 5 {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    header(&mut out, damage, eol);
    let mut stats = FileStats {
        name: format!("{code}_{}.csv", month.label()),
        rows: 0,
        faults: [0; ALL.len()],
        rejected: damage.map(|d| d.reason()),
    };
    let (period_start, month_end) = (month.period_start(), month.end());
    let mut buf: Vec<Row> = Vec::with_capacity(8);
    for e in episodes {
        buf.clear();
        let ids = rows::client_ids(code, agency, e);
        let la = &dir.las[e.la as usize];
        if !rows::episode_rows(
            e,
            &ids,
            &la.code,
            &la.postcode_area,
            period_start,
            month_end,
            &mut buf,
        ) {
            continue;
        }
        apply_faults(settings, e, month_end, latest, yp, &mut buf, &mut stats);
        stats.rows += buf.len() as u64;
        for row in &buf {
            push_row(&mut out, row, damage, eol);
        }
    }
    if let Some(FileDamage::ForeignAgencyRow(other)) = damage {
        // A withheld-consent row carrying another agency's code.
        let mut row: Row = [rows::Cell::EMPTY; 39];
        row[f::AGNCY] = rows::Cell::text(other);
        row[f::CLIENTID] = rows::Cell::text("X0000001");
        row[f::CONSENT] = rows::Cell::byte(b'N');
        push_row(&mut out, &row, None, eol);
        stats.rows += 1;
    }
    (out, stats)
}

fn apply_faults(
    settings: &RenderSettings,
    e: &Episode,
    month_end: NaiveDate,
    latest: bool,
    yp: bool,
    buf: &mut Vec<Row>,
    stats: &mut FileStats,
) {
    let flags = e.person.flags;
    let n = buf.len() as u64;
    if flags.consent_withheld {
        faults::withhold_consent(buf, flags.stray_values);
        stats.faults[index(FaultKind::ConsentWithheld)] += n;
        if flags.stray_values {
            stats.faults[index(FaultKind::ConsentWithheldStrayValues)] += n;
        }
    } else if flags.withdraws_consent && latest && settings.multi_month {
        faults::withhold_consent(buf, false);
        stats.faults[index(FaultKind::ConsentWithdrawn)] += n;
    } else if flags.placeholder {
        faults::placeholder(buf);
        stats.faults[index(FaultKind::PlaceholderAttributor)] += n;
    } else if let Some(which) = flags.incomplete {
        faults::incomplete(buf, which);
        stats.faults[index(FaultKind::IncompleteAttributor)] += n;
    } else if settings.fault_rate > 0.0 {
        let mut rng = Rng::derive(settings.seed, 0xFA17, e.key());
        // Some faults touch one row of a multi-row episode: scale so that about
        // `fault_rate` of all rows carry a fault.
        if rng.chance(settings.fault_rate * 1.15) {
            let ctx = EpisodeContext {
                referral: e.referral,
                triage: e.triage,
                month_end,
                closed: e.discharge.is_some_and(|d| d <= month_end),
                young_people_agency: yp,
            };
            if let Some((kind, affected)) = faults::inject(buf, &ctx, &mut rng) {
                stats.faults[index(kind)] += affected;
            }
        }
    }
}

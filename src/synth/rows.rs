//! Extract rows: the 39 fields of the CDS-P style extract, in header order,
//! and the view of an episode "as known at the end of a submission month"
//! (no date after it: later discharges show the episode open, later
//! interventions and TOPs are absent). Cells are small inline buffers so
//! that building a row allocates nothing.

use chrono::{Datelike, NaiveDate};

use super::model::Episode;

/// The extract header, in order.
pub const FIELDS: [&str; 39] = [
    "AGNCY", "CLIENTID", "CONSENT", "FINITIAL", "SINITIAL", "DOB", "SEX", "ETHNIC", "EPISODID",
    "PC", "LA", "REFLD", "RFLS", "TRIAGED", "DRUG1", "DRUG2", "DRUG3", "INJSTAT", "ALCUNITS",
    "DISD", "DISRSN", "MODID", "MODAL", "MODSET", "REFMODDT", "MODST", "MODEND", "MODEXIT",
    "TOPID", "TOPDATE", "TRSTAGE", "ALCUSE", "OPIUSE", "CRAUSE", "COCAUSE", "AMPHUSE", "CANNUSE",
    "ACUTHPBM", "QUALLIFE",
];

/// Field positions used by the generator and the fault injector.
pub mod f {
    pub const AGNCY: usize = 0;
    pub const CLIENTID: usize = 1;
    pub const CONSENT: usize = 2;
    pub const FINITIAL: usize = 3;
    pub const SINITIAL: usize = 4;
    pub const DOB: usize = 5;
    pub const SEX: usize = 6;
    pub const ETHNIC: usize = 7;
    pub const EPISODID: usize = 8;
    pub const PC: usize = 9;
    pub const LA: usize = 10;
    pub const REFLD: usize = 11;
    pub const RFLS: usize = 12;
    pub const TRIAGED: usize = 13;
    pub const DRUG1: usize = 14;
    pub const DRUG2: usize = 15;
    pub const INJSTAT: usize = 17;
    pub const ALCUNITS: usize = 18;
    pub const DISD: usize = 19;
    pub const DISRSN: usize = 20;
    pub const MODID: usize = 21;
    pub const MODAL: usize = 22;
    pub const REFMODDT: usize = 24;
    pub const MODST: usize = 25;
    pub const MODEND: usize = 26;
    pub const MODEXIT: usize = 27;
    pub const TOPID: usize = 28;
    pub const TOPDATE: usize = 29;
    pub const TRSTAGE: usize = 30;
    pub const ALCUSE: usize = 31;
    pub const QUALLIFE: usize = 38;
    /// Last client or episode field (fields 0..=DISRSN repeat on every row of an episode).
    pub const LAST_EPISODE_FIELD: usize = DISRSN;
}

/// One field value, stored inline (at most 23 bytes).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    len: u8,
    buf: [u8; 23],
}

impl std::fmt::Debug for Cell {
    fn fmt(&self, fm: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(fm, "{:?}", self.as_str())
    }
}

impl Cell {
    pub const EMPTY: Cell = Cell {
        len: 0,
        buf: [0; 23],
    };

    /// A cell holding `s` (truncated to 23 bytes).
    pub fn text(s: &str) -> Cell {
        let mut c = Cell::EMPTY;
        c.push_bytes(s.as_bytes());
        c
    }

    fn push_bytes(&mut self, b: &[u8]) {
        let room = 23 - self.len as usize;
        let n = b.len().min(room);
        self.buf[self.len as usize..self.len as usize + n].copy_from_slice(&b[..n]);
        self.len += n as u8;
    }

    fn push_num(&mut self, mut v: u64, width: usize) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            v /= 10;
            n += 1;
            if v == 0 {
                break;
            }
        }
        for _ in n..width {
            self.push_bytes(b"0");
        }
        for i in (0..n).rev() {
            self.push_bytes(&[digits[i]]);
        }
    }

    /// A single character.
    pub fn byte(b: u8) -> Cell {
        let mut c = Cell::EMPTY;
        c.push_bytes(&[b]);
        c
    }

    /// A number without padding.
    pub fn num(v: u64) -> Cell {
        let mut c = Cell::EMPTY;
        c.push_num(v, 1);
        c
    }

    /// `prefix` then `v` zero-padded to `width`, then an optional suffix number padded to `width2`.
    pub fn id(prefix: &str, v: u64, width: usize, suffix: Option<(u64, usize)>) -> Cell {
        let mut c = Cell::text(prefix);
        c.push_num(v, width);
        if let Some((s, w)) = suffix {
            c.push_num(s, w);
        }
        c
    }

    /// A date as `DD/MM/YYYY`.
    pub fn date(d: NaiveDate) -> Cell {
        let mut c = Cell::EMPTY;
        c.push_num(d.day() as u64, 2);
        c.push_bytes(b"/");
        c.push_num(d.month() as u64, 2);
        c.push_bytes(b"/");
        c.push_num(d.year().max(0) as u64, 4);
        c
    }

    /// The cell's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The cell as text (always ASCII here).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Whether the field is blank.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One extract row.
pub type Row = [Cell; 39];

/// Identity strings of an episode's client at its agency.
pub struct ClientIds {
    pub agency: Cell,
    pub client: Cell,
    pub episode: Cell,
    /// The number used inside EPISODID, MODID and TOPID.
    pub number: u64,
}

/// CLIENTID in the agency's own style: a bijection of the person number per agency.
pub fn client_ids(agency_code: &str, agency_index: usize, e: &Episode) -> ClientIds {
    let n = (e.person.uid as u64 * 7919 + agency_index as u64 * 104_729) % 100_000_000;
    let style = agency_index % 3;
    let prefix = match (style, e.alt_client) {
        (0, false) => "",
        (0, true) => "D",
        (1, false) => "CL",
        (1, true) => "CD",
        (2, false) => "P",
        _ => "PD",
    };
    ClientIds {
        agency: Cell::text(agency_code),
        client: Cell::id(prefix, n, 8, None),
        episode: Cell::id("E", n, 8, Some((e.number as u64, 2))),
        number: n * 100 + e.number as u64,
    }
}

/// Appends the rows of `e` as known at `month_end` to `rows`; false if the
/// episode is not in contact with the period `[period_start, month_end]`.
pub fn episode_rows(
    e: &Episode,
    ids: &ClientIds,
    la_code: &str,
    postcode_area: &str,
    period_start: NaiveDate,
    month_end: NaiveDate,
    rows: &mut Vec<Row>,
) -> bool {
    if e.referral > month_end {
        return false;
    }
    let discharge = e.discharge.filter(|d| *d <= month_end);
    if matches!(discharge, Some(d) if d < period_start) {
        return false;
    }
    let mut base: Row = [Cell::EMPTY; 39];
    base[f::AGNCY] = ids.agency;
    base[f::CLIENTID] = ids.client;
    base[f::CONSENT] = Cell::byte(b'Y');
    base[f::FINITIAL] = Cell::byte(e.person.finitial);
    base[f::SINITIAL] = Cell::byte(e.person.sinitial);
    base[f::DOB] = Cell::date(e.person.dob);
    base[f::SEX] = Cell::byte(e.person.sex);
    base[f::ETHNIC] = Cell::byte(e.person.ethnic);
    base[f::EPISODID] = ids.episode;
    let mut pc = Cell::text(postcode_area);
    pc.push_num(e.postcode.0 as u64, 1);
    pc.push_bytes(b" ");
    pc.push_num(e.postcode.1 as u64, 1);
    base[f::PC] = pc;
    base[f::LA] = Cell::text(la_code);
    base[f::REFLD] = Cell::date(e.referral);
    base[f::RFLS] = Cell::num(e.referral_source as u64);
    if e.triage <= month_end {
        base[f::TRIAGED] = Cell::date(e.triage);
    }
    for (k, d) in e.drugs.iter().enumerate() {
        if *d != 0 {
            base[f::DRUG1 + k] = Cell::num(*d as u64);
        }
    }
    base[f::INJSTAT] = Cell::byte(e.injecting);
    if let Some(u) = e.alcohol_units {
        base[f::ALCUNITS] = Cell::num(u as u64);
    }
    if let Some(d) = discharge {
        base[f::DISD] = Cell::date(d);
        base[f::DISRSN] = Cell::num(e.discharge_reason as u64);
    }
    let first = rows.len();
    let interventions = e
        .interventions
        .iter()
        .enumerate()
        .filter(|(_, i)| i.referred <= month_end);
    let tops = e
        .tops
        .iter()
        .enumerate()
        .filter(|(_, t)| t.date <= month_end);
    let mut n_int = 0;
    for (k, i) in interventions {
        let mut row = base;
        row[f::MODID] = Cell::id("M", ids.number, 10, Some((k as u64 + 1, 1)));
        row[f::MODAL] = Cell::num(i.modal as u64);
        row[f::MODAL + 1] = Cell::num(i.modset as u64);
        row[f::REFMODDT] = Cell::date(i.referred);
        if i.start <= month_end {
            row[f::MODST] = Cell::date(i.start);
            if let Some(end) = i.end.filter(|d| *d <= month_end) {
                row[f::MODEND] = Cell::date(end);
                row[f::MODEXIT] = Cell::byte(i.exit);
            }
        }
        rows.push(row);
        n_int += 1;
    }
    for (n_top, (k, t)) in tops.enumerate() {
        if n_top >= n_int {
            rows.push(base);
        }
        let row = &mut rows[first + n_top];
        row[f::TOPID] = Cell::id("T", ids.number, 10, Some((k as u64 + 1, 2)));
        row[f::TOPDATE] = Cell::date(t.date);
        row[f::TRSTAGE] = Cell::byte(t.stage);
        for (j, v) in t.days.iter().enumerate() {
            row[f::ALCUSE + j] = Cell::num(*v as u64);
        }
        row[f::ALCUSE + 6] = Cell::byte(if t.housing_problem { b'Y' } else { b'N' });
        row[f::QUALLIFE] = Cell::num(t.quality_of_life as u64);
    }
    if rows.len() == first {
        rows.push(base);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_format_dates_ids_and_numbers() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(Cell::date(d).as_str(), "05/03/2024");
        assert_eq!(Cell::id("E", 42, 8, Some((3, 2))).as_str(), "E0000004203");
        assert_eq!(Cell::num(0).as_str(), "0");
        assert_eq!(Cell::num(7000).as_str(), "7000");
        assert_eq!(FIELDS.len(), 39);
        assert_eq!(FIELDS[f::DISRSN], "DISRSN");
        assert_eq!(FIELDS[f::QUALLIFE], "QUALLIFE");
        assert_eq!(FIELDS[f::ALCUSE + 6], "ACUTHPBM");
        assert_eq!(FIELDS[f::MODAL + 1], "MODSET");
        assert_eq!(FIELDS[f::DRUG1 + 2], "DRUG3");
    }
}

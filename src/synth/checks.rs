//! Test-only reader and rule checker for generated output: reads the
//! extracts back with the csv crate, checks the extract-format rules row by
//! row, and computes calibration figures (people in treatment, new
//! presentations, exits, completions, opiate share) by attributor.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::NaiveDate;

use super::period::age_on;
use super::rows::{f, FIELDS};
use crate::geography::Geography;

/// One row read back, as strings.
pub type Fields = Vec<String>;

/// An extract read back.
pub struct Extract {
    pub agency: String,
    pub month: String,
    pub header: Vec<String>,
    pub rows: Vec<Fields>,
}

/// Reads `agencies.csv` into code -> dataset.
pub fn agencies(out: &Path) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(out.join("agencies.csv")).unwrap();
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x[4].to_string()))
        .collect()
}

/// Reads every extract of `month` (`YYYY-MM`).
pub fn extracts(out: &Path, month: &str) -> Vec<Extract> {
    let mut names: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut all = Vec::new();
    for p in names {
        let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
        let Some((agency, m)) = stem.split_once('_') else {
            continue;
        };
        if p.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        if m != month {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        all.push(Extract {
            agency: agency.to_string(),
            month: m.to_string(),
            header,
            rows,
        });
    }
    all
}

/// Parses a `DD/MM/YYYY` date.
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%d/%m/%Y").ok()
}

/// Checks every rule of extract-format.md on a clean extract; returns the first violations found.
pub fn violations(x: &Extract, dataset: &str, geo: &Geography) -> Vec<String> {
    let mut v = Vec::new();
    if x.header != FIELDS {
        v.push(format!("{} header differs", x.agency));
        return v;
    }
    let (y, m) = x.month.split_once('-').unwrap();
    let month =
        super::period::SubmissionMonth::new(y.parse().unwrap(), m.parse().unwrap()).unwrap();
    let (start, end) = (month.period_start(), month.end());
    let yp = dataset.ends_with("-yp");
    let mut episodes: HashMap<(String, String), Vec<&Fields>> = HashMap::new();
    let codes: [(usize, &[&str]); 5] = [
        (f::SEX, &["1", "2", "9"]),
        (
            f::ETHNIC,
            &[
                "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z",
            ],
        ),
        (f::RFLS, &["1", "2", "3", "4", "5", "6", "7"]),
        (f::INJSTAT, &["P", "C", "N", "Z"]),
        (f::TRSTAGE, &["S", "R", "E", "P"]),
    ];
    let drugs = [
        "1000", "1011", "1105", "1106", "3201", "3200", "3100", "3406", "5000", "2200", "8500",
        "8799", "7000",
    ];
    for (i, r) in x.rows.iter().enumerate() {
        let mut bad = |what: &str| v.push(format!("{} row {}: {what}", x.agency, i + 2));
        if r[f::AGNCY] != x.agency || r[f::CONSENT] != "Y" {
            bad("agency or consent");
        }
        for k in [
            f::CLIENTID,
            f::FINITIAL,
            f::SINITIAL,
            f::DOB,
            f::SEX,
            f::EPISODID,
            f::REFLD,
            f::DRUG1,
        ] {
            if r[k].is_empty() {
                bad(&format!("mandatory {} missing", FIELDS[k]));
            }
        }
        for k in [f::ETHNIC, f::PC, f::LA, f::RFLS, f::TRIAGED, f::INJSTAT] {
            if r[k].is_empty() {
                bad(&format!("expected {} missing", FIELDS[k]));
            }
        }
        for (k, list) in codes {
            if !r[k].is_empty() && !list.contains(&r[k].as_str()) {
                bad(&format!("{} code {}", FIELDS[k], r[k]));
            }
        }
        for drug in &r[f::DRUG1..f::DRUG1 + 3] {
            if !drug.is_empty() && !drugs.contains(&drug.as_str()) {
                bad("drug code");
            }
        }
        if !geo.contains(&r[f::LA]) {
            bad("LA not in lookup");
        }
        let dates: Vec<(usize, Option<NaiveDate>)> = [
            f::DOB,
            f::REFLD,
            f::TRIAGED,
            f::DISD,
            f::REFMODDT,
            f::MODST,
            f::MODEND,
            f::TOPDATE,
        ]
        .iter()
        .filter(|k| !r[**k].is_empty())
        .map(|k| (*k, date(&r[*k])))
        .collect();
        if dates.iter().any(|(_, d)| d.is_none()) {
            bad("unparseable date");
            continue;
        }
        if dates.iter().any(|(_, d)| d.unwrap() > end) {
            bad("date after month end");
        }
        let get = |k: usize| date(&r[k]);
        let (dob, refld) = (get(f::DOB).unwrap(), get(f::REFLD).unwrap());
        if dob > refld {
            bad("DOB after REFLD");
        }
        if let Some(t) = get(f::TRIAGED) {
            if t < refld {
                bad("TRIAGED before REFLD");
            }
            if (age_on(dob, t) < 18) != yp {
                bad("age at triage does not fit the dataset");
            }
        }
        if get(f::DISD).is_some_and(|d| d < refld) {
            bad("DISD before REFLD");
        }
        if r[f::DISD].is_empty() != r[f::DISRSN].is_empty() {
            bad("DISD and DISRSN");
        }
        if get(f::DISD).is_some_and(|d| d < start) {
            bad("episode not in contact with the period");
        }
        if let (Some(s), Some(e)) = (get(f::MODST), get(f::MODEND)) {
            if e < s {
                bad("MODEND before MODST");
            }
        }
        if !r[f::MODID].is_empty()
            && (r[f::MODAL].is_empty() || r[f::MODAL + 1].is_empty() || r[f::REFMODDT].is_empty())
        {
            bad("intervention fields missing");
        }
        if r[f::MODEND].is_empty() != r[f::MODEXIT].is_empty() {
            bad("MODEND and MODEXIT");
        }
        if !r[f::TOPID].is_empty() {
            for days in &r[f::ALCUSE..f::ALCUSE + 6] {
                match days.parse::<u32>() {
                    Ok(n) if n <= 28 => {}
                    _ => bad("TOP day count"),
                }
            }
            if r[f::QUALLIFE].parse::<u32>().map_or(true, |q| q > 20)
                || r[f::TRSTAGE].is_empty()
                || r[f::TOPDATE].is_empty()
            {
                bad("TOP fields");
            }
        }
        episodes
            .entry((r[f::CLIENTID].clone(), r[f::EPISODID].clone()))
            .or_default()
            .push(r);
    }
    for ((client, ep), rows) in &episodes {
        if rows
            .iter()
            .any(|r| r[..=f::LAST_EPISODE_FIELD] != rows[0][..=f::LAST_EPISODE_FIELD])
        {
            v.push(format!(
                "{} {client} {ep}: episode fields disagree",
                x.agency
            ));
        }
        if !rows[0][f::DISD].is_empty() && rows.iter().all(|r| r[f::MODID].is_empty()) {
            v.push(format!(
                "{} {client} {ep}: closed without intervention",
                x.agency
            ));
        }
    }
    v
}

/// One episode summarised for the calibration figures.
struct EpisodeSummary {
    first_start: NaiveDate,
    triage: Option<NaiveDate>,
    discharge: Option<NaiveDate>,
    reason: String,
    opiate: bool,
}

/// Calibration figures for a financial year.
#[derive(Debug, Default)]
pub struct Figures {
    pub in_treatment: usize,
    pub opiate: usize,
    pub alcohol_only: usize,
    pub new_presentations: usize,
    pub exits: usize,
    pub completions: usize,
}

/// Figures over community adult agencies of the latest extracts, people linked by attributor.
pub fn figures(
    extracts: &[Extract],
    datasets: &BTreeMap<String, String>,
    fy: (NaiveDate, NaiveDate),
) -> Figures {
    let mut people: HashMap<(String, String, String, String), Vec<EpisodeSummary>> = HashMap::new();
    let mut alcohol_only: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for x in extracts
        .iter()
        .filter(|x| datasets.get(&x.agency).map(String::as_str) == Some("community-adult"))
    {
        let mut eps: BTreeMap<&str, Vec<&Fields>> = BTreeMap::new();
        for r in x
            .rows
            .iter()
            .filter(|r| r[f::CONSENT] == "Y" && r[f::FINITIAL] != "X")
        {
            eps.entry(r[f::EPISODID].as_str()).or_default().push(r);
        }
        for rows in eps.values() {
            let r = rows[0];
            let Some(first_start) = rows.iter().filter_map(|r| date(&r[f::MODST])).min() else {
                continue;
            };
            let key = (
                r[f::FINITIAL].clone(),
                r[f::SINITIAL].clone(),
                r[f::DOB].clone(),
                r[f::SEX].clone(),
            );
            let drugs: Vec<&str> = (0..3).map(|k| r[f::DRUG1 + k].as_str()).collect();
            let opiate = drugs
                .iter()
                .any(|d| ["1000", "1011", "1105", "1106"].contains(d));
            if drugs.iter().all(|d| *d == "7000" || d.is_empty()) {
                alcohol_only.insert(key.clone());
            }
            people.entry(key).or_default().push(EpisodeSummary {
                first_start,
                triage: date(&r[f::TRIAGED]),
                discharge: date(&r[f::DISD]),
                reason: r[f::DISRSN].clone(),
                opiate,
            });
        }
    }
    let (s, e) = fy;
    let mut out = Figures::default();
    for (key, mut eps) in people {
        eps.sort_by_key(|x| x.first_start);
        let in_contact =
            |x: &EpisodeSummary| x.first_start <= e && x.discharge.is_none_or(|d| d >= s);
        if eps.iter().any(in_contact) {
            out.in_treatment += 1;
            if eps.iter().filter(|x| in_contact(x)).any(|x| x.opiate) {
                out.opiate += 1;
            } else if alcohol_only.contains(&key) {
                out.alcohol_only += 1;
            }
        }
        // Journeys: (start, latest discharge if all closed, reason of last discharge).
        let mut journeys: Vec<(NaiveDate, Option<NaiveDate>, String)> = Vec::new();
        let mut open = false;
        let mut latest: Option<NaiveDate> = None;
        for x in &eps {
            let new = match (journeys.last(), latest) {
                (None, _) => true,
                (Some(_), Some(l)) => {
                    !open
                        && x.discharge.is_none_or(|d| d >= l)
                        && (x.first_start - l).num_days() > 21
                }
                _ => false,
            };
            if new {
                journeys.push((
                    x.triage.unwrap_or(x.first_start).min(x.first_start),
                    None,
                    String::new(),
                ));
                open = false;
                latest = None;
            }
            match x.discharge {
                None => open = true,
                Some(d) if latest.is_none_or(|l| d >= l) => {
                    latest = Some(d);
                    journeys.last_mut().unwrap().2 = x.reason.clone();
                }
                _ => {}
            }
            let j = journeys.last_mut().unwrap();
            j.1 = if open { None } else { latest };
        }
        for (start, end, reason) in journeys {
            if start >= s && start <= e {
                out.new_presentations += 1;
            }
            if end.is_some_and(|d| d >= s && d <= e) {
                out.exits += 1;
                if ["80", "81", "82"].contains(&reason.as_str()) {
                    out.completions += 1;
                }
            }
        }
    }
    out
}

//! From validated rows to warehouse records: rows grouped into episodes,
//! episode-level checks (fields that disagree across an episode's rows, a
//! closed episode with no intervention, an intervention or TOP id repeated
//! with different values), consent per client, and the attributor turned
//! into the keyed pseudonym, year of birth and ages.

use std::collections::{BTreeMap, HashMap};

use super::attributor::AttributorKey;
use super::messages::Tally;
use super::submission::age_on;
use super::validate::{flag, RowState, Value};
use crate::schema::{CheckRule, Role, Schema, Section, Severity};

/// How a record's person is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Linked,
    Placeholder,
    Incomplete,
}

impl LinkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Linked => "linked",
            LinkStatus::Placeholder => "placeholder",
            LinkStatus::Incomplete => "incomplete",
        }
    }
}

/// An episode ready for the warehouse; `values` follow [`Columns::episode`].
#[derive(Debug, Clone)]
pub struct EpisodeRecord {
    pub client_id: String,
    pub episode_id: String,
    pub person_key: Option<String>,
    pub link_status: LinkStatus,
    pub year_of_birth: Option<i32>,
    pub age_at_referral: Option<i32>,
    pub age_at_triage: Option<i32>,
    pub values: Vec<Value>,
}

/// An intervention; `values` follow [`Columns::intervention`].
#[derive(Debug, Clone)]
pub struct InterventionRecord {
    pub client_id: String,
    pub episode_id: String,
    pub mod_id: String,
    pub age_at_modst: Option<i32>,
    pub values: Vec<Value>,
}

/// A TOP outcome record; `values` follow [`Columns::top`].
#[derive(Debug, Clone)]
pub struct TopRecord {
    pub client_id: String,
    pub episode_id: String,
    pub top_id: String,
    pub values: Vec<Value>,
}

/// Which schema fields fill which warehouse columns, per table.
#[derive(Debug, Clone)]
pub struct Columns {
    pub episode: Vec<(String, usize)>,
    pub intervention: Vec<(String, usize)>,
    pub top: Vec<(String, usize)>,
}

impl Columns {
    pub fn from_schema(schema: &Schema) -> Columns {
        let pick = |sections: &[Section]| {
            schema
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| sections.contains(&f.section))
                .filter_map(|(i, f)| f.column.clone().map(|c| (c, i)))
                .collect()
        };
        Columns {
            episode: pick(&[Section::Client, Section::Episode]),
            intervention: pick(&[Section::Intervention]),
            top: pick(&[Section::Top]),
        }
    }
}

/// Everything a file contributes to the warehouse.
#[derive(Debug, Default)]
pub struct FileRecords {
    /// Every client in the file with its consent (false when any row says N).
    pub clients: Vec<(String, bool)>,
    pub episodes: Vec<EpisodeRecord>,
    pub interventions: Vec<InterventionRecord>,
    pub tops: Vec<TopRecord>,
}

fn text(v: &Value) -> Option<&str> {
    v.as_text()
}

/// Groups rows into episodes, applies the episode-level checks and builds records.
pub fn build_records(
    schema: &Schema,
    key: &AttributorKey,
    raw: &[Vec<Option<&str>>],
    rows: &mut [RowState],
    tally: &mut Tally,
) -> FileRecords {
    let client_i = schema.role(Role::ClientId);
    let episode_i = schema.role(Role::EpisodeId);
    let mut consent: BTreeMap<String, bool> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (r, row) in rows.iter().enumerate() {
        let Some(client) = raw[client_i][r] else { continue };
        if row.no_consent {
            consent.insert(client.to_string(), false);
            continue;
        }
        if row.error && row.values[schema.role(Role::Consent)].is_null() {
            continue;
        }
        consent.entry(client.to_string()).or_insert(true);
        if let Some(episode) = raw[episode_i][r] {
            groups.entry((client.to_string(), episode.to_string())).or_default().push(r);
        }
    }
    let shared: Vec<usize> = schema
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.section, Section::Client | Section::Episode))
        .map(|(i, _)| i)
        .collect();
    let closed_check = schema.checks.iter().find_map(|c| match c.rule {
        CheckRule::ClosedNeedsIntervention { discharge, intervention } => Some((discharge, intervention, c)),
        _ => None,
    });
    let columns = Columns::from_schema(schema);
    let mut out = FileRecords::default();
    for ((client, episode), members) in &groups {
        if consent.get(client) == Some(&false) {
            // Consent withdrawn elsewhere in the file: nothing of this client is kept.
            for &r in members {
                flag(&mut rows[r], tally, Severity::Warning, "W_CONSENT_WITHDRAWN", "CONSENT", "client has CONSENT=N on another row: its data were discarded", r);
            }
            continue;
        }
        // Blank or unusable values (already an error on their own row) are not a disagreement.
        let disagrees = |f: usize| {
            let mut usable = members.iter().filter(|&&r| !rows[r].values[f].is_null()).map(|&r| raw[f][r]);
            usable.next().is_some_and(|first| usable.any(|v| v != first))
        };
        if let Some(&f) = shared.iter().find(|&&f| disagrees(f)) {
            for &r in members {
                flag(&mut rows[r], tally, Severity::Error, "E_EPISODE_DISAGREE", &schema.fields[f].code, "client or episode field differs between rows of one episode", r);
            }
            continue;
        }
        if let Some((discharge, intervention, check)) = closed_check {
            let closed = raw[discharge][members[0]].is_some();
            if closed && members.iter().all(|&r| raw[intervention][r].is_none()) {
                let code = if check.severity == Severity::Error { "E_CLOSED_NO_INTERVENTION" } else { "W_CLOSED_NO_INTERVENTION" };
                for &r in members {
                    flag(&mut rows[r], tally, check.severity, code, &schema.fields[discharge].code, &check.message, r);
                }
            }
        }
        let valid: Vec<usize> = members.iter().copied().filter(|&r| !rows[r].error).collect();
        let Some(&first) = valid.first() else { continue };
        out.episodes.push(episode_record(schema, key, &columns, client, episode, &rows[first]));
        collect_children(schema, &columns, client, episode, &valid, rows, tally, &mut out);
    }
    out.clients = consent.into_iter().collect();
    out
}

fn episode_record(schema: &Schema, key: &AttributorKey, columns: &Columns, client: &str, episode: &str, row: &RowState) -> EpisodeRecord {
    let v = &row.values;
    let fi = text(&v[schema.role(Role::FInitial)]);
    let si = text(&v[schema.role(Role::SInitial)]);
    let dob = v[schema.role(Role::Dob)].as_date();
    let sex = text(&v[schema.role(Role::Sex)]);
    let (person_key, link_status) = match (fi, si, dob, sex) {
        (Some(fi), Some(si), Some(dob), Some(sex)) => {
            let placeholder = schema.placeholders.iter().any(|p| {
                p.finitial.eq_ignore_ascii_case(fi) && p.sinitial.eq_ignore_ascii_case(si) && p.dob == dob
            });
            if placeholder {
                (None, LinkStatus::Placeholder)
            } else {
                (Some(key.person_key(fi, si, dob, sex)), LinkStatus::Linked)
            }
        }
        _ => (None, LinkStatus::Incomplete),
    };
    let date_of = |column: &str| {
        columns.episode.iter().find(|(c, _)| c == column).and_then(|(_, i)| v[*i].as_date())
    };
    let age = |on: Option<chrono::NaiveDate>| dob.zip(on).map(|(d, on)| age_on(d, on));
    EpisodeRecord {
        client_id: client.to_string(),
        episode_id: episode.to_string(),
        person_key,
        link_status,
        year_of_birth: dob.map(|d| chrono::Datelike::year(&d)),
        age_at_referral: age(date_of("refld")),
        age_at_triage: age(date_of("triaged")),
        values: columns.episode.iter().map(|(_, i)| v[*i].clone()).collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn collect_children(
    schema: &Schema,
    columns: &Columns,
    client: &str,
    episode: &str,
    valid: &[usize],
    rows: &mut [RowState],
    tally: &mut Tally,
    out: &mut FileRecords,
) {
    let dob_i = schema.role(Role::Dob);
    let mod_i = schema.role(Role::InterventionId);
    let top_i = schema.role(Role::TopId);
    let modst_i = columns.intervention.iter().find(|(c, _)| c == "modst").map(|(_, i)| *i);
    let mut seen_mod: HashMap<String, Vec<Value>> = HashMap::new();
    let mut seen_top: HashMap<String, Vec<Value>> = HashMap::new();
    for &r in valid {
        let mod_id = rows[r].values[mod_i].as_text().map(str::to_string);
        let top_id = rows[r].values[top_i].as_text().map(str::to_string);
        let mod_values: Vec<Value> = columns.intervention.iter().map(|(_, i)| rows[r].values[*i].clone()).collect();
        let top_values: Vec<Value> = columns.top.iter().map(|(_, i)| rows[r].values[*i].clone()).collect();
        let mod_conflict = mod_id.as_ref().and_then(|id| seen_mod.get(id)).is_some_and(|prev| *prev != mod_values);
        let top_conflict = top_id.as_ref().and_then(|id| seen_top.get(id)).is_some_and(|prev| *prev != top_values);
        if mod_conflict || top_conflict {
            let (field, what) = if mod_conflict { (mod_i, "intervention") } else { (top_i, "TOP") };
            let message = format!("{what} id repeated with different values");
            flag(&mut rows[r], tally, Severity::Error, "E_DUPLICATE_ID", &schema.fields[field].code, &message, r);
            continue;
        }
        if let Some(id) = mod_id.filter(|id| !seen_mod.contains_key(id)) {
            let modst = modst_i.and_then(|i| rows[r].values[i].as_date());
            let age_at_modst = rows[r].values[dob_i].as_date().zip(modst).map(|(d, on)| age_on(d, on));
            out.interventions.push(InterventionRecord {
                client_id: client.to_string(),
                episode_id: episode.to_string(),
                mod_id: id.clone(),
                age_at_modst,
                values: mod_values.clone(),
            });
            seen_mod.insert(id, mod_values);
        }
        if let Some(id) = top_id.filter(|id| !seen_top.contains_key(id)) {
            out.tops.push(TopRecord { client_id: client.to_string(), episode_id: episode.to_string(), top_id: id.clone(), values: top_values.clone() });
            seen_top.insert(id, top_values);
        }
    }
}

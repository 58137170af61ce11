//! Checks across the rows of an episode and the records a batch of files
//! gives the warehouse.
//!
//! As column expressions, over each file's episodes (rows of consented
//! clients with CLIENTID and EPISODID): consent withdrawn on another row of
//! the client, client or episode fields that disagree between rows (blank or
//! unusable values are their own row's error, not a disagreement), a closed
//! episode with no intervention. Then one pass in row order: the first
//! valid row of an episode makes its record (with the keyed pseudonym of the
//! attributor), each intervention and TOP id its record, and an id repeated
//! with other values is an error on the later row.

use std::collections::HashMap;

use polars::prelude::*;
use rayon::prelude::*;

use super::attributor::AttributorKey;
use super::expressions::{any_of, typed, Messages, Scope, CONSENTED, ERROR, FILE, NO_CONSENT};
use super::records::LinkStatus;
use crate::schema::{CheckRule, Role, Schema, Section, Severity};

/// A consented row with CLIENTID and EPISODID: a row of an episode.
pub const MEMBER: &str = "_member";
/// The row's client has CONSENT = N on a row of the file.
pub const WITHDRAWN: &str = "_withdrawn";
/// Fields of the row's episode disagree.
pub const DISAGREE: &str = "_disagree";
/// A row of an episode that can be loaded (before repeated ids are found).
pub const VALID: &str = "_valid";

/// The episode-level expressions, in stages, adding their message columns to `m`.
pub fn episode_plan(schema: &Schema, m: &mut Messages) -> PolarsResult<Vec<Vec<Expr>>> {
    let client = schema.fields[schema.role(Role::ClientId)].code.as_str();
    let episode = schema.fields[schema.role(Role::EpisodeId)].code.as_str();
    let key = [col(FILE), col(client), col(episode), col(MEMBER)];
    let member = col(CONSENTED).and(col(client).is_not_null()).and(col(episode).is_not_null());
    // Only a valid client id withdraws (or restates) a client.
    let withdraws = col(NO_CONSENT).and(col(typed(client).as_str()).is_not_null());
    let first = vec![member.alias(MEMBER), withdraws.any(true).over([col(FILE), col(client)])?.alias(WITHDRAWN)];
    let open = || col(MEMBER).and(col(WITHDRAWN).not());
    let consent_code = &schema.fields[schema.role(Role::Consent)].code;
    m.add(col(MEMBER).and(col(WITHDRAWN)), Severity::Warning, "W_CONSENT_WITHDRAWN", consent_code, "client has CONSENT=N on another row: its data were discarded", Scope::Episode);
    // A shared field disagrees when its usable values differ within the episode: one window
    // column per field (`d:<CODE>`), the messages from those columns.
    let shared: Vec<&str> = schema.fields.iter().filter(|f| matches!(f.section, Section::Client | Section::Episode)).map(|f| f.code.as_str()).collect();
    let mut windows = Vec::new();
    for code in &shared {
        let usable = when(col(typed(code).as_str()).is_not_null()).then(col(*code)).otherwise(lit(NULL));
        let differs = usable.clone().max().over(key.clone())?.neq(usable.min().over(key.clone())?).fill_null(lit(false));
        windows.push(differs.alias(format!("d:{code}").as_str()));
    }
    let mut closed_checks = Vec::new();
    for (k, check) in schema.checks.iter().enumerate() {
        if let CheckRule::ClosedNeedsIntervention { discharge, intervention } = check.rule {
            let closed = col(schema.fields[discharge].code.as_str()).first().over(key.clone())?.is_not_null();
            let none = col(schema.fields[intervention].code.as_str()).is_null().all(true).over(key.clone())?;
            windows.push(closed.and(none).alias(format!("c:{k}").as_str()));
            closed_checks.push((k, discharge, check));
        }
    }
    let mut earlier = Vec::new();
    for code in &shared {
        let differs = col(format!("d:{code}").as_str());
        m.add(open().and(differs.clone()).and(any_of(earlier.clone()).not()), Severity::Error, "E_EPISODE_DISAGREE", code, "client or episode field differs between rows of one episode", Scope::Episode);
        earlier.push(differs);
    }
    let disagree = open().and(any_of(earlier));
    let mut closed_error = lit(false);
    for (k, discharge, check) in closed_checks {
        let when = open().and(disagree.clone().not()).and(col(format!("c:{k}").as_str()));
        let code = super::expressions::check_code(check.severity, "CLOSED_NO_INTERVENTION");
        m.add(when.clone(), check.severity, &code, &schema.fields[discharge].code, &check.message, Scope::Episode);
        if check.severity == Severity::Error {
            closed_error = closed_error.or(when);
        }
    }
    let mut messages = std::mem::take(&mut m.exprs);
    messages.extend([disagree.alias(DISAGREE), closed_error.fill_null(lit(false)).alias("_closed_error")]);
    let valid = open().and(col(DISAGREE).not()).and(col(ERROR).not()).and(col("_closed_error").not());
    Ok(vec![first, windows, messages, vec![valid.alias(VALID)]])
}

/// Rows (indices into the batch frame) that become records, in row order.
#[derive(Debug, Default)]
pub struct RecordRows {
    pub episodes: Vec<IdxSize>,
    pub person_keys: Vec<Option<String>>,
    pub link_status: Vec<&'static str>,
    pub interventions: Vec<IdxSize>,
    pub tops: Vec<IdxSize>,
    /// The first row of each (file, client) and whether the client consents.
    pub clients: Vec<IdxSize>,
    pub client_consent: Vec<bool>,
    /// Rows with an intervention or TOP id repeated with other values (errors).
    pub repeated_intervention: Vec<bool>,
    pub repeated_top: Vec<bool>,
}

/// One pass in row order over the validated batch: episode, intervention, TOP and client
/// records, and the rows whose intervention or TOP id repeats with other values.
pub fn record_rows(schema: &Schema, key: &AttributorKey, frame: &DataFrame) -> PolarsResult<RecordRows> {
    let code = |role: Role| schema.fields[schema.role(role)].code.clone();
    let strings = |name: &str| -> PolarsResult<&StringChunked> { frame.column(name)?.str() };
    let (client, episode) = (strings(&code(Role::ClientId))?, strings(&code(Role::EpisodeId))?);
    let valid_client = strings(&typed(&code(Role::ClientId)))?;
    let (mod_id, top_id) = (strings(&typed(&code(Role::InterventionId)))?, strings(&typed(&code(Role::TopId)))?);
    let file = frame.column(FILE)?.u32()?;
    let valid = frame.column(VALID)?.bool()?;
    let withdrawn = frame.column(WITHDRAWN)?.bool()?;
    let consented = frame.column(CONSENTED)?.bool()?;
    let no_consent = frame.column(NO_CONSENT)?.bool()?;
    let values_of = |section: Section| -> PolarsResult<Vec<&Column>> {
        schema.fields.iter().filter(|f| f.section == section && f.column.is_some()).map(|f| frame.column(typed(&f.code).as_str())).collect()
    };
    let (mod_values, top_values) = (values_of(Section::Intervention)?, values_of(Section::Top)?);
    let same = |columns: &[&Column], a: usize, b: usize| columns.iter().all(|c| c.get(a).ok() == c.get(b).ok());
    let n = frame.height();
    let mut out = RecordRows { repeated_intervention: vec![false; n], repeated_top: vec![false; n], ..RecordRows::default() };
    let mut groups: HashMap<(u32, &str, &str), usize> = HashMap::new();
    let mut seen_mod: HashMap<(usize, &str), usize> = HashMap::new();
    let mut seen_top: HashMap<(usize, &str), usize> = HashMap::new();
    let mut clients: HashMap<(u32, &str), ()> = HashMap::new();
    for r in 0..n {
        let f = file.get(r).unwrap_or_default();
        if let Some(c) = valid_client.get(r).filter(|_| consented.get(r) == Some(true) || no_consent.get(r) == Some(true)) {
            if clients.insert((f, c), ()).is_none() {
                out.clients.push(r as IdxSize);
                out.client_consent.push(withdrawn.get(r) != Some(true));
            }
        }
        if valid.get(r) != Some(true) {
            continue;
        }
        let (Some(c), Some(e)) = (client.get(r), episode.get(r)) else { continue };
        let next = groups.len();
        let g = *groups.entry((f, c, e)).or_insert(next);
        if g == next {
            out.episodes.push(r as IdxSize);
        }
        let m = mod_id.get(r);
        let t = top_id.get(r);
        let mod_conflict = m.and_then(|m| seen_mod.get(&(g, m))).is_some_and(|&p| !same(&mod_values, p, r));
        let top_conflict = t.and_then(|t| seen_top.get(&(g, t))).is_some_and(|&p| !same(&top_values, p, r));
        if mod_conflict {
            out.repeated_intervention[r] = true;
            continue;
        }
        if top_conflict {
            out.repeated_top[r] = true;
            continue;
        }
        if let Some(m) = m {
            if let std::collections::hash_map::Entry::Vacant(slot) = seen_mod.entry((g, m)) {
                slot.insert(r);
                out.interventions.push(r as IdxSize);
            }
        }
        if let Some(t) = t {
            if let std::collections::hash_map::Entry::Vacant(slot) = seen_top.entry((g, t)) {
                slot.insert(r);
                out.tops.push(r as IdxSize);
            }
        }
    }
    let links = link_people(schema, key, frame, &out.episodes)?;
    (out.person_keys, out.link_status) = links.into_iter().map(|(k, s)| (k, s.as_str())).unzip();
    Ok(out)
}

/// The keyed pseudonym and link status of each episode record's row.
fn link_people(schema: &Schema, key: &AttributorKey, frame: &DataFrame, rows: &[IdxSize]) -> PolarsResult<Vec<(Option<String>, LinkStatus)>> {
    let v = |role: Role| frame.column(typed(&schema.fields[schema.role(role)].code).as_str());
    let (fi, si, sex) = (v(Role::FInitial)?.str()?, v(Role::SInitial)?.str()?, v(Role::Sex)?.str()?);
    let dob = v(Role::Dob)?.date()?.physical();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    Ok(rows
        .par_iter()
        .map(|&r| {
            let r = r as usize;
            let dob = dob.get(r).and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d as i64)));
            match (fi.get(r), si.get(r), dob, sex.get(r)) {
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
            }
        })
        .collect())
}

//! What a validated file gives the warehouse: its clients (with consent),
//! episodes, interventions and TOP records as polars frames whose columns
//! are named as the warehouse's (`client_id`, `person_key`, `refld`, ...),
//! typed (text, date, whole number, true/false). The agency and the
//! submission id are added when the file is applied.

use polars::prelude::*;

use super::episodes::RecordRows;
use super::expressions::{typed, FILE};
use crate::schema::{Role, Schema, Section};

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
#[derive(Debug, Clone, Default)]
pub struct FileRecords {
    /// `client_id`, `consent` (false when any row of the client says N).
    pub clients: DataFrame,
    /// `client_id`, `episode_id`, `person_key`, `link_status`, `year_of_birth`, the ages and
    /// the episode's stored fields.
    pub episodes: DataFrame,
    /// `client_id`, `episode_id`, `mod_id`, `age_at_modst` and the intervention's fields.
    pub interventions: DataFrame,
    /// `client_id`, `episode_id`, `top_id` and the TOP's fields.
    pub tops: DataFrame,
}

impl FileRecords {
    /// Clients whose consent the file withdraws.
    pub fn withdrawals(&self) -> usize {
        self.clients.column("consent").ok().and_then(|c| c.bool().ok().map(|b| b.sum().map_or(0, |s| b.len() - s as usize))).unwrap_or(0)
    }
}

/// The batch's records, one frame per table with the `_file` column; [`split`] cuts them
/// per file.
pub struct BatchRecords {
    clients: DataFrame,
    episodes: DataFrame,
    interventions: DataFrame,
    tops: DataFrame,
}

impl BatchRecords {
    /// Gathers the record rows out of the validated batch frame.
    pub fn gather(schema: &Schema, frame: &DataFrame, rows: RecordRows) -> PolarsResult<BatchRecords> {
        let columns = Columns::from_schema(schema);
        let code = |role: Role| schema.fields[schema.role(role)].code.clone();
        let keys = || vec![col(FILE), col(code(Role::ClientId).as_str()).alias("client_id"), col(code(Role::EpisodeId).as_str()).alias("episode_id")];
        let stored = |list: &[(String, usize)]| -> Vec<Expr> { list.iter().map(|(c, i)| col(typed(&schema.fields[*i].code).as_str()).alias(c.as_str())).collect() };
        let take = |idx: Vec<IdxSize>, exprs: Vec<Expr>| -> PolarsResult<DataFrame> {
            let idx = IdxCa::from_vec("idx".into(), idx);
            frame.clone().lazy().select(exprs).collect()?.take(&idx)
        };
        let mut episode_exprs = keys();
        episode_exprs.extend([col("year_of_birth"), col("age_at_referral"), col("age_at_triage")]);
        episode_exprs.extend(stored(&columns.episode));
        let mut episodes = take(rows.episodes, episode_exprs)?;
        episodes.with_column(Column::new("person_key".into(), rows.person_keys))?;
        episodes.with_column(Column::new("link_status".into(), rows.link_status))?;
        let mut intervention_exprs = keys();
        intervention_exprs.push(col(typed(&code(Role::InterventionId)).as_str()).alias("mod_id"));
        intervention_exprs.push(col("age_at_modst"));
        intervention_exprs.extend(stored(&columns.intervention));
        let mut top_exprs = keys();
        top_exprs.push(col(typed(&code(Role::TopId)).as_str()).alias("top_id"));
        top_exprs.extend(stored(&columns.top));
        let mut clients = take(rows.clients, vec![col(FILE), col(code(Role::ClientId).as_str()).alias("client_id")])?;
        clients.with_column(Column::new("consent".into(), rows.client_consent))?;
        Ok(BatchRecords {
            clients,
            episodes,
            interventions: take(rows.interventions, intervention_exprs)?,
            tops: take(rows.tops, top_exprs)?,
        })
    }

    /// The records of each of `n_files` files (rows are in file order).
    pub fn split(self, n_files: usize) -> PolarsResult<Vec<FileRecords>> {
        let cut = |frame: &DataFrame| -> PolarsResult<Vec<DataFrame>> {
            file_ranges(frame.column(FILE)?.u32()?, n_files).into_iter().map(|r| frame.slice(r.start as i64, r.len()).drop(FILE)).collect()
        };
        let (c, e, i, t) = (cut(&self.clients)?, cut(&self.episodes)?, cut(&self.interventions)?, cut(&self.tops)?);
        Ok(c.into_iter()
            .zip(e)
            .zip(i)
            .zip(t)
            .map(|(((clients, episodes), interventions), tops)| FileRecords { clients, episodes, interventions, tops })
            .collect())
    }
}

/// The rows of each of `n_files` files in a frame of stacked files (files are stacked in order).
pub fn file_ranges(file: &UInt32Chunked, n_files: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::with_capacity(n_files);
    let mut start = 0usize;
    for f in 0..n_files as u32 {
        let mut end = start;
        while end < file.len() && file.get(end) == Some(f) {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

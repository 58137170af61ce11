//! Validating a batch of provider files together, as NDTMS does it: each
//! file is checked whole (name, agency, structure, header, AGNCY) and parsed
//! once; the parsed files are stacked into one frame and the row checks
//! ([`expressions`](super::expressions)) and episode checks
//! ([`episodes`](super::episodes)) run over it as column expressions; one
//! pass in row order then finds the records. Every result is per file:
//! rows of one file never meet another's (every group is keyed by file).

use std::ops::Range;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;

use super::episodes::{episode_plan, record_rows};
use super::expressions::{row_plan, MessageColumn, Scope, ADULT, FILE, PERIOD_END};
use super::messages::Tally;
use super::records::{file_ranges, BatchRecords};
use super::scan;
use super::submission::SubmissionName;
use super::{header_positions, row_list, IngestContext, Rejection, ValidatedFile};
use crate::schema::{Role, Severity};

/// The file row number (1 = header) of data row `r` (0-based).
pub fn file_row(r: usize) -> usize {
    r + 2
}

/// A file that passed the whole-file rules, parsed.
struct Parsed {
    name: SubmissionName,
    adult: bool,
    frame: DataFrame,
}

/// Validates files given as (path, bytes); one result per input, in input order.
pub fn validate_batch(ctx: &IngestContext<'_>, inputs: Vec<(PathBuf, Vec<u8>)>) -> Vec<Result<ValidatedFile, Rejection>> {
    let parsed: Vec<Result<Parsed, Rejection>> = inputs.into_par_iter().map(|(path, bytes)| parse_file(ctx, &path, bytes)).collect();
    let mut ok = Vec::new();
    let mut results: Vec<Option<Result<ValidatedFile, Rejection>>> = Vec::with_capacity(parsed.len());
    for (i, p) in parsed.into_iter().enumerate() {
        match p {
            Ok(p) => {
                ok.push((i, p));
                results.push(None);
            }
            Err(r) => results.push(Some(Err(r))),
        }
    }
    let (slots, files): (Vec<usize>, Vec<Parsed>) = ok.into_iter().unzip();
    let validated = match validate_parsed(ctx, &files) {
        Ok(v) => v.into_iter().map(Ok).collect(),
        // A failure of the checks themselves: each file alone, so only its own file fails.
        Err(_) if files.len() > 1 => files
            .into_iter()
            .map(|f| validate_parsed(ctx, std::slice::from_ref(&f)).map(|mut v| v.remove(0)).map_err(|e| Rejection::Parse(e.to_string())))
            .collect(),
        Err(e) => files.iter().map(|_| Err(Rejection::Parse(e.to_string()))).collect::<Vec<_>>(),
    };
    for (slot, v) in slots.into_iter().zip(validated) {
        results[slot] = Some(v);
    }
    results.into_iter().map(|r| r.expect("every input has a result")).collect()
}

/// The whole-file rules and the one parse of a file.
fn parse_file(ctx: &IngestContext<'_>, path: &Path, bytes: Vec<u8>) -> Result<Parsed, Rejection> {
    let name = SubmissionName::parse(path).map_err(Rejection::Name)?;
    if (name.year, name.month) > ctx.latest_month {
        let (y, m) = ctx.latest_month;
        return Err(Rejection::FutureMonth { month: name.month_label(), latest: format!("{y:04}-{m:02}") });
    }
    let agency = ctx.agencies.get(&name.agency).ok_or_else(|| Rejection::UnknownAgency(name.agency.clone()))?;
    let body = scan::strip_bom(&bytes);
    let structure = scan::scan(body).map_err(|e| Rejection::Structure(e.to_string()))?;
    header_positions(ctx.schema, &structure.header)?;
    let body = structure.without_blank_lines(body);
    let frame = super::read::parse(&body, &structure.header).map_err(|e| Rejection::Parse(e.to_string()))?;
    if frame.height() != structure.data_rows {
        return Err(Rejection::Parse(format!("parser found {} rows where the scan found {}", frame.height(), structure.data_rows)));
    }
    let codes: Vec<&str> = ctx.schema.fields.iter().map(|f| f.code.as_str()).collect();
    let frame = frame.select(codes).map_err(|e| Rejection::Parse(e.to_string()))?;
    let agency_code = &ctx.schema.fields[ctx.schema.role(Role::Agency)].code;
    let agncy = frame.column(agency_code).and_then(|c| c.str().cloned()).map_err(|e| Rejection::Parse(e.to_string()))?;
    let repeated = repeated_header_rows(&frame, &agncy, agency_code);
    if !repeated.is_empty() {
        return Err(Rejection::Structure(format!(
            "row(s) {} repeat the header row (a duplicated header row, as when two exports are joined); remove them and check the rest of the file",
            row_list(&repeated)
        )));
    }
    let differs = |s: &str| -> bool {
        let a = s.trim_matches(|c: char| c == ' ' || c == '\r' || c == '\t');
        !a.is_empty() && a != name.agency
    };
    let mismatched: Vec<usize> = (0..frame.height())
        .filter(|&r| agncy.get(r).is_some_and(differs))
        .map(file_row)
        .collect();
    if !mismatched.is_empty() {
        return Err(Rejection::AgencyMismatch { agency: name.agency.clone(), rows: row_list(&mismatched) });
    }
    Ok(Parsed { adult: agency.is_adult(), name, frame })
}

/// File rows (1 = header) that are the header row again: every value its column's field code.
fn repeated_header_rows(frame: &DataFrame, agncy: &StringChunked, agency_code: &str) -> Vec<usize> {
    let same = |c: &Column, r: usize| c.str().ok().and_then(|s| s.get(r)).is_some_and(|v| v.trim() == c.name().as_str());
    (0..frame.height())
        .filter(|&r| agncy.get(r).is_some_and(|v| v.trim() == agency_code))
        .filter(|&r| frame.columns().iter().all(|c| same(c, r)))
        .map(file_row)
        .collect()
}

/// The row and episode checks over the stacked files, then records and messages per file.
fn validate_parsed(ctx: &IngestContext<'_>, files: &[Parsed]) -> PolarsResult<Vec<ValidatedFile>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let la_codes: Vec<String> = ctx.geography.all_las().map(|la| la.code.clone()).collect();
    let mut plan = row_plan(ctx.schema, &la_codes);
    let episode_stages = episode_plan(ctx.schema, &mut plan.messages)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let frames: Vec<LazyFrame> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let end = (f.name.period().end - epoch).num_days() as i32;
            f.frame.clone().lazy().with_columns([lit(i as u32).cast(DataType::UInt32).alias(FILE), lit(end).cast(DataType::Date).alias(PERIOD_END), lit(f.adult).alias(ADULT)])
        })
        .collect();
    let mut lazy = concat(frames, UnionArgs { rechunk: true, ..UnionArgs::default() })?;
    for stage in plan.stages.into_iter().chain(episode_stages) {
        lazy = lazy.with_columns(stage);
    }
    let mut frame = lazy.collect()?;
    frame.rechunk_mut_par();
    let rows = record_rows(ctx.schema, ctx.key, &frame)?;
    let mut messages: Vec<(MessageColumn, BooleanChunked)> = Vec::new();
    for m in &plan.messages.columns {
        messages.push((m.clone(), frame.column(m.column.as_str())?.bool()?.clone()));
    }
    for (role, what, flags) in [(Role::InterventionId, "intervention", &rows.repeated_intervention), (Role::TopId, "TOP", &rows.repeated_top)] {
        let field = ctx.schema.fields[ctx.schema.role(role)].code.clone();
        let column = MessageColumn {
            column: format!("m:repeated_{what}"),
            severity: Severity::Error,
            code: "E_DUPLICATE_ID".into(),
            field,
            message: format!("{what} id repeated with different values"),
            scope: Scope::Episode,
        };
        messages.push((column, BooleanChunked::from_slice("repeated".into(), flags)));
    }
    let ranges = file_ranges(frame.column(FILE)?.u32()?, files.len());
    let any = |severity: Severity| {
        messages.iter().filter(|(m, _)| m.severity == severity).fold(BooleanChunked::full("any".into(), false, frame.height()), |a, (_, b)| &a | b)
    };
    let (errors, warnings) = (any(Severity::Error), any(Severity::Warning));
    let flagged = &errors | &warnings;
    let client = frame.column(ctx.schema.fields[ctx.schema.role(Role::ClientId)].code.as_str())?.str()?.clone();
    let episode = frame.column(ctx.schema.fields[ctx.schema.role(Role::EpisodeId)].code.as_str())?.str()?.clone();
    let tallies = tally_files(&messages, &ranges, &client, &episode);
    let records = BatchRecords::gather(ctx.schema, &frame, rows)?.split(files.len())?;
    Ok(files
        .iter()
        .zip(ranges)
        .zip(tallies.into_iter().zip(records))
        .map(|((f, range), (tally, records))| {
            let len = range.len();
            let count = |ca: &BooleanChunked| ca.slice(range.start as i64, len).sum().unwrap_or(0) as u64;
            ValidatedFile {
                name: f.name.clone(),
                rows_total: len as u64,
                rows_loaded: len as u64 - count(&errors),
                rows_clean: len as u64 - count(&flagged),
                messages: tally.into_summaries(),
                records,
            }
        })
        .collect())
}

/// Each file's messages with their counts and first example rows. Row checks give examples in
/// row order; episode checks in the order they visit episodes (by client id, episode id).
fn tally_files(messages: &[(MessageColumn, BooleanChunked)], ranges: &[Range<usize>], client: &StringChunked, episode: &StringChunked) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = ranges.iter().map(|_| Tally::default()).collect();
    for (m, flags) in messages {
        if flags.sum().unwrap_or(0) == 0 {
            continue;
        }
        for (range, tally) in ranges.iter().zip(tallies.iter_mut()) {
            let mut rows: Vec<usize> = range.clone().filter(|&r| flags.get(r) == Some(true)).collect();
            if rows.is_empty() {
                continue;
            }
            if m.scope == Scope::Episode {
                rows.sort_by(|&a, &b| (client.get(a), episode.get(a), a).cmp(&(client.get(b), episode.get(b), b)));
            }
            let examples: Vec<usize> = rows.iter().take(super::messages::EXAMPLE_ROWS).map(|&r| file_row(r - range.start)).collect();
            tally.add_many(m.severity, &m.code, &m.field, &m.message, rows.len() as u64, &examples);
        }
    }
    tallies
}

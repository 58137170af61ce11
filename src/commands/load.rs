//! `ndtms-stats load`: validate provider extracts and load them into the
//! warehouse, one transaction per file, in submission-month order, then
//! write the data-quality report of the run.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::dq;
use crate::geography::Geography;
use crate::ingest::{self, Agencies, AttributorKey, IngestContext, Rejection, SubmissionName};
use crate::progress::Progress;
use crate::schema::Schema;
use crate::warehouse::load::{Outcome, SubmissionResult};
use crate::warehouse::Warehouse;

/// Files validated at once (in parallel) before they are applied in order.
const BATCH: usize = 8;

/// Arguments of `ndtms-stats load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Extract files (`<AGNCY>_<YYYY-MM>.csv`) or folders of them.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The agency reference file (default: agencies.csv in the first input folder).
    #[arg(long)]
    pub agencies: Option<PathBuf>,
    /// The warehouse file (created if missing).
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// File holding the attributor key (else the NDTMS_STATS_KEY environment variable).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Dataset schema file (default: the built-in CDS-P schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Folder for the data-quality report of this run.
    #[arg(long, default_value = "dq-report")]
    pub dq_out: PathBuf,
}

/// What a load run did.
#[derive(Debug)]
pub struct LoadSummary {
    pub results: Vec<SubmissionResult>,
    pub totals: dq::RunTotals,
    pub report_dir: PathBuf,
}

/// Runs the command: loads, prints a summary, fails (non-zero exit) if any file was rejected.
pub fn run(args: &LoadArgs) -> Result<()> {
    let summary = load(args, &Progress::bar("loading", 0))?;
    let t = &summary.totals;
    println!(
        "{} files: {} loaded, {} unchanged, {} superseded, {} rejected; {} rows, load {}%, DQ {}%",
        t.files, t.loaded, t.unchanged, t.superseded, t.rejected, t.rows, t.load_pct, t.dq_pct
    );
    println!("data-quality report: {}", summary.report_dir.join("index.html").display());
    let rejected: Vec<&SubmissionResult> = summary.results.iter().filter(|r| r.outcome == Outcome::Rejected).collect();
    if !rejected.is_empty() {
        for r in &rejected {
            eprintln!("rejected {}: {}", r.file_name, r.reject_reason.as_deref().unwrap_or(""));
        }
        bail!("{} of {} files were rejected (the others were loaded)", rejected.len(), t.files);
    }
    Ok(())
}

/// Loads every input file; returns the ledger entries of the run and the report location.
pub fn load(args: &LoadArgs, progress: &Progress) -> Result<LoadSummary> {
    let schema = match &args.schema {
        Some(p) => Schema::load(p)?,
        None => Schema::builtin(),
    };
    let key = AttributorKey::resolve(args.key_file.as_deref())?;
    let files = collect_files(&args.inputs)?;
    let agencies_path = match &args.agencies {
        Some(p) => p.clone(),
        None => default_agencies(&args.inputs)?,
    };
    let agencies = Agencies::load(&agencies_path)?;
    let geography = Geography::embedded();
    let mut wh = Warehouse::open(&args.warehouse)?;
    wh.check_key(&key.fingerprint())?;
    wh.record_agencies(&agencies).context("recording the agencies")?;
    let staging = wh.prepare_staging()?;
    wh.run_statement("begin_run")?;
    let ctx = IngestContext { schema: &schema, geography: &geography, agencies: &agencies, key: &key };
    progress.set_length(files.len() as u64);
    let mut results = Vec::with_capacity(files.len());
    let mut withdrawals = false;
    // Validation (parallel, CPU) of the next batch overlaps the warehouse writes of this one;
    // files are still applied one by one in order, each in its own transaction.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ctx = &ctx;
        let files = &files;
        scope.spawn(move || {
            for batch in files.chunks(BATCH) {
                let validated: Vec<_> = batch.par_iter().map(|f| validate_one(ctx, f)).collect();
                if tx.send((batch, validated)).is_err() {
                    return; // the writer stopped on an error
                }
            }
        });
        for (batch, validated) in rx {
            for (file, outcome) in batch.iter().zip(validated) {
                let display = file.display().to_string();
                let result = match outcome {
                    Validation::Ok(sha, v) => {
                        let applied = wh.apply_submission(&schema, &staging, &display, &sha, &v);
                        let withdraws = v.records.clients.iter().any(|(_, consent)| !consent);
                        withdrawals |= withdraws && applied.as_ref().is_ok_and(|r| r.outcome == Outcome::Loaded);
                        applied
                    }
                    Validation::Rejected(sha, name, reason) => wh.record_rejection(&display, &sha, name.as_ref(), &reason),
                }
                .with_context(|| format!("loading {display}; files before it are loaded, this one changed nothing"))?;
                results.push(result);
                progress.inc(1);
            }
        }
        Ok(())
    })?;
    wh.run_statement("end_run")?;
    if withdrawals {
        // Consent withdrawn: rewrite the file so no byte of the removed records remains.
        progress.set_message("removing withdrawn records from the file");
        wh.compact().context("rewriting the warehouse after consent withdrawals")?;
    }
    progress.finish();
    let totals = dq::write_report(&args.dq_out, &args.warehouse, &results)?;
    Ok(LoadSummary { results, totals, report_dir: args.dq_out.clone() })
}

enum Validation {
    Ok(String, ingest::ValidatedFile),
    Rejected(String, Option<SubmissionName>, String),
}

fn validate_one(ctx: &IngestContext<'_>, path: &Path) -> Validation {
    let name = SubmissionName::parse(path).ok();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Validation::Rejected(String::new(), name, format!("cannot read the file: {e}")),
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    match ingest::validate_file(ctx, path, bytes) {
        Ok(v) => Validation::Ok(sha, v),
        Err(rejection) => Validation::Rejected(sha, name, rejection_text(&rejection)),
    }
}

fn rejection_text(r: &Rejection) -> String {
    r.to_string()
}

/// Expands folders into their extract files, sorted by (month, agency, path); missing inputs are errors.
pub fn collect_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input).with_context(|| format!("cannot read folder {}", input.display()))?;
            for entry in entries {
                let path = entry.with_context(|| format!("cannot read folder {}", input.display()))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if !name.ends_with(".csv") || name == "agencies.csv" {
                    continue;
                }
                if !path.is_file() {
                    bail!("{} is not a readable file (a folder, or a link to nothing)", path.display());
                }
                files.push(path);
            }
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            bail!("input {} does not exist", input.display());
        }
    }
    files.sort_by_key(|p| {
        let key = SubmissionName::parse(p).map(|n| (n.year, n.month, n.agency)).unwrap_or((0, 0, String::new()));
        (key, p.clone())
    });
    files.dedup();
    if files.is_empty() {
        let shown: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        bail!("no extract files (<AGNCY>_<YYYY-MM>.csv) in {}", shown.join(", "));
    }
    Ok(files)
}

fn default_agencies(inputs: &[PathBuf]) -> Result<PathBuf> {
    let first = &inputs[0];
    let dir = if first.is_dir() { first.clone() } else { first.parent().map(Path::to_path_buf).unwrap_or_default() };
    let candidate = dir.join("agencies.csv");
    if candidate.is_file() {
        Ok(candidate)
    } else {
        bail!("no agencies file: {} does not exist; pass --agencies FILE", candidate.display())
    }
}

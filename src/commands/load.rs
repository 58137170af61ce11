//! `ndtms-stats load`: validate provider extracts and load them into the
//! warehouse, one transaction per file, in submission-month order, then
//! write the data-quality report of the run. Every input is accounted for:
//! loaded (or unchanged, superseded), rejected with its reason, or ignored
//! with its reason.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::dq;
use crate::geography::Geography;
use crate::ingest::timings::{Phase, Timings};
use crate::ingest::{self, inputs, Agencies, AttributorKey, IngestContext, Rejection, SubmissionName};
use crate::progress::Progress;
use crate::schema::Schema;
use crate::warehouse::load::{Outcome, ShrinkGuard, SubmissionResult};
use crate::warehouse::Warehouse;

/// Files are validated together, a batch at a time, up to about this many bytes (or
/// [`BATCH_FILES`] files), while the batch before is applied.
const BATCH_BYTES: u64 = 32 << 20;
const BATCH_FILES: usize = 256;

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
    /// Print where the time went, per phase (read, validate, stage, apply, checkpoint).
    #[arg(long)]
    pub timings: bool,
    /// Load as of this month (YYYY-MM), for replaying history: files of later months are
    /// rejected (default: the current month).
    #[arg(long, value_parser = crate::commands::synth::parse_month)]
    pub as_of: Option<(i32, u32)>,
    /// Apply a resubmission of this agency even if it removes many of its episodes (repeatable).
    #[arg(long = "allow-shrink", value_name = "AGENCY")]
    pub allow_shrink: Vec<String>,
    /// A resubmission that would remove more than this percentage of the agency's episodes in
    /// its reporting period (neither carried again nor withdrawn) is held, not applied.
    #[arg(long, default_value_t = 50.0, value_parser = parse_percent)]
    pub max_shrink: f64,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage from 0 to 100, got {s:?}")),
    }
}

/// What a load run did.
#[derive(Debug)]
pub struct LoadSummary {
    pub results: Vec<SubmissionResult>,
    pub totals: dq::RunTotals,
    pub report_dir: PathBuf,
    /// Entries of the inputs that are not extracts, with the reason.
    pub ignored: Vec<(String, String)>,
    /// Time per phase of the run.
    pub timings: Timings,
}

/// Runs the command: loads, prints a summary, fails (non-zero exit) if any file was rejected.
pub fn run(args: &LoadArgs) -> Result<()> {
    let summary = load(args, &Progress::bar("loading", 0))?;
    let t = &summary.totals;
    println!(
        "{} files: {} loaded, {} unchanged, {} superseded, {} rejected; {} ignored; {} rows, load {}%, DQ {}%",
        t.files, t.loaded, t.unchanged, t.superseded, t.rejected, t.ignored, t.rows, t.load_pct, t.dq_pct
    );
    for (path, reason) in &summary.ignored {
        println!("ignored {path}: {reason}");
    }
    println!("data-quality report: {}", summary.report_dir.join("index.html").display());
    if args.timings {
        print!("timings:\n{}", summary.timings.report(t.rows));
    }
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
    let timings = Timings::new();
    let schema = match &args.schema {
        Some(p) => Schema::load(p)?,
        None => Schema::builtin(),
    };
    let key = AttributorKey::resolve(args.key_file.as_deref())?;
    let inputs = inputs::collect(&args.inputs, args.agencies.as_deref());
    if inputs.extracts.is_empty() && inputs.rejected.is_empty() {
        let shown: Vec<String> = args.inputs.iter().map(|p| p.display().to_string()).collect();
        bail!("no extract files (<AGNCY>_<YYYY-MM>.csv) in {}", shown.join(", "));
    }
    let files = &inputs.extracts;
    let agencies_path = match &args.agencies {
        Some(p) => p.clone(),
        None => default_agencies(&args.inputs)?,
    };
    let agencies = Agencies::load(&agencies_path)?;
    let geography = Geography::embedded();
    let mut wh = Warehouse::open(&args.warehouse)?;
    wh.check_key(&key.fingerprint())?;
    wh.record_agencies(&agencies).context("recording the agencies")?;
    let mut state = wh.begin_load()?;
    state.shrink = ShrinkGuard { max_share: args.max_shrink / 100.0, allowed: args.allow_shrink.iter().cloned().collect() };
    wh.run_statement("begin_run")?;
    let latest_month = args.as_of.unwrap_or_else(|| {
        let today = chrono::Local::now().date_naive();
        (chrono::Datelike::year(&today), chrono::Datelike::month(&today))
    });
    let ctx = IngestContext { schema: &schema, geography: &geography, agencies: &agencies, key: &key, latest_month };
    progress.set_length(inputs.len() as u64);
    let mut results = Vec::with_capacity(inputs.len());
    for (path, reason) in &inputs.rejected {
        let display = path.display().to_string();
        results.push(wh.record_rejection(&display, "", SubmissionName::parse(path).ok().as_ref(), reason)?);
        progress.inc(1);
    }
    // Validation (parallel, CPU) of the next batch overlaps the warehouse writes of this one;
    // files are still applied one by one in order, each in its own transaction.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (ctx, timings) = (&ctx, &timings);
        scope.spawn(move || {
            for batch in batches(files) {
                if tx.send((batch, validate(ctx, batch, timings))).is_err() {
                    return; // the writer stopped on an error
                }
            }
        });
        for (batch, validated) in rx {
            for (file, outcome) in batch.iter().zip(validated) {
                let display = file.display().to_string();
                let result = match outcome {
                    Validation::Ok(sha, v) => wh.apply_submission(&mut state, &display, &sha, &v, timings),
                    Validation::Rejected(sha, name, reason) => wh.record_rejection(&display, &sha, name.as_ref(), &reason),
                }
                .with_context(|| format!("loading {display}; files before it are loaded, this one changed nothing"))?;
                results.push(result);
                progress.inc(1);
            }
        }
        Ok(())
    })?;
    let checkpoint = std::time::Instant::now();
    wh.run_statement("end_run")?;
    if state.withdrew_stored {
        // Consent withdrawn from stored records: rewrite the file so no byte of them remains.
        // (The withdrawn rows of the run's own files were never written.)
        progress.set_message("removing withdrawn records from the file");
        wh.compact().context("rewriting the warehouse after consent withdrawals")?;
    }
    timings.add(Phase::Checkpoint, checkpoint.elapsed());
    progress.finish();
    let ignored: Vec<(String, String)> = inputs.ignored.iter().map(|(p, r)| (p.display().to_string(), r.clone())).collect();
    progress.inc(ignored.len() as u64);
    let totals = dq::write_report(&args.dq_out, &args.warehouse, &results, &ignored)?;
    Ok(LoadSummary { results, totals, report_dir: args.dq_out.clone(), ignored, timings })
}

enum Validation {
    Ok(String, ingest::ValidatedFile),
    Rejected(String, Option<SubmissionName>, String),
}

/// Consecutive runs of files of about [`BATCH_BYTES`] together.
fn batches(files: &[PathBuf]) -> Vec<&[PathBuf]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        bytes += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if bytes >= BATCH_BYTES || i + 1 - start >= BATCH_FILES || i + 1 == files.len() {
            out.push(&files[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    out
}

/// Reads a batch (in parallel) and validates the files that could be read, together.
fn validate(ctx: &IngestContext<'_>, batch: &[PathBuf], timings: &Timings) -> Vec<Validation> {
    let read: Vec<Result<(String, Vec<u8>), String>> = batch
        .par_iter()
        .map(|path| timings.time(Phase::Read, || std::fs::read(path).map(|b| (hex::encode(Sha256::digest(&b)), b)).map_err(|e| format!("cannot read the file: {e}"))))
        .collect();
    let mut outcomes: Vec<Result<String, String>> = Vec::with_capacity(batch.len());
    let mut inputs = Vec::new();
    for (path, r) in batch.iter().zip(read) {
        match r {
            Ok((sha, bytes)) => {
                outcomes.push(Ok(sha));
                inputs.push((path.clone(), bytes));
            }
            Err(reason) => outcomes.push(Err(reason)),
        }
    }
    let mut validated = timings.time(Phase::Validate, || ingest::validate_batch(ctx, inputs)).into_iter();
    batch
        .iter()
        .zip(outcomes)
        .map(|(path, read)| {
            let name = SubmissionName::parse(path).ok();
            match read {
                Err(reason) => Validation::Rejected(String::new(), name, reason),
                Ok(sha) => match validated.next().expect("a result per file read") {
                    Ok(v) => Validation::Ok(sha, v),
                    Err(rejection) => Validation::Rejected(sha, name, rejection_text(&rejection)),
                },
            }
        })
        .collect()
}

fn rejection_text(r: &Rejection) -> String {
    r.to_string()
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

//! `ndtms-stats synth`: a deterministic synthetic universe of agencies,
//! people, treatment journeys and monthly provider extracts in exactly the
//! input format of extract-format.md, calibrated on the national series
//! (see [`cohorts`]), with optional injected faults listed in `faults.json`.
//!
//! Output folder (ready for `ndtms-stats load <folder>`): `agencies.csv`,
//! `<AGNCY>_<YYYY-MM>.csv` (one per agency and submission month), `faults.json`, `demo.key` (an attributor key for
//! synthetic data only) and `demo-warehouse.key` (a warehouse key, likewise). Existing files named like extracts are removed
//! first so that a folder never mixes runs. The same seed and settings give byte-identical
//! output: every person and every episode has its own random stream.

pub mod agencies;
pub mod cohorts;
pub mod episodes;
pub mod fault_kind;
pub mod faults;
pub mod journeys;
pub mod model;
pub mod names;
pub mod output;
pub mod period;
pub mod population;
pub mod rng;
pub mod rows;
pub mod specialist;
pub mod write;
pub mod young_and_secure;

#[cfg(test)]
mod checks;

use std::path::PathBuf;

use rayon::prelude::*;

use crate::geography::Geography;
use agencies::Directory;
use cohorts::{Plan, World};
use journeys::Calendar;
use model::Episode;
use period::SubmissionMonth;
use population::ClientFaultRates;

/// Settings of one synthetic run.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub out_dir: PathBuf,
    pub seed: u64,
    /// Approximate number of adults in treatment in the latest full financial year.
    pub people: usize,
    /// About the share of rows given a row-level fault (0 = clean data, no rejected files,
    /// no consent or attributor irregularities); client-level rates scale with it.
    pub fault_rate: f64,
    /// The latest submission month (year, month).
    pub latest_month: (i32, u32),
    /// Number of consecutive monthly submissions per agency, ending at the latest month.
    pub months: u32,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct SynthSummary {
    pub agencies: usize,
    /// Every extract written (including the deliberately rejected ones).
    pub files: Vec<PathBuf>,
    pub rows: u64,
    /// People in the universe (including twins).
    pub people: usize,
    pub episodes: usize,
    pub agencies_csv: PathBuf,
    pub faults_json: PathBuf,
    pub demo_key: PathBuf,
    /// The demo warehouse key (`demo-warehouse.key`), for `--warehouse-key-file`.
    pub demo_warehouse_key: PathBuf,
    /// Rows carrying an injected fault (files rejected whole excluded).
    pub faulty_rows: u64,
    pub rejected_files: Vec<String>,
}

/// Counts over the whole generated universe (before the monthly views), for linkage tests.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UniverseCounts {
    pub people: usize,
    pub episodes: usize,
    /// Second twins (same initials, date of birth and sex as another person).
    pub twins: usize,
    /// Episodes recorded under a second CLIENTID of the same person at the same agency.
    pub second_client_ids: usize,
    /// Inpatient episodes running alongside a community episode (two agencies at once).
    pub concurrent_episodes: usize,
}

/// Failures of a synthetic run, with the path or setting concerned.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid synth setting {setting}: {reason}")]
    InvalidConfig {
        setting: &'static str,
        reason: String,
    },
    #[error("cannot create folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read folder {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot remove stale extract {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("cannot encode {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn validate(cfg: &SynthConfig) -> Result<SubmissionMonth, SynthError> {
    let bad = |setting, reason: &str| SynthError::InvalidConfig {
        setting,
        reason: reason.to_string(),
    };
    if cfg.people == 0 || cfg.people > 20_000_000 {
        return Err(bad("people", "must be between 1 and 20,000,000"));
    }
    if !(0.0..=0.5).contains(&cfg.fault_rate) {
        return Err(bad("fault-rate", "must be between 0 and 0.5"));
    }
    if cfg.months == 0 || cfg.months > 60 {
        return Err(bad("months", "must be between 1 and 60"));
    }
    let (y, m) = cfg.latest_month;
    if !(2000..=2100).contains(&y) {
        return Err(bad("month", "year must be between 2000 and 2100"));
    }
    SubmissionMonth::new(y, m).ok_or_else(|| bad("month", "month must be 1-12"))
}

/// Generates the universe and writes it to `cfg.out_dir`; `progress(done, total)` is called from this thread.
pub fn generate(
    cfg: &SynthConfig,
    progress: &dyn Fn(u64, u64),
) -> Result<SynthSummary, SynthError> {
    let latest = validate(cfg)?;
    let geo = Geography::embedded();
    let dir = Directory::build(&geo, cfg.seed);
    let months: Vec<SubmissionMonth> = (0..cfg.months).rev().map(|k| latest.minus(k)).collect();
    let (year_start, year_end) = period::calibration_year(latest);
    let earliest = months
        .iter()
        .map(|m| m.period_start())
        .min()
        .unwrap_or(year_start);
    let cal = Calendar {
        year_start,
        year_end,
        horizon: latest.end(),
        earliest,
    };
    let plan = Plan::new(cfg.people, &cal);
    let london_region = geo.regions().position(|(_, name)| name == "London");
    let world = World {
        dir: &dir,
        cal,
        weights: dir.residence_weights(),
        rates: ClientFaultRates::at(cfg.fault_rate),
        seed: cfg.seed,
        london_region,
    };
    let files_total = (dir.agencies.len() * months.len() + 1) as u64;
    let total = plan.slots() as u64 + files_total;

    let mut by_agency: Vec<Vec<Episode>> = vec![Vec::new(); dir.agencies.len()];
    let mut universe = UniverseCounts::default();
    let chunk = 8192;
    let mut done = 0u64;
    for lo in (0..plan.slots()).step_by(chunk) {
        let hi = (lo + chunk).min(plan.slots());
        let generated: Vec<Vec<Episode>> = (lo..hi)
            .into_par_iter()
            .map(|s| world.slot(&plan, s))
            .collect();
        for eps in generated {
            let mut uids: Vec<u32> = eps.iter().map(|e| e.person.uid).collect();
            uids.dedup();
            universe.people += uids.len();
            universe.twins += uids.iter().filter(|u| *u % 2 == 1).count();
            universe.episodes += eps.len();
            for e in eps {
                let a = e.agency as usize;
                universe.second_client_ids += e.alt_client as usize;
                if dir.agencies[a].kind == agencies::ServiceKind::Inpatient {
                    universe.concurrent_episodes += 1;
                }
                by_agency[a].push(e);
            }
        }
        done += (hi - lo) as u64;
        progress(done, total);
    }
    by_agency.par_iter_mut().enumerate().for_each(|(a, eps)| {
        eps.sort_by_key(|e| {
            let ids = rows::client_ids("", a, e);
            (ids.number / 100, e.alt_client, e.number)
        })
    });
    output::write_all(
        cfg,
        &output::Generated {
            dir: &dir,
            months: &months,
            by_agency: &by_agency,
            universe: &universe,
        },
        done,
        total,
        progress,
    )
    .map(|w| SynthSummary {
        agencies: dir.agencies.len(),
        files: w.files,
        rows: w.rows,
        people: universe.people,
        episodes: universe.episodes,
        agencies_csv: w.agencies_csv,
        faults_json: w.faults_json,
        demo_key: w.demo_key,
        demo_warehouse_key: w.demo_warehouse_key,
        faulty_rows: w.faulty_rows,
        rejected_files: w.rejected_files,
    })
}

#[cfg(test)]
mod tests;

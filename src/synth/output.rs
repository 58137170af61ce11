//! Writing a run's folder: `agencies.csv`, every extract (in parallel, in
//! batches so progress is reported from the calling thread), the
//! deliberately rejected files, `faults.json` and `demo.key`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::agencies::{Dataset, Directory};
use super::faults::{FaultKind, ALL};
use super::model::Episode;
use super::period::SubmissionMonth;
use crate::warehouse::WarehouseKey;
use super::rng::Rng;
use super::write::{self, FileDamage, FileStats, RenderSettings};
use super::{SynthConfig, SynthError, UniverseCounts};

/// What [`write_all`] wrote.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub rows: u64,
    pub agencies_csv: PathBuf,
    pub faults_json: PathBuf,
    pub demo_key: PathBuf,
    /// The demo warehouse key (`demo-warehouse.key`): never for real data.
    pub demo_warehouse_key: PathBuf,
    pub faulty_rows: u64,
    pub rejected_files: Vec<String>,
}

#[derive(Serialize)]
struct RejectedFile {
    file: String,
    reason: String,
}

#[derive(Serialize)]
struct FileFaults {
    rows: u64,
    faults: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct FaultReport {
    seed: u64,
    fault_rate: f64,
    months: Vec<String>,
    /// Rows affected per fault kind over all files not rejected whole.
    row_faults: BTreeMap<&'static str, u64>,
    /// Fault kinds whose rows are errors (the others are warnings or consent handling).
    error_kinds: Vec<&'static str>,
    rejected_files: Vec<RejectedFile>,
    /// Realistic irregularities that are not faults (twins, second client ids, concurrent episodes).
    universe: UniverseCounts,
    files: BTreeMap<String, FileFaults>,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    std::fs::write(path, bytes).map_err(|source| SynthError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether `name` looks like an extract file name (`A1234_2025-03.csv`).
fn is_extract_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 17
        && b[0].is_ascii_uppercase()
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b'_'
        && b[6..10].iter().all(u8::is_ascii_digit)
        && b[10] == b'-'
        && b[11..13].iter().all(u8::is_ascii_digit)
        && name.ends_with(".csv")
}

/// Removes extracts left by an earlier run (files named like extracts only).
fn clear_extracts(dir: &Path) -> Result<(), SynthError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SynthError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && is_extract_name(name) {
            std::fs::remove_file(&path).map_err(|source| SynthError::Remove {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

fn write_agencies(path: &Path, dir: &Directory) -> Result<(), SynthError> {
    let csv_err = |source| SynthError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record([
        "code",
        "name",
        "provider_organisation",
        "commissioning_la",
        "dataset",
    ])
    .map_err(csv_err)?;
    for a in &dir.agencies {
        w.write_record([
            a.code.as_str(),
            &a.name,
            &a.provider,
            &a.commissioning_la,
            a.dataset.as_str(),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(|source| SynthError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The file name of the demo warehouse key synth writes beside `demo.key`.
pub const DEMO_WAREHOUSE_KEY_FILE: &str = "demo-warehouse.key";

/// The demo key for `seed`: SHA-256 of a fixed label and the seed, as hex.
pub fn demo_key(seed: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"ndtms-stats synthetic demo key, not for real data");
    h.update(seed.to_le_bytes());
    hex::encode(h.finalize())
}

/// Chooses the files that are broken on purpose (latest month, community adult agencies with episodes).
fn damaged(
    cfg: &SynthConfig,
    dir: &Directory,
    by_agency: &[Vec<Episode>],
) -> BTreeMap<usize, FileDamage> {
    let mut plan = BTreeMap::new();
    if cfg.fault_rate <= 0.0 {
        return plan;
    }
    let mut rng = Rng::derive(cfg.seed, 0xDA3A, 0);
    let candidates: Vec<usize> = (0..dir.agencies.len())
        .filter(|&a| dir.agencies[a].dataset == Dataset::CommunityAdult && by_agency[a].len() >= 5)
        .collect();
    let damages = [
        FileDamage::MissingHeader("INJSTAT"),
        FileDamage::ExtraHeader("NOTES"),
        FileDamage::DuplicatedHeader("DRUG1"),
    ];
    for d in damages
        .into_iter()
        .chain(std::iter::once(FileDamage::ForeignAgencyRow(String::new())))
    {
        if candidates.len() <= plan.len() + 1 {
            break;
        }
        let a = loop {
            let a = candidates[rng.below(candidates.len())];
            if !plan.contains_key(&a) {
                break a;
            }
        };
        let d = match d {
            FileDamage::ForeignAgencyRow(_) => {
                let other = candidates.iter().copied().find(|&o| o != a).unwrap_or(a);
                FileDamage::ForeignAgencyRow(dir.agencies[other].code.clone())
            }
            d => d,
        };
        plan.insert(a, d);
    }
    plan
}

/// The generated universe, ready to be written.
pub struct Generated<'a> {
    pub dir: &'a Directory,
    pub months: &'a [SubmissionMonth],
    /// Episodes of each agency, sorted by client.
    pub by_agency: &'a [Vec<Episode>],
    pub universe: &'a UniverseCounts,
}

/// Writes everything; `done`/`total` continue the caller's progress count.
pub fn write_all(
    cfg: &SynthConfig,
    generated: &Generated,
    mut done: u64,
    total: u64,
    progress: &dyn Fn(u64, u64),
) -> Result<Written, SynthError> {
    let Generated {
        dir,
        months,
        by_agency,
        universe,
    } = *generated;
    let folder = cfg.out_dir.clone();
    std::fs::create_dir_all(&folder).map_err(|source| SynthError::CreateDir {
        path: folder.clone(),
        source,
    })?;
    clear_extracts(&folder)?;
    let agencies_csv = cfg.out_dir.join("agencies.csv");
    write_agencies(&agencies_csv, dir)?;
    let settings = RenderSettings {
        dir,
        seed: cfg.seed,
        fault_rate: cfg.fault_rate,
        multi_month: months.len() > 1,
    };
    let damage = damaged(cfg, dir, by_agency);
    let latest = months.len() - 1;
    let jobs: Vec<(usize, usize)> = (0..months.len())
        .flat_map(|m| (0..dir.agencies.len()).map(move |a| (m, a)))
        .collect();
    let mut stats: Vec<FileStats> = Vec::with_capacity(jobs.len() + 1);
    for batch in jobs.chunks(64) {
        let results: Vec<Result<FileStats, SynthError>> = batch
            .par_iter()
            .map(|&(m, a)| {
                let dmg = if m == latest { damage.get(&a) } else { None };
                let (bytes, st) =
                    write::render(&settings, a, &by_agency[a], months[m], m == latest, dmg);
                write_file(&folder.join(&st.name), &bytes)?;
                Ok(st)
            })
            .collect();
        for r in results {
            stats.push(r?);
        }
        done += batch.len() as u64;
        progress(done, total);
    }
    // An extract from an agency that is not in agencies.csv.
    if cfg.fault_rate > 0.0 {
        let source =
            (0..dir.agencies.len()).find(|&a| !by_agency[a].is_empty() && !damage.contains_key(&a));
        if let Some(a) = source {
            let d = FileDamage::UnknownAgency(dir.unknown_code.clone());
            let few = &by_agency[a][..by_agency[a].len().min(40)];
            let (bytes, st) = write::render(&settings, a, few, months[latest], true, Some(&d));
            write_file(&folder.join(&st.name), &bytes)?;
            stats.push(st);
        }
    }
    done += 1;
    progress(done.min(total), total);

    let mut report = FaultReport {
        seed: cfg.seed,
        fault_rate: cfg.fault_rate,
        months: months.iter().map(|m| m.label()).collect(),
        row_faults: ALL.iter().map(|k| (k.name(), 0)).collect(),
        error_kinds: ALL
            .iter()
            .filter(|k| k.is_error())
            .map(|k| k.name())
            .collect(),
        rejected_files: Vec::new(),
        universe: universe.clone(),
        files: BTreeMap::new(),
    };
    let mut rows = 0;
    let mut faulty_rows = 0;
    for st in &stats {
        rows += st.rows;
        let faults = ALL
            .iter()
            .zip(st.faults.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.name(), *n))
            .collect();
        report.files.insert(
            st.name.clone(),
            FileFaults {
                rows: st.rows,
                faults,
            },
        );
        match &st.rejected {
            Some(reason) => report.rejected_files.push(RejectedFile {
                file: st.name.clone(),
                reason: reason.clone(),
            }),
            None => {
                for (k, n) in ALL.iter().zip(st.faults.iter()) {
                    *report.row_faults.entry(k.name()).or_insert(0) += n;
                    if *k != FaultKind::ConsentWithheldStrayValues {
                        faulty_rows += n;
                    }
                }
            }
        }
    }
    let faults_json = cfg.out_dir.join("faults.json");
    let text = serde_json::to_string_pretty(&report).map_err(|source| SynthError::Json {
        path: faults_json.clone(),
        source,
    })?;
    write_file(&faults_json, text.as_bytes())?;
    let demo_key_path = cfg.out_dir.join("demo.key");
    write_file(
        &demo_key_path,
        format!("{}\n", demo_key(cfg.seed)).as_bytes(),
    )?;
    let demo_warehouse_key = cfg.out_dir.join(DEMO_WAREHOUSE_KEY_FILE);
    let warehouse_key = WarehouseKey::demo(cfg.seed).hex().unwrap_or_default();
    write_file(&demo_warehouse_key, format!("{warehouse_key}\n").as_bytes())?;
    Ok(Written {
        files: stats.iter().map(|s| folder.join(&s.name)).collect(),
        rows,
        agencies_csv,
        faults_json,
        demo_key: demo_key_path,
        demo_warehouse_key,
        faulty_rows,
        rejected_files: report
            .rejected_files
            .iter()
            .map(|r| r.file.clone())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_extract_names_are_cleared() {
        assert!(is_extract_name("N0852_2025-03.csv"));
        assert!(!is_extract_name("agencies.csv"));
        assert!(!is_extract_name("N0852_2025-03.csv.bak"));
        assert!(!is_extract_name("n0852_2025-03.csv"));
        assert!(!is_extract_name("my_notes_2025.csv"));
    }

    #[test]
    fn demo_key_is_32_bytes_and_depends_on_the_seed() {
        assert_eq!(hex::decode(demo_key(1)).unwrap().len(), 32);
        assert_ne!(demo_key(1), demo_key(2));
    }
}

//! `ndtms-stats protect`: the disclosure-control engine on any user table.
//!
//! Input: a CSV of inner cells (one column per dimension named by `--dims`, a `value` column and,
//! for magnitudes, an optional `contributors` column of `;`-separated values), one hierarchy CSV
//! (`code,parent`, empty parent = top level) per hierarchical dimension, and a rule file. Output:
//! a run folder per the output contract with one table holding every total (`value` and
//! `marker` columns; a hierarchical dimension stays in its one column and its parent map goes
//! into `manifest.json`; `geography_level`, `area_code` and `area_name` are left empty), the
//! restricted audit record, and a one-line summary on stdout.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use crate::output::{
    AuditRecord, CellCoordinates, FileHash, GeographyLevel, Manifest, ManifestDimension, ManifestGeography, ManifestTable, Period,
    RunFolder, SuppressedCell, SuppressionReason,
};
use crate::sdc::{self, CategoryDef, CellStatus, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

/// Arguments of `ndtms-stats protect`.
#[derive(Debug, Clone, Args)]
pub struct ProtectArgs {
    /// CSV of inner cells: one column per dimension, `value`, optional `contributors`.
    #[arg(long)]
    pub input: PathBuf,
    /// Dimension columns, in order (comma-separated).
    #[arg(long, value_delimiter = ',', required = true)]
    pub dims: Vec<String>,
    /// Hierarchy of a dimension as `name=path.csv` (columns `code,parent`); repeatable.
    #[arg(long = "hierarchy")]
    pub hierarchies: Vec<String>,
    /// Rule file (suppression-rules/*.toml).
    #[arg(long)]
    pub rules: PathBuf,
    /// Output directory; the run folder is `<out>/protect-<table>/`.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Table id (file stem of the CSV).
    #[arg(long, default_value = "t01")]
    pub table: String,
    /// Measure name written in the `measure` column.
    #[arg(long, default_value = "value")]
    pub measure: String,
    /// Whom the table's cells count, for the manifest (`adult`, `young_people`, ...); cells of
    /// two tables are the same cell only when their populations agree.
    #[arg(long, default_value = "all")]
    pub population: String,
    /// Period start (YYYY-MM-DD), for the manifest.
    #[arg(long, default_value = "2024-04-01")]
    pub period_start: String,
    /// Period end (YYYY-MM-DD), for the manifest.
    #[arg(long, default_value = "2025-03-31")]
    pub period_end: String,
    /// Ledger of earlier publications of this series (read if present, then updated).
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Write no restricted audit record.
    #[arg(long)]
    pub no_audit_record: bool,
}

fn read_hierarchy(name: &str, path: &Path) -> anyhow::Result<Vec<CategoryDef>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("hierarchy of {name}: cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |h: &str| headers.iter().position(|x| x == h).with_context(|| format!("{}: missing column {h}", path.display()));
    let (code, parent) = (col("code")?, col("parent")?);
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {}", path.display(), i + 2))?;
        let c = record.get(code).unwrap_or("").trim().to_string();
        if c.is_empty() {
            bail!("{}: row {}: empty code", path.display(), i + 2);
        }
        let p = record.get(parent).unwrap_or("").trim();
        out.push(CategoryDef { code: c, parent: (!p.is_empty()).then(|| p.to_string()) });
    }
    Ok(out)
}

fn read_inner(args: &ProtectArgs) -> anyhow::Result<(Vec<TableCell>, Vec<Vec<String>>)> {
    let path = &args.input;
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |h: &str| headers.iter().position(|x| x == h);
    let dims: Vec<usize> = args
        .dims
        .iter()
        .map(|d| col(d).with_context(|| format!("{}: no column {d:?} (from --dims)", path.display())))
        .collect::<anyhow::Result<_>>()?;
    let value = col("value").with_context(|| format!("{}: no column \"value\"", path.display()))?;
    let contributors = col("contributors");
    let mut seen: Vec<Vec<String>> = vec![Vec::new(); dims.len()];
    let mut cells = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.with_context(|| format!("{}: row {row}", path.display()))?;
        let coords: Vec<String> = dims.iter().map(|&d| record.get(d).unwrap_or("").trim().to_string()).collect();
        for (d, c) in coords.iter().enumerate() {
            if !seen[d].contains(c) {
                seen[d].push(c.clone());
            }
        }
        let raw = record.get(value).unwrap_or("").trim();
        let v: f64 = raw.parse().with_context(|| format!("{}: row {row}: value {raw:?} is not a number", path.display()))?;
        if !v.is_finite() || v < 0.0 {
            bail!("{}: row {row}: value {raw:?} must be a non-negative number", path.display());
        }
        let contributors = match contributors.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(
                text.split(';')
                    .map(|x| x.trim().parse::<f64>())
                    .collect::<Result<Vec<f64>, _>>()
                    .with_context(|| format!("{}: row {row}: contributors {text:?}", path.display()))?,
            ),
        };
        cells.push(TableCell { coords, value: v, contributors });
    }
    Ok((cells, seen))
}

/// Runs `ndtms-stats protect`.
pub fn run(args: &ProtectArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    crate::output::check_out_dir(&args.out)?;
    let rules = RuleSet::load(&args.rules)?;
    if args.population.is_empty() || !args.population.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("--population {:?}: a word of letters, digits and underscores (adult, young_people, ...)", args.population);
    }
    let mut hierarchy_files: HashMap<String, PathBuf> = HashMap::new();
    for h in &args.hierarchies {
        let (name, path) = h.split_once('=').with_context(|| format!("--hierarchy {h:?}: expected name=path.csv"))?;
        if !args.dims.iter().any(|d| d == name) {
            bail!("--hierarchy {name}: not one of --dims");
        }
        hierarchy_files.insert(name.to_string(), PathBuf::from(path));
    }
    let (inner, seen) = read_inner(args)?;
    let mut dimensions = Vec::new();
    for (d, name) in args.dims.iter().enumerate() {
        let categories = match hierarchy_files.get(name) {
            Some(path) => read_hierarchy(name, path)?,
            None => seen[d].iter().map(|c| CategoryDef { code: c.clone(), parent: None }).collect(),
        };
        dimensions.push(DimensionDef { name: name.clone(), total: crate::output::TOTAL.to_string(), categories });
    }
    let def = TableDef { id: args.table.clone(), measure: args.measure.clone(), dimensions };
    let cells = sdc::aggregate(&def, &inner)?;
    let mut builder = ProblemBuilder::new(&format!("protect/{}", args.table));
    let ids = builder.add_table(&def, &cells)?;
    let problem = builder.build();
    let ledger = match &args.ledger {
        Some(path) => Ledger::load_or_new(path)?,
        None => Ledger::new(),
    };
    let protection = sdc::protect(&problem, &rules, &ledger).context("disclosure control failed: nothing was written")?;

    let mut folder = RunFolder::create(&args.out, "protect", &args.table)?;
    if args.no_audit_record {
        folder = folder.without_audit_record()?;
    }
    let period = Period::new(&args.period_start, &args.period_end)?;
    let period_label = format!("{}..{}", args.period_start, args.period_end);
    let mut csv_bytes = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut csv_bytes);
        let mut header = vec!["table", "period", "geography_level", "area_code", "area_name"];
        header.extend(args.dims.iter().map(String::as_str));
        header.extend(["measure", "value", "marker"]);
        w.write_record(&header)?;
        for (cell, &id) in cells.iter().zip(&ids) {
            let (value, marker) = match protection.statuses[id].public_value() {
                Some(v) => (crate::output::format_value(&args.measure, v), String::new()),
                None => (String::new(), rules.marker.clone()),
            };
            let mut record = vec![args.table.clone(), period_label.clone(), String::new(), String::new(), String::new()];
            record.extend(cell.coords.iter().cloned());
            record.extend([args.measure.clone(), value, marker]);
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    let csv_file = format!("csv/{}.csv", args.table);
    folder.write_public(&csv_file, &csv_bytes)?;
    let rules_hash = FileHash::of_file(&args.rules)?;
    let mut inputs = vec![FileHash::of_file(&args.input)?];
    for path in hierarchy_files.values() {
        inputs.push(FileHash::of_file(path)?);
    }
    inputs.sort_by(|a, b| a.file.cmp(&b.file));
    let mut manifest = Manifest::new("protect", period, rules_hash.clone(), inputs.clone(), ManifestGeography::default());
    manifest.tables.push(ManifestTable {
        id: args.table.clone(),
        title: format!("{} protected under {}", args.table, rules.name),
        file: csv_file,
        measures: vec![args.measure.clone()],
        dimensions: def
            .dimensions
            .iter()
            .map(|d| {
                let parent: BTreeMap<String, String> =
                    d.categories.iter().filter_map(|c| c.parent.clone().map(|p| (c.code.clone(), p))).collect();
                // Totals are sums of the input's inner cells: every dimension adds up.
                ManifestDimension {
                    name: d.name.clone(),
                    categories: d.categories.iter().map(|c| c.code.clone()).collect(),
                    total: d.total.clone(),
                    parent: (!parent.is_empty()).then_some(parent),
                    additive: true,
                    additive_measures: None,
                    equals: None,
                }
            })
            .collect(),
        geography_levels: Vec::new(),
        additive_geography: false,
        population: args.population.clone(),
        notes: protection.notes.clone(),
    });
    if rules.mode == sdc::Mode::Round {
        manifest.rounding = Some(rules.rounding_note.clone());
    }
    folder.write_manifest(&manifest)?;
    if !args.no_audit_record {
        let mut record = AuditRecord::new("protect", rules_hash, inputs);
        record.information_loss = Some(protection.information_loss.clone());
        let coordinates = |id: usize| {
            let key = &problem.cells[id].key;
            CellCoordinates {
                table: args.table.clone(),
                period: period_label.clone(),
                geography_level: GeographyLevel::England,
                area_code: String::new(),
                categories: args
                    .dims
                    .iter()
                    .map(|d| {
                        let c = key.coords.iter().find(|(n, _)| n == d).map_or(crate::output::TOTAL.to_string(), |(_, c)| c.clone());
                        (d.clone(), c)
                    })
                    .collect(),
                measure: args.measure.clone(),
            }
        };
        for (id, status) in protection.statuses.iter().enumerate() {
            let CellStatus::Suppressed { reason } = status else { continue };
            // A cell the engine joined from the ledger (an increment) has no coordinates here.
            let reason = SuppressionReason::of(reason, |p| (p < problem.cells.len()).then(|| coordinates(p)));
            // An unbounded upper end (nothing published above the cell) is written as f64::MAX.
            let interval = protection.intervals[id].map_or([0.0, f64::MAX], |i| [i.low.max(0.0), if i.high.is_finite() { i.high } else { f64::MAX }]);
            record.suppressed.push(SuppressedCell { cell: coordinates(id), reason, audit_interval: interval });
        }
        folder.write_audit_record(&record)?;
    }
    let path = folder.finish()?;
    if let Some(ledger_path) = &args.ledger {
        let mut updated = ledger;
        updated.record_publication(&problem, &protection);
        updated.save(ledger_path)?;
    }
    let c = &protection.counts;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "protect: {} cells, {} primary, {} secondary, {:.2} s -> {}",
        c.cells,
        c.primary,
        c.secondary,
        start.elapsed().as_secs_f64(),
        path.display()
    )?;
    for dimension in &args.dims {
        writeln!(stdout, "{}", protection.information_loss.describe(dimension, &[]))?;
    }
    Ok(())
}

//! Reading what a run folder publishes, and nothing else: `manifest.json` and the tidy
//! `csv/*.csv` files it lists (`../shared/spec/output-contract.md`), plus the protection level
//! and sensitive range of a suppression rule file. No engine code: the manifest is read as plain
//! JSON, the rule file as plain TOML, so a reader of the contract could write the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What the attacker needs from a rule file: how wide a suppressed count's interval must be
/// and which counts are sensitive.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// `[secondary] protection_level`; default the first safe count (top of the sensitive range + 1).
    pub protection_level: f64,
    /// `[counts] sensitive`: inclusive ranges.
    pub sensitive: Vec<(f64, f64)>,
}

impl Rules {
    /// Reads `[counts] sensitive` and `[secondary] protection_level` from a rule file.
    pub fn from_toml(path: &Path) -> Result<Rules, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: toml::Value = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
        let mut sensitive = Vec::new();
        if let Some(ranges) = doc.get("counts").and_then(|c| c.get("sensitive")).and_then(|s| s.as_array()) {
            for r in ranges {
                let pair = r.as_array().filter(|p| p.len() == 2).ok_or_else(|| format!("{}: counts.sensitive: {r} is not [low, high]", path.display()))?;
                let num = |v: &toml::Value| v.as_integer().map(|i| i as f64).or_else(|| v.as_float());
                match (num(&pair[0]), num(&pair[1])) {
                    (Some(a), Some(b)) => sensitive.push((a, b)),
                    _ => return Err(format!("{}: counts.sensitive: {r} is not numeric", path.display())),
                }
            }
        }
        let level = doc.get("secondary").and_then(|s| s.get("protection_level")).and_then(|p| p.as_float().or_else(|| p.as_integer().map(|i| i as f64)));
        let top = sensitive.iter().map(|r| r.1).fold(0.0, f64::max);
        Ok(Rules { protection_level: level.unwrap_or(top + 1.0), sensitive })
    }

    /// Lowest and highest sensitive count (`None` when nothing is sensitive).
    pub fn sensitive_span(&self) -> Option<(f64, f64)> {
        let lo = self.sensitive.iter().map(|r| r.0).reduce(f64::min)?;
        let hi = self.sensitive.iter().map(|r| r.1).reduce(f64::max)?;
        Some((lo.max(1.0), hi))
    }
}

/// One dimension of a table, as the manifest declares it.
#[derive(Debug, Clone)]
pub struct Dimension {
    pub name: String,
    pub categories: Vec<String>,
    pub total: String,
    /// child category -> parent category.
    pub parent: BTreeMap<String, String>,
    /// `additive` (absent: true).
    pub additive: bool,
    /// `additive_measures`: when present, the only measures the dimension adds up for.
    pub additive_measures: Option<Vec<String>>,
    /// `equals`: category -> (other dimension, the categories it is the sum of).
    pub equals: BTreeMap<String, (String, Vec<String>)>,
}

impl Dimension {
    /// Whether categories add up to their totals and parents for `measure`, per the contract.
    pub fn adds_up_for(&self, measure: &str) -> bool {
        match &self.additive_measures {
            Some(list) => list.iter().any(|m| m == measure),
            None => self.additive,
        }
    }
}

/// One table of a run.
#[derive(Debug, Clone)]
pub struct Table {
    pub id: String,
    /// `population`; `None` when the manifest does not say (then the table counts its own population).
    pub population: Option<String>,
    pub dimensions: Vec<Dimension>,
    pub additive_geography: bool,
}

/// The period a run covers, `start/end` from the manifest: the identity of a cell's period, so
/// the same days in two products (a release's year and March's year to date) are one period
/// whatever label each product's CSV gives them. `None` when the manifest has no such block.
fn manifest_period(m: &Value) -> Option<String> {
    let (start, end) = (m.pointer("/period/start")?.as_str()?, m.pointer("/period/end")?.as_str()?);
    Some(format!("{start}/{end}"))
}

/// One row of a tidy CSV.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into [`Run::tables`].
    pub table: usize,
    pub period: String,
    pub level: String,
    pub area: String,
    /// One category per dimension of the table, in the manifest's order.
    pub coords: Vec<String>,
    pub measure: String,
    /// The published value (`None` when a marker is set).
    pub value: Option<f64>,
    pub marker: String,
}

/// A run folder as published.
#[derive(Debug, Clone)]
pub struct Run {
    pub dir: PathBuf,
    /// `geography.parent`: area code -> parent area code.
    pub parent: BTreeMap<String, String>,
    pub tables: Vec<Table>,
    pub rows: Vec<Row>,
}

impl Run {
    /// A short name for messages: the run folder's name.
    pub fn name(&self) -> String {
        self.dir.file_name().map_or_else(|| self.dir.display().to_string(), |n| n.to_string_lossy().to_string())
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

fn dimension(v: &Value, table: &str) -> Result<Dimension, String> {
    let name = v.get("name").and_then(Value::as_str).ok_or_else(|| format!("table {table}: a dimension has no name"))?.to_string();
    let parent = v
        .get("parent")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, p)| p.as_str().map(|p| (k.clone(), p.to_string()))).collect())
        .unwrap_or_default();
    Ok(Dimension {
        categories: strings(v.get("categories")),
        total: v.get("total").and_then(Value::as_str).unwrap_or("Total").to_string(),
        parent,
        additive: v.get("additive").and_then(Value::as_bool).unwrap_or(true),
        additive_measures: v.get("additive_measures").map(|m| strings(Some(m))),
        equals: v
            .get("equals")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(c, other)| other.as_object()?.iter().next().map(|(d, cats)| (c.clone(), (d.clone(), strings(Some(cats))))))
                    .collect()
            })
            .unwrap_or_default(),
        name,
    })
}

/// Reads a run folder: its manifest and every table's CSV.
pub fn read_run(dir: &Path) -> Result<Run, String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let m: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let parent = m
        .pointer("/geography/parent")
        .and_then(Value::as_object)
        .map(|o| o.iter().filter_map(|(k, p)| p.as_str().map(|p| (k.clone(), p.to_string()))).collect())
        .unwrap_or_default();
    let mut run = Run { dir: dir.to_path_buf(), parent, tables: Vec::new(), rows: Vec::new() };
    for t in m.get("tables").and_then(Value::as_array).ok_or_else(|| format!("{}: no tables", path.display()))? {
        let id = t.get("id").and_then(Value::as_str).ok_or_else(|| format!("{}: a table has no id", path.display()))?.to_string();
        let file = t.get("file").and_then(Value::as_str).ok_or_else(|| format!("{}: table {id} has no file", path.display()))?;
        let dimensions = t.get("dimensions").and_then(Value::as_array).map(|d| d.iter().map(|d| dimension(d, &id)).collect::<Result<Vec<_>, _>>()).transpose()?.unwrap_or_default();
        let table = Table {
            population: t.get("population").and_then(Value::as_str).map(str::to_string),
            additive_geography: t.get("additive_geography").and_then(Value::as_bool).unwrap_or(false),
            dimensions,
            id,
        };
        let index = run.tables.len();
        let first = run.rows.len();
        read_csv(&dir.join(file), index, &table, &mut run.rows)?;
        if let Some(span) = manifest_period(&m) {
            run.rows[first..].iter_mut().for_each(|r| r.period = span.clone());
        }
        run.tables.push(table);
    }
    Ok(run)
}

/// Appends the rows of one tidy CSV.
fn read_csv(path: &Path, index: usize, table: &Table, rows: &mut Vec<Row>) -> Result<(), String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Vec<String> = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| format!("{}: no column {name}", path.display()));
    let (period, level, area, measure, value, marker) = (col("period")?, col("geography_level")?, col("area_code")?, col("measure")?, col("value")?, col("marker")?);
    let dims = table.dimensions.iter().map(|d| col(&d.name)).collect::<Result<Vec<_>, _>>()?;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("{} row {}: {e}", path.display(), i + 2))?;
        let v = &rec[value];
        let value = if v.is_empty() { None } else { Some(v.parse::<f64>().map_err(|e| format!("{} row {}: value {v:?}: {e}", path.display(), i + 2))?) };
        rows.push(Row {
            table: index,
            period: rec[period].to_string(),
            level: rec[level].to_string(),
            area: rec[area].to_string(),
            coords: dims.iter().map(|&d| rec[d].to_string()).collect(),
            measure: rec[measure].to_string(),
            value,
            marker: rec[marker].to_string(),
        });
    }
    Ok(())
}

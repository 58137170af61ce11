//! Reading a release table's counts from the warehouse cube, and the full
//! grid of cells (every area, category and total, zeros included) that the
//! table publishes and disclosure control protects.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};

use super::spec::{ReleaseSpec, TableSpec};
use crate::geography::{Geography, ENGLAND_CODE, LA_UNKNOWN_CODE};
use crate::warehouse::Warehouse;

const TABLE_SQL: &str = include_str!("../../queries/release-table.sql");
const TREND_SQL: &str = include_str!("../../queries/release-trend.sql");

/// The label of every dimension's total.
pub const TOTAL: &str = "Total";

/// One area of a table's geography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub level: &'static str,
    pub code: String,
    pub name: String,
    /// The area this one adds up into (None for England).
    pub parent: Option<String>,
}

/// The areas a table shows, England first, then regions, then LAs (and "LA unknown").
pub fn areas(geography: &Geography, levels: &[String]) -> Vec<Area> {
    let mut out = vec![Area { level: "england", code: ENGLAND_CODE.into(), name: "England".into(), parent: None }];
    let has = |l: &str| levels.iter().any(|x| x == l);
    if has("region") {
        for (code, name) in geography.regions() {
            out.push(Area { level: "region", code: code.into(), name: name.into(), parent: Some(ENGLAND_CODE.into()) });
        }
    }
    if has("la") {
        for la in geography.reporting_las() {
            let parent = if has("region") { la.region_code.clone() } else { ENGLAND_CODE.into() };
            out.push(Area { level: "la", code: la.code.clone(), name: la.name.clone(), parent: Some(parent) });
        }
    }
    if has("region") || has("la") {
        // People with no English LA of residence count in England only.
        out.push(Area {
            level: "la",
            code: LA_UNKNOWN_CODE.into(),
            name: crate::geography::LA_UNKNOWN_NAME.into(),
            parent: Some(ENGLAND_CODE.into()),
        });
    }
    out
}

/// A table's counts, keyed by (measure, area, substance group, category); absent = 0.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub values: HashMap<(String, String, String, String), f64>,
    /// Categories of the table's dimension seen in the data.
    pub seen_categories: Vec<String>,
}

impl Counts {
    pub fn get(&self, measure: &str, area: &str, substance: &str, category: &str) -> f64 {
        self.values
            .get(&(measure.to_string(), area.to_string(), substance.to_string(), category.to_string()))
            .copied()
            .unwrap_or(0.0)
    }
}

fn quoted(items: &[String]) -> String {
    items.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// Reads one table's counts for `period`.
pub fn read_counts(wh: &Warehouse, table: &TableSpec, period: &str) -> Result<Counts> {
    let mut levels = vec!["england".to_string()];
    if table.geography.iter().any(|g| g == "region" || g == "la") {
        levels.push("region".into());
        levels.push("la".into());
    }
    let sql = TABLE_SQL
        .replace("{measures}", &quoted(&table.measures))
        .replace("{levels}", &quoted(&levels))
        .replace("{substance}", if table.substance { "TRUE" } else { "FALSE" });
    let mut stmt = wh.conn().prepare(&sql).with_context(|| format!("preparing the query of table {}", table.id))?;
    let mut rows = stmt
        .query(duckdb::params![period, table.population, table.dimension])
        .with_context(|| format!("reading the cube for table {}", table.id))?;
    let mut counts = Counts::default();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(r) = rows.next()? {
        let measure: String = r.get(0)?;
        let level: String = r.get(1)?;
        let area: String = r.get(2)?;
        let substance: String = r.get(3)?;
        let category: String = r.get(4)?;
        let value: i64 = r.get(5)?;
        if level == "la" && !table.geography.iter().any(|g| g == "la") && area != LA_UNKNOWN_CODE {
            continue;
        }
        if category != TOTAL {
            seen.insert(category.clone());
        }
        counts.values.insert((measure, area, substance, category), value as f64);
    }
    if table.dimension == "month" {
        read_months(wh, table, period, &levels, &mut counts, &mut seen)?;
    }
    counts.seen_categories = seen.into_iter().collect();
    Ok(counts)
}

/// Adds the monthly counts of a trend table (category = `YYYY-MM`).
fn read_months(
    wh: &Warehouse,
    table: &TableSpec,
    period: &str,
    levels: &[String],
    counts: &mut Counts,
    seen: &mut std::collections::BTreeSet<String>,
) -> Result<()> {
    let sql = TREND_SQL.replace("{measures}", &quoted(&table.measures)).replace("{levels}", &quoted(levels));
    let mut stmt = wh.conn().prepare(&sql).with_context(|| format!("preparing the trend query of table {}", table.id))?;
    let mut rows = stmt
        .query(duckdb::params![period, table.population])
        .with_context(|| format!("reading cube_month for table {}", table.id))?;
    while let Some(r) = rows.next()? {
        let measure: String = r.get(0)?;
        let level: String = r.get(1)?;
        let area: String = r.get(2)?;
        let month: String = r.get(3)?;
        let value: i64 = r.get(4)?;
        if level == "la" && area != LA_UNKNOWN_CODE && !table.geography.iter().any(|g| g == "la") {
            continue;
        }
        seen.insert(month.clone());
        counts.values.insert((measure, area, TOTAL.to_string(), month), value as f64);
    }
    Ok(())
}

/// Categories of a dimension in presentation order: the configured order, then any others seen.
pub fn ordered_categories(spec: &ReleaseSpec, dimension: &str, seen: &[String], population: &str) -> Vec<String> {
    let configured = spec.categories.get(dimension).cloned().unwrap_or_default();
    let mut out: Vec<String> = configured
        .into_iter()
        .filter(|c| seen.contains(c) || !is_other_population_age_band(dimension, c, population))
        .filter(|c| c != "not known" || seen.contains(c))
        .collect();
    for c in seen {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// Adult age bands are not shown for young people and the reverse.
fn is_other_population_age_band(dimension: &str, category: &str, population: &str) -> bool {
    if dimension != "age_band" {
        return false;
    }
    let young = ["under 14", "14-15", "16-17"].contains(&category);
    (population == "adult") == young
}

/// Substance groups with their parent (opiate is split in two).
pub fn substance_hierarchy(spec: &ReleaseSpec) -> Vec<(String, Option<String>)> {
    let order = spec.categories.get("substance_group").cloned().unwrap_or_default();
    order
        .into_iter()
        .map(|c| {
            let parent = (c == "opiate and crack" || c == "opiate not crack").then(|| "opiate".to_string());
            (c, parent)
        })
        .collect()
}

/// Geography parent map of a set of areas (for the manifest).
pub fn parent_map(areas: &[Area]) -> BTreeMap<String, String> {
    areas.iter().filter_map(|a| a.parent.clone().map(|p| (a.code.clone(), p))).collect()
}

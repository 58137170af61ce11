//! Reading the pack's year-to-date counts from the warehouse cube: every
//! measure of the pack for England, the regions and the local authorities,
//! by substance group (with its total). Cells absent from the cube are zero.

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::warehouse::Warehouse;

const CELLS_SQL: &str = include_str!("../../queries/pack-cells.sql");

/// Whom packs and provider reports count: their cells are keyed under this population.
pub const POPULATION: &str = "adult";

/// The counts the pack publishes (adults), in presentation order.
pub const MEASURES: [&str; 5] =
    ["in_treatment", "new_presentations", "exits", "successful_completions", "completions_without_representation"];

/// Year-to-date counts of one period, keyed by (measure, area code, substance group).
#[derive(Debug, Default, Clone)]
pub struct YtdCounts {
    pub period: String,
    pub values: HashMap<(String, String, String), f64>,
}

impl YtdCounts {
    /// The count of a cell (zero when the cube has no row for it).
    pub fn get(&self, measure: &str, area: &str, substance: &str) -> f64 {
        self.values.get(&(measure.to_string(), area.to_string(), substance.to_string())).copied().unwrap_or(0.0)
    }
}

/// Whether the cube holds anything for `period`.
pub fn period_is_built(wh: &Warehouse, period: &str) -> bool {
    wh.conn()
        .query_row("SELECT count(*) FROM cube WHERE period = ?", [period], |r| r.get::<_, i64>(0))
        .map(|n| n > 0)
        .unwrap_or(false)
}

/// Reads the pack's counts of `period` from the cube.
pub fn read_ytd(wh: &Warehouse, period: &str) -> Result<YtdCounts> {
    let measures = MEASURES.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let sql = CELLS_SQL.replace("{measures}", &measures);
    let mut stmt = wh.conn().prepare(&sql).context("preparing the pack query (queries/pack-cells.sql)")?;
    let mut rows = stmt.query([period]).with_context(|| format!("reading the cube for period {period}"))?;
    let mut out = YtdCounts { period: period.to_string(), values: HashMap::new() };
    while let Some(r) = rows.next()? {
        let measure: String = r.get(0)?;
        let area: String = r.get(1)?;
        let substance: String = r.get(2)?;
        let value: i64 = r.get(3)?;
        out.values.insert((measure, area, substance), value as f64);
    }
    Ok(out)
}

/// The monthly counts of the pack's 12-month trend.
pub const TREND_MEASURES: [&str; 2] = ["in_treatment", "new_presentations"];

/// The 12-month trend of `period` from `cube_month` (queries/release-trend.sql), keyed by
/// (measure, area code, `YYYY-MM`); absent means zero.
pub fn read_trend(wh: &Warehouse, period: &str) -> Result<HashMap<(String, String, String), f64>> {
    let quoted = |xs: &[&str]| xs.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let sql = include_str!("../../queries/release-trend.sql")
        .replace("{measures}", &quoted(&TREND_MEASURES))
        .replace("{levels}", &quoted(&["england", "region", "la"]));
    let mut stmt = wh.conn().prepare(&sql).context("preparing the trend query (queries/release-trend.sql)")?;
    let mut rows = stmt.query([period, POPULATION]).with_context(|| format!("reading the 12-month trend of {period}"))?;
    let mut out = HashMap::new();
    while let Some(r) = rows.next()? {
        let (measure, area, month, value): (String, String, String, i64) = (r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?);
        out.insert((measure, area, month), value as f64);
    }
    Ok(out)
}

/// The provider measures shown by packs and provider reports (adults, year to date).
pub const PROVIDER_MEASURES: [&str; 4] = ["in_treatment", "new_presentations", "exits", "successful_completions"];

/// Year-to-date counts of every agency, keyed by (measure, agency code); absent means zero.
pub fn read_provider_ytd(wh: &Warehouse, period: &str) -> Result<HashMap<(String, String), f64>> {
    let measures = PROVIDER_MEASURES.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT measure, area_code, value FROM cube WHERE period = ? AND population = 'adult' AND geography_level = 'provider'
         AND dimension = '' AND substance_group = 'Total' AND measure IN ({measures})"
    );
    let mut stmt = wh.conn().prepare(&sql).context("preparing the provider query")?;
    let rows = stmt
        .query_map([period], |r| Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?), r.get::<_, i64>(2)? as f64)))
        .with_context(|| format!("reading provider counts for {period}"))?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

/// Every agency of the warehouse, (code, name), by code.
pub fn agencies(wh: &Warehouse) -> Result<Vec<(String, String)>> {
    let mut stmt = wh.conn().prepare("SELECT code, name FROM agency ORDER BY code").context("preparing the agency query")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).context("reading the agencies")?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

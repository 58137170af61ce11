//! Disclosure control for one month's commissioner packs, all local
//! authorities at once (so that two packs, or a pack and its region, cannot
//! be subtracted from each other to reveal a suppressed count).
//!
//! Beyond one run: last month's published year-to-date cells (from the
//! ledger of the series) enter the problem as internal cells fixed at the
//! published values, and are tied to this month's by
//! `ytd(this month) - ytd(last month) - month = 0` with the month's own
//! count internal: never published, but protected when it is small. So
//! subtracting last month's pack from this month's reveals no suppressed
//! count.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::cells::{YtdCounts, MEASURES, PROVIDER_MEASURES, TREND_MEASURES};
use crate::geography::ENGLAND_CODE;
use crate::release::data::{Area, TOTAL};
use crate::sdc::{self, CategoryDef, CellId, CellKey, CellKind, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};

/// The ledger series every commissioner pack belongs to (shared with the other products).
pub const SERIES: &str = crate::output::PUBLICATIONS;

/// The rate shown with intervals: completions without representation / in treatment.
pub const RATE: &str = "completion_without_representation_rate";
const RATE_NUMERATOR: &str = "completions_without_representation";
const RATE_DENOMINATOR: &str = "in_treatment";

/// The cells one month's packs are made of.
#[derive(Debug, Clone)]
pub struct PackGrid {
    /// England, regions, local authorities (and "LA unknown").
    pub areas: Vec<Area>,
    /// `Total` first, then substance groups with their parent.
    pub substances: Vec<(String, Option<String>)>,
    /// This month's year to date.
    pub now: YtdCounts,
    /// Last month's year to date (absent in April, when the year starts again).
    pub previous: Option<YtdCounts>,
    /// The year's last month's year to date (the release's year), read when the packs of an
    /// earlier month follow a release of the same year in the ledger.
    pub year_end: Option<YtdCounts>,
    /// Every agency's year-to-date counts, (measure, agency) -> value: cells of their own (an
    /// agency's people do not add up to an area), shown in packs and provider reports.
    pub providers: Vec<String>,
    pub provider_counts: HashMap<(String, String), f64>,
    /// The 12 calendar months (`YYYY-MM`) of the trend, oldest first.
    pub months: Vec<String>,
    /// Monthly counts of the trend, (measure, area, month) -> value; absent means zero.
    pub trend: HashMap<(String, String, String), f64>,
}

/// The protected month: problem, outcome and the way from (measure, area, substance) to cells.
pub struct ProtectedPack {
    pub problem: sdc::Problem,
    pub protection: sdc::Protection,
    cells: HashMap<(String, String, String), CellId>,
    rates: HashMap<(String, String), usize>,
    provider_cells: HashMap<(String, String), CellId>,
    trend_cells: HashMap<(String, String, String), CellId>,
}

impl ProtectedPack {
    /// The cell behind a row of a pack or provider-report table (area or agency counts).
    pub fn row_cell(&self, row: &crate::output::TidyRow) -> Option<(CellId, &sdc::CellStatus)> {
        if row.geography_level == crate::output::GeographyLevel::Provider {
            let id = *self.provider_cells.get(&(row.measure.clone(), row.area_code.clone()))?;
            return Some((id, &self.protection.statuses[id]));
        }
        let substance = row.categories.first().map_or(TOTAL, String::as_str);
        // A trend row's category is its month (`YYYY-MM`), never a substance group.
        self.trend(&row.measure, &row.area_code, substance).or_else(|| self.cell(&row.measure, &row.area_code, substance))
    }

    /// Status of one month's count of the 12-month trend.
    pub fn trend(&self, measure: &str, area: &str, month: &str) -> Option<(CellId, &sdc::CellStatus)> {
        self.trend_cells
            .get(&(measure.to_string(), area.to_string(), month.to_string()))
            .map(|&id| (id, &self.protection.statuses[id]))
    }

    /// Status of an agency's year-to-date count.
    pub fn provider(&self, measure: &str, agency: &str) -> Option<&sdc::CellStatus> {
        self.provider_cells.get(&(measure.to_string(), agency.to_string())).map(|&id| &self.protection.statuses[id])
    }

    /// Status of a year-to-date count of this month.
    pub fn cell(&self, measure: &str, area: &str, substance: &str) -> Option<(CellId, &sdc::CellStatus)> {
        self.cells
            .get(&(measure.to_string(), area.to_string(), substance.to_string()))
            .map(|&id| (id, &self.protection.statuses[id]))
    }

    /// Status of the completion rate of an area and substance group.
    pub fn rate(&self, area: &str, substance: &str) -> Option<&sdc::RateStatus> {
        self.rates.get(&(area.to_string(), substance.to_string())).map(|&i| &self.protection.rates[i])
    }
}

/// The measure name of a pack measure for a period label (`2025-03`: the days it covers, as
/// every product names them; anything else is kept as a tag).
pub fn qualified_measure(period: &str, measure: &str) -> String {
    match crate::measures::period::Period::parse(period) {
        Ok(p) => p.qualify(&format!("adult:{measure}")),
        Err(_) => format!("adult:{measure}@{period}"),
    }
}

/// The links of the built-in release table list, which every product's keys follow.
fn release_links() -> &'static [crate::release::spec::LinkSpec] {
    static LINKS: std::sync::OnceLock<Vec<crate::release::spec::LinkSpec>> = std::sync::OnceLock::new();
    LINKS.get_or_init(|| crate::release::spec::load(None).expect("the built-in release table list parses (tested in release::spec)").links)
}

/// The canonical key of a year-to-date cell of `period` (totals are left out of keys), as the
/// release names the same cell (see [`crate::release::protect::canonical_key`]).
pub fn ytd_key(period: &str, measure: &str, area: &str, substance: &str) -> CellKey {
    let key = raw_ytd_key(period, measure, area, substance);
    match crate::measures::period::Period::parse(period) {
        Ok(p) => crate::release::protect::canonical_key(&key, release_links(), "adult", &p),
        Err(_) => key,
    }
}

fn raw_ytd_key(period: &str, measure: &str, area: &str, substance: &str) -> CellKey {
    raw_key(period, measure, area, Some(("substance_group", substance)).filter(|_| substance != TOTAL))
}

fn raw_key(period: &str, measure: &str, area: &str, category: Option<(&str, &str)>) -> CellKey {
    let mut coords = Vec::new();
    if area != ENGLAND_CODE {
        coords.push(("geography".to_string(), area.to_string()));
    }
    if let Some((dimension, category)) = category {
        coords.push((dimension.to_string(), category.to_string()));
    }
    CellKey::new(&qualified_measure(period, measure), coords)
}

/// [`ytd_key`] under another categorisation than substance group (a release's PHOF group).
pub fn canonical_ytd_key(period: &str, measure: &str, area: &str, category: (&str, &str)) -> CellKey {
    let key = raw_key(period, measure, area, Some(category));
    match crate::measures::period::Period::parse(period) {
        Ok(p) => crate::release::protect::canonical_key(&key, release_links(), "adult", &p),
        Err(_) => key,
    }
}

fn dimensions(grid: &PackGrid) -> Vec<DimensionDef> {
    let geography = DimensionDef {
        name: "geography".into(),
        total: ENGLAND_CODE.into(),
        categories: grid
            .areas
            .iter()
            .filter(|a| a.parent.is_some())
            .map(|a| CategoryDef { code: a.code.clone(), parent: a.parent.clone().filter(|p| p != ENGLAND_CODE) })
            .collect(),
    };
    let substance = DimensionDef {
        name: "substance_group".into(),
        total: TOTAL.into(),
        categories: grid.substances.iter().skip(1).map(|(c, p)| CategoryDef { code: c.clone(), parent: p.clone() }).collect(),
    };
    vec![geography, substance]
}

/// Builds the month's problem (with last month's cells when there are any), protects it.
pub fn protect_packs(grid: &PackGrid, rules: &RuleSet, ledger: &Ledger) -> Result<ProtectedPack> {
    let mut builder = ProblemBuilder::new(SERIES);
    if let Ok(p) = crate::measures::period::Period::parse(&grid.now.period) {
        crate::release::protect::register_aliases(&mut builder, release_links(), &["adult".to_string()], &p);
    }
    let dims = dimensions(grid);
    let period = &grid.now.period;
    let mut cells = HashMap::new();
    for measure in MEASURES {
        let def = TableDef { id: format!("pack-{measure}"), measure: qualified_measure(period, measure), dimensions: dims.clone() };
        let mut table_cells = Vec::new();
        let mut coords = Vec::new();
        for a in &grid.areas {
            for (s, _) in &grid.substances {
                table_cells.push(TableCell { coords: vec![a.code.clone(), s.clone()], value: grid.now.get(measure, &a.code, s), contributors: None });
                coords.push((measure.to_string(), a.code.clone(), s.clone()));
            }
        }
        let ids = builder.add_table(&def, &table_cells).with_context(|| format!("building the pack problem for {measure}"))?;
        cells.extend(coords.into_iter().zip(ids));
    }
    if let Some(previous) = &grid.previous {
        add_previous_month(&mut builder, grid, previous, ledger, &cells)?;
    }
    super::release_links::add_release_sums(&mut builder, grid, release_links(), ledger, &cells)?;
    if let Some(year_end) = &grid.year_end {
        super::release_links::add_year_end_sums(&mut builder, grid, year_end, release_links(), ledger, &cells)?;
    }
    let mut provider_cells = HashMap::new();
    for agency in &grid.providers {
        for m in PROVIDER_MEASURES {
            let def = TableDef {
                id: format!("provider-{agency}"),
                measure: format!("{}|provider={agency}", qualified_measure(period, m)),
                dimensions: vec![DimensionDef { name: "provider".into(), total: agency.clone(), categories: vec![] }],
            };
            let value = grid.provider_counts.get(&(m.to_string(), agency.clone())).copied().unwrap_or(0.0);
            let ids = builder
                .add_table(&def, &[TableCell { coords: vec![agency.clone()], value, contributors: None }])
                .with_context(|| format!("adding agency {agency}"))?;
            provider_cells.insert((m.to_string(), agency.clone()), ids[0]);
        }
    }
    // The 12-month trend: each month's count is a cell of its own month (so next month's packs
    // and the release show it with the same status), LA -> region -> England additive.
    let mut trend_cells = HashMap::new();
    for measure in TREND_MEASURES {
        for month in &grid.months {
            let Some(key_measure) = crate::measures::period::qualify_month(&format!("adult:{measure}"), month) else { continue };
            let def = TableDef { id: format!("pack-trend-{measure}"), measure: key_measure, dimensions: vec![dims[0].clone()] };
            let table_cells: Vec<TableCell> = grid
                .areas
                .iter()
                .map(|a| TableCell {
                    coords: vec![a.code.clone()],
                    value: grid.trend.get(&(measure.to_string(), a.code.clone(), month.clone())).copied().unwrap_or(0.0),
                    contributors: None,
                })
                .collect();
            let ids = builder.add_table(&def, &table_cells).with_context(|| format!("building the trend problem for {measure} {month}"))?;
            for (a, id) in grid.areas.iter().zip(ids) {
                trend_cells.insert((measure.to_string(), a.code.clone(), month.clone()), id);
            }
        }
    }
    let mut rates = HashMap::new();
    for a in &grid.areas {
        for (s, _) in &grid.substances {
            let num = cells[&(RATE_NUMERATOR.to_string(), a.code.clone(), s.clone())];
            let den = cells[&(RATE_DENOMINATOR.to_string(), a.code.clone(), s.clone())];
            let key = ytd_key(period, RATE, &a.code, s);
            let i = builder.add_rate("pack-rates", key, num, den).context("adding the completion rate")?;
            rates.insert((a.code.clone(), s.clone()), i);
        }
    }
    let problem = builder.build();
    let protection = sdc::protect(&problem, rules, ledger).context("disclosure control of the packs failed: nothing was written")?;
    Ok(ProtectedPack { problem, protection, cells, rates, provider_cells, trend_cells })
}

/// Adds last month's published year-to-date cells (internal, fixed at the ledger's values) and
/// this month's own counts as internal cells linking the two months. Last month's suppressed
/// cells are left out: the engine cannot choose complements among last month's cells, and they
/// were protected when last month was published.
fn add_previous_month(
    builder: &mut ProblemBuilder,
    grid: &PackGrid,
    previous: &YtdCounts,
    ledger: &Ledger,
    now_cells: &HashMap<(String, String, String), CellId>,
) -> Result<()> {
    let table = format!("pack-previous-{}", previous.period);
    for measure in MEASURES {
        for a in &grid.areas {
            for (s, _) in &grid.substances {
                let key = ytd_key(&previous.period, measure, &a.code, s);
                // What readers saw last month is what they can subtract.
                let Some(prev_value) = ledger.get(SERIES, &key) else { continue };
                // This month = last month + the month's own count, where that is a count (people can
                // move area or substance group between months; a negative difference counts nobody).
                // Last month zero: the month's count is this month's cell itself, protected as such.
                let month = grid.now.get(measure, &a.code, s) - prev_value;
                if month < 0.0 || prev_value == 0.0 {
                    continue;
                }
                let prev_id = builder.add_internal_cell(&table, key, prev_value, CellKind::Count).context("adding last month's cells")?;
                let now_id = now_cells[&(measure.to_string(), a.code.clone(), s.clone())];
                // The month's own increment: a tag no product shows.
                let key = ytd_key(&format!("{}-increment", grid.now.period), measure, &a.code, s);
                let month_id = builder.add_internal_cell(&table, key, month, CellKind::Count).context("adding the month's own counts")?;
                builder.add_relation(vec![(now_id, 1), (prev_id, -1), (month_id, -1)]).context("linking the two months")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(level: &'static str, code: &str, parent: Option<&str>) -> Area {
        Area { level, code: code.into(), name: code.into(), parent: parent.map(str::to_string) }
    }

    /// Two LAs of one region, two substance groups; `leaves[(la, group)]` for every measure.
    fn grid(period: &str, leaves: &[(&str, &str, f64)], previous: Option<YtdCounts>) -> PackGrid {
        let areas = vec![
            area("england", ENGLAND_CODE, None),
            area("region", "R1", Some(ENGLAND_CODE)),
            area("la", "L1", Some("R1")),
            area("la", "L2", Some("R1")),
        ];
        let mut now = YtdCounts { period: period.into(), values: HashMap::new() };
        for m in MEASURES {
            for (la, s, v) in leaves {
                for a in [*la, "R1", ENGLAND_CODE] {
                    for sub in [*s, TOTAL] {
                        *now.values.entry((m.to_string(), a.to_string(), sub.to_string())).or_insert(0.0) += v;
                    }
                }
            }
        }
        let substances = vec![(TOTAL.to_string(), None), ("alcohol only".to_string(), None), ("non-opiate only".to_string(), None)];
        PackGrid { areas, substances, now, previous, year_end: None, providers: vec![], provider_counts: HashMap::new(), months: vec![], trend: HashMap::new() }
    }

    fn rules() -> RuleSet {
        let text = "name = \"t\"\nmode = \"suppress\"\nmarker = \"[c]\"\n[counts]\nsensitive = [[1, 4]]\nzeros = \"publish\"\n[rates]\nfollow_numerator = true\nmin_denominator = 10\n[secondary]\nenabled = true\nsingleton = true\nprotection_level = 3\n[cost]\nper_unit = 1.0\nper_total_dimension = 1000.0\n";
        RuleSet::parse(text, std::path::Path::new("test.toml")).unwrap()
    }

    #[test]
    fn a_small_month_hidden_by_differencing_suppresses_this_months_cell_only_with_the_ledger() {
        let feb = grid("2025-02", &[("L1", "alcohol only", 20.0), ("L1", "non-opiate only", 20.0), ("L2", "alcohol only", 20.0), ("L2", "non-opiate only", 20.0)], None);
        let mut ledger = Ledger::new();
        let first = protect_packs(&feb, &rules(), &ledger).unwrap();
        assert_eq!(first.protection.counts.primary, 0);
        ledger.record_publication(&first.problem, &first.protection);
        // March: two more people with alcohol only in L1 (a sensitive month's count).
        let mar_leaves = [("L1", "alcohol only", 22.0), ("L1", "non-opiate only", 20.0), ("L2", "alcohol only", 20.0), ("L2", "non-opiate only", 20.0)];
        let mar = grid("2025-03", &mar_leaves, Some(feb.now.clone()));
        let with = protect_packs(&mar, &rules(), &ledger).unwrap();
        let status = |p: &ProtectedPack| p.cell("in_treatment", "L1", "alcohol only").unwrap().1.is_suppressed();
        assert!(status(&with), "the ledger's February value makes March's 22 reveal the month's 2");
        let without = protect_packs(&mar, &rules(), &Ledger::new()).unwrap();
        assert!(!status(&without), "without last month's publication nothing needs hiding");
    }
}

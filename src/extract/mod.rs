//! Research extracts: safe aggregates of one measure over the breakdowns and
//! filters a researcher chooses (never row-level data), protected under the
//! research rules, with an output-checking report for a human checker.

pub mod checking;
pub mod request;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::geography::{Geography, ENGLAND_CODE};
use crate::measures::period::Period;
use crate::output::{DimensionMeta, FileHash, GeographyLevel, Manifest, ManifestGeography, ManifestTable, Marker, OutputTable, RunFolder, TidyRow};
use crate::release::data::{areas, parent_map, substance_hierarchy, Area, TOTAL};
use crate::sdc::{self, CategoryDef, DimensionDef, KeyAlias, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};
use crate::warehouse::Warehouse;
use request::Request;

const CELLS_SQL: &str = include_str!("../../queries/extract-cells.sql");
const DIMENSIONS_SQL: &str = include_str!("../../queries/extract-dimensions.sql");

/// What an extract run needs.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub warehouse: PathBuf,
    pub period: String,
    pub population: String,
    pub request: Request,
    pub rules: PathBuf,
    pub out: PathBuf,
    /// The publication ledger shared with the release, packs and provider reports: cells they
    /// published are published here with the same value, cells they suppressed stay suppressed,
    /// and this extract's cells are added to it. `None`: protected on its own.
    pub ledger: Option<PathBuf>,
}

/// The written extract.
#[derive(Debug)]
pub struct ExtractSummary {
    pub folder: PathBuf,
    pub cells: usize,
    pub suppressed: usize,
    pub status: checking::Status,
}

/// The areas of the extract: one area, or an area and the areas in it.
fn extract_areas(geography: &Geography, r: &Request) -> Result<Vec<Area>> {
    let all = areas(geography, &["region".to_string(), "la".to_string()]);
    let top = r.area.as_ref().map(|(_, c)| c.clone()).unwrap_or_else(|| ENGLAND_CODE.to_string());
    let Some(top_area) = all.iter().find(|a| a.code == top).cloned() else {
        bail!("--where: {top} is not a region or reporting local authority code");
    };
    let mut out = vec![Area { parent: None, ..top_area.clone() }];
    match r.by_geography.as_deref() {
        None => {}
        Some(level) => {
            let inside = |a: &Area| {
                a.level == level && (top == ENGLAND_CODE || a.parent.as_deref() == Some(top.as_str()) || a.code == top)
            };
            if top_area.level == "la" {
                bail!("--by {level} inside one local authority: nothing to break down");
            }
            if level == "la" && top == ENGLAND_CODE {
                // England > regions > LAs (and "LA unknown", whose parent is England).
                out.extend(all.iter().filter(|a| a.level == "region" || a.level == "la").cloned());
            } else if level == "region" && top == ENGLAND_CODE {
                // England's regions do not add up to England without "LA unknown" (people with no
                // English LA), whose parent is England itself: it is shown beside them.
                let beside_regions = |a: &Area| a.level == "region" || (a.level == "la" && a.parent.as_deref() == Some(ENGLAND_CODE));
                out.extend(all.iter().filter(|a| beside_regions(a)).cloned());
            } else {
                out.extend(all.iter().filter(|a| inside(a) && a.code != top).map(|a| Area { parent: Some(top.clone()), ..a.clone() }));
            }
        }
    }
    Ok(out)
}

/// Every area of the extract -> its parent in England's geography (LA -> region -> England),
/// the area it is cut to included (its parent is not shown, but an outside checker still
/// learns where it sits).
fn shown_parents(geography: &Geography, shown: &[Area]) -> std::collections::BTreeMap<String, String> {
    let all = parent_map(&areas(geography, &["region".to_string(), "la".to_string()]));
    shown.iter().filter_map(|a| all.get(&a.code).map(|p| (a.code.clone(), p.clone()))).collect()
}

/// Refuses a breakdown or filter the cube does not hold for the measure (it would come back
/// as a lone total, or as zeros), naming what it does hold.
fn check_dimension(wh: &Warehouse, o: &ExtractOptions) -> Result<()> {
    let r = &o.request;
    let asked = r.by_dimension.clone().or_else(|| r.category.as_ref().map(|c| c.0.clone()));
    let Some(dim) = asked else { return Ok(()) };
    let mut stmt = wh.conn().prepare(DIMENSIONS_SQL).context("preparing queries/extract-dimensions.sql")?;
    let mut rows = stmt.query(duckdb::params![o.period, o.population, r.measure])?;
    let mut held: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    while let Some(row) = rows.next()? {
        held.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    let Some(categories) = held.get(&dim) else {
        let list: Vec<&str> = held.keys().map(String::as_str).collect();
        bail!(
            "{} ({}) is not broken down by {dim} in the cube; it can be broken down by: substance_group, region, la{}{}",
            r.measure,
            o.population,
            if list.is_empty() { "" } else { ", " },
            list.join(", ")
        );
    };
    if let Some((_, c)) = &r.category {
        if !categories.contains(c) {
            bail!("--where: {dim} = '{c}' is not a category of {dim} for {} (categories: {})", r.measure, categories.join(", "));
        }
    }
    Ok(())
}

fn read_cells(wh: &Warehouse, o: &ExtractOptions, levels: &[&str]) -> Result<(HashMap<(String, String, String), f64>, BTreeSet<String>)> {
    let dim = o.request.by_dimension.clone().or_else(|| o.request.category.as_ref().map(|c| c.0.clone())).unwrap_or_default();
    let levels = levels.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
    let sql = CELLS_SQL.replace("{levels}", &levels);
    let mut stmt = wh.conn().prepare(&sql).context("preparing the extract query (queries/extract-cells.sql)")?;
    let mut rows = stmt
        .query(duckdb::params![o.period, o.population, o.request.measure, dim])
        .with_context(|| format!("reading {} for {}", o.request.measure, o.period))?;
    let mut values = HashMap::new();
    let mut seen = BTreeSet::new();
    while let Some(row) = rows.next()? {
        let (area, substance, category, value): (String, String, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        if category != TOTAL {
            seen.insert(category.clone());
        }
        values.insert((area, substance, category), value as f64);
    }
    Ok((values, seen))
}

/// Reads, protects and writes the extract with its checking report.
pub fn extract(o: &ExtractOptions) -> Result<ExtractSummary> {
    crate::output::check_out_dir(&o.out)?;
    let period = Period::parse(&o.period)?;
    let rules = RuleSet::load(&o.rules)?;
    let wh = Warehouse::open_read_only(&o.warehouse)?;
    let measures_known: i64 = wh
        .conn()
        .query_row("SELECT count(*) FROM cube WHERE period = ? AND measure = ?", [&period.label, &o.request.measure], |r| r.get(0))
        .unwrap_or(0);
    if measures_known == 0 {
        bail!("the cube has no measure `{}` for period {}: check the name, or run `ndtms-stats build --period {}`", o.request.measure, period.label, period.label);
    }
    let r = &o.request;
    check_dimension(&wh, o)?;
    let geography = Geography::embedded();
    let area_list = extract_areas(&geography, r)?;
    let (values, seen) = read_cells(&wh, o, &["england", "region", "la"])?;
    let spec = crate::release::spec::load(None)?;
    let substances: Vec<(String, Option<String>)> = match (&r.substance, r.by_substance) {
        (Some(s), _) => vec![(s.clone(), None)],
        (None, true) => std::iter::once((TOTAL.to_string(), None)).chain(substance_hierarchy(&spec)).collect(),
        (None, false) => vec![(TOTAL.to_string(), None)],
    };
    let categories: Vec<String> = match (&r.category, &r.by_dimension) {
        (Some((_, c)), _) => vec![c.clone()],
        (None, Some(_)) => std::iter::once(TOTAL.to_string()).chain(seen.iter().cloned()).collect(),
        (None, None) => vec![TOTAL.to_string()],
    };
    // The protection problem: one table with the breakdowns asked for.
    let top = area_list[0].code.clone();
    let mut dims = vec![DimensionDef {
        name: "geography".into(),
        total: top.clone(),
        categories: area_list.iter().skip(1).map(|a| CategoryDef { code: a.code.clone(), parent: a.parent.clone().filter(|p| *p != top) }).collect(),
    }];
    if r.by_substance && r.substance.is_none() {
        dims.push(DimensionDef { name: "substance_group".into(), total: TOTAL.into(), categories: substances.iter().skip(1).map(|(c, p)| CategoryDef { code: c.clone(), parent: p.clone() }).collect() });
    }
    let by_dim = r.by_dimension.clone().filter(|_| r.category.is_none());
    if let Some(d) = &by_dim {
        dims.push(DimensionDef { name: d.clone(), total: TOTAL.into(), categories: categories.iter().skip(1).map(|c| CategoryDef { code: c.clone(), parent: None }).collect() });
    }
    // Keys as every product names its cells, so a cell the release or a pack also shows is one
    // cell of the publication ledger: population and period in the measure, and the area or
    // category the extract is cut to as a coordinate (a table total leaves it out of the key).
    let measure = period.qualify(&format!("{}:{}", o.population, r.measure));
    let mut builder = ProblemBuilder::new(crate::output::PUBLICATIONS);
    let cut = |dimension: &str, category: &str| KeyAlias::Measure { measure: measure.clone(), to_measure: measure.clone(), dimension: dimension.into(), category: category.into() };
    if top != ENGLAND_CODE {
        builder.alias(cut("geography", &top));
    }
    if let Some(s) = &r.substance {
        builder.alias(cut("substance_group", s));
    }
    if let Some((d, c)) = &r.category {
        builder.alias(cut(d, c));
    }
    // The release's links after the cuts (a cut extract cell keeps its area when renamed).
    crate::release::protect::register_aliases(&mut builder, &spec.links, std::slice::from_ref(&o.population), &period);
    let def = TableDef { id: "extract".into(), measure: measure.clone(), dimensions: dims };
    let mut cells = Vec::new();
    let mut coords = Vec::new();
    for a in &area_list {
        for (s, _) in &substances {
            for c in &categories {
                let mut co = vec![a.code.clone()];
                if def.dimensions.len() > 1 && def.dimensions[1].name == "substance_group" {
                    co.push(s.clone());
                }
                if by_dim.is_some() {
                    co.push(c.clone());
                }
                cells.push(TableCell { coords: co, value: values.get(&(a.code.clone(), s.clone(), c.clone())).copied().unwrap_or(0.0), contributors: None });
                coords.push((a.clone(), s.clone(), c.clone()));
            }
        }
    }
    let ids = builder.add_table(&def, &cells).context("building the extract's protection problem")?;
    let problem = builder.build();
    let mut ledger = match &o.ledger {
        Some(p) => Ledger::load_or_new(p)?,
        None => Ledger::new(),
    };
    let protection = sdc::protect(&problem, &rules, &ledger).context("disclosure control of the extract failed: nothing was written")?;
    // The public table.
    let mut dimensions = Vec::new();
    if r.by_substance || r.substance.is_some() {
        let parent = substances.iter().filter_map(|(c, p)| p.clone().map(|p| (c.clone(), p))).collect();
        dimensions.push(DimensionMeta::new("substance_group", substances.iter().filter(|(c, _)| c != TOTAL).map(|(c, _)| c.clone())).with_parent(parent));
    }
    let dim_name = r.by_dimension.clone().or_else(|| r.category.as_ref().map(|c| c.0.clone()));
    if let Some(d) = &dim_name {
        dimensions.push(DimensionMeta::new(d.clone(), categories.iter().filter(|c| *c != TOTAL).cloned()));
    }
    let level = |a: &Area| match a.level {
        "england" => GeographyLevel::England,
        "region" => GeographyLevel::Region,
        _ => GeographyLevel::La,
    };
    let mut rows = Vec::new();
    for ((a, s, c), &id) in coords.iter().zip(&ids) {
        let mut cats = Vec::new();
        if !dimensions.is_empty() && dimensions[0].name == "substance_group" {
            cats.push(s.clone());
        }
        if dim_name.is_some() {
            cats.push(c.clone());
        }
        let value = protection.statuses[id].public_value();
        rows.push(TidyRow {
            period: period.label.clone(),
            geography_level: level(a),
            area_code: a.code.clone(),
            area_name: a.name.clone(),
            categories: cats,
            measure: r.measure.clone(),
            value,
            marker: if value.is_some() { Marker::None } else { Marker::Confidential },
        });
    }
    let mut levels: Vec<GeographyLevel> = area_list.iter().map(level).collect();
    levels.sort();
    levels.dedup();
    let table = OutputTable {
        id: "extract".into(),
        title: format!("{} ({}), {}", crate::release::tables::measure_label(&r.measure), o.population, period.label),
        measures: vec![r.measure.clone()],
        dimensions,
        geography_levels: levels,
        additive_geography: r.by_geography.is_some(),
        population: o.population.clone(),
        notes: vec![format!("Research extract under rules {} ({}): [c] marks a figure withheld to protect individuals.", rules.name, crate::output::rules_file_name(&o.rules))],
        rows,
    };
    table.validate().context("the extract breaks the output contract")?;
    let mut run = RunFolder::create(&o.out, "extract", &period.label)?;
    run.write_table_csv(&table)?;
    let rules_hash = FileHash::of_file(&o.rules)?;
    let out_period = crate::output::Period::new(&period.start_iso(), &period.end_iso())?;
    let mut manifest = Manifest::new("extract", out_period, rules_hash.clone(), vec![], ManifestGeography { parent: shown_parents(&geography, &area_list) });
    manifest.tables = vec![ManifestTable::from_table(&table)];
    run.write_manifest(&manifest)?;
    let report = checking::report(o, &rules, &table, &problem, &protection, &ids);
    run.write_audit_record(&checking::audit_record(&table, &protection, &ids, rules_hash))?;
    let staging = run.staging_path()?.join("restricted");
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    std::fs::write(staging.join("checking-report.md"), report.markdown()).context("writing the checking report")?;
    std::fs::write(staging.join("checking-report.json"), serde_json::to_string_pretty(&report)?).context("writing the checking report")?;
    let folder = run.finish()?;
    if let Some(p) = &o.ledger {
        ledger.record_publication(&problem, &protection);
        ledger.save(p)?;
    }
    Ok(ExtractSummary { folder, cells: ids.len(), suppressed: report.outputs[0].cells.len(), status: report.outputs[0].status })
}

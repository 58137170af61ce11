//! The monthly provider reports: per agency its activity (adults, year to
//! date, protected by disclosure control) and the data quality of its
//! submission for the month: load %, DQ %, the most frequent validation
//! messages and how to fix them.

pub mod fixes;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::measures::period::{Period, PeriodKind};
use crate::output::{FileHash, GeographyLevel, Manifest, ManifestGeography, ManifestTable, Marker, OutputTable, Period as OutPeriod, RunFolder, TidyRow};
use crate::pack::cells::MEASURES;
use crate::release::tables::measure_labels;
use crate::render::{pivot, Axis, HtmlRenderer, PageLink, PivotSpec, ReportPage, Section};
use crate::sdc::{self, CellId, DimensionDef, Ledger, ProblemBuilder, RuleSet, TableCell, TableDef};
use crate::warehouse::Warehouse;

/// What a provider-report run needs.
#[derive(Debug, Clone)]
pub struct ProviderReportOptions {
    pub warehouse: PathBuf,
    pub month: String,
    pub agency: Option<String>,
    pub all: bool,
    pub rules: PathBuf,
    pub out: PathBuf,
}

/// One agency's submission quality for the month.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    pub file: Option<String>,
    pub load_pct: Option<f64>,
    pub dq_pct: Option<f64>,
    /// (severity, code, field, message, rows), most frequent first.
    pub messages: Vec<(String, String, String, String, i64)>,
}

fn agencies(wh: &Warehouse) -> Result<Vec<(String, String)>> {
    let mut stmt = wh.conn().prepare("SELECT code, name FROM agency ORDER BY code")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn quality(wh: &Warehouse, agency: &str, month: &str) -> Result<Quality> {
    let sub: Option<(i64, String, Option<f64>, Option<f64>)> = wh
        .conn()
        .query_row(
            "SELECT submission_id, file_name, load_pct, dq_pct FROM submission
             WHERE agency = ? AND outcome IN ('loaded', 'rejected') AND strftime(month, '%Y-%m') = ?
             ORDER BY submission_id DESC LIMIT 1",
            [agency, month],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .ok();
    let Some((id, file, load_pct, dq_pct)) = sub else { return Ok(Quality::default()) };
    let mut stmt = wh.conn().prepare(
        "SELECT severity, code, coalesce(field, ''), message, row_count FROM submission_message
         WHERE submission_id = ? ORDER BY row_count DESC, code LIMIT 10",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    let messages = rows.collect::<Result<Vec<_>, _>>().with_context(|| format!("reading the messages of {file}"))?;
    Ok(Quality { file: Some(file), load_pct, dq_pct, messages })
}

fn activity(wh: &Warehouse, period: &str) -> Result<HashMap<(String, String), f64>> {
    let measures = MEASURES.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT measure, area_code, value FROM cube WHERE period = ? AND population = 'adult' AND geography_level = 'provider'
         AND dimension = '' AND substance_group = 'Total' AND measure IN ({measures})"
    );
    let mut stmt = wh.conn().prepare(&sql)?;
    let rows = stmt.query_map([period], |r| Ok(((r.get::<_, String>(0)?, r.get::<_, String>(1)?), r.get::<_, i64>(2)? as f64)))?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

/// Writes the reports; returns the run folder and the number of reports.
pub fn provider_report(o: &ProviderReportOptions) -> Result<(PathBuf, usize)> {
    let period = Period::parse(&o.month)?;
    if period.kind != PeriodKind::YearToDate {
        bail!("provider reports are monthly: --month takes YYYY-MM, not {}", o.month);
    }
    let rules = RuleSet::load(&o.rules)?;
    let wh = Warehouse::open(&o.warehouse)?;
    if !crate::pack::cells::period_is_built(&wh, &period.label) {
        crate::measures::build(&wh, &period).with_context(|| format!("building the measures of {}", period.label))?;
    }
    let all = agencies(&wh)?;
    let chosen: Vec<(String, String)> = match (&o.agency, o.all) {
        (Some(code), false) => match all.iter().find(|(c, _)| c == code) {
            Some(a) => vec![a.clone()],
            None => bail!("agency {code} is not in the warehouse's agency list"),
        },
        (None, true) => all.clone(),
        _ => bail!("give either --agency CODE or --all"),
    };
    // Every agency's activity is protected together, whichever reports are written.
    let counts = activity(&wh, &period.label)?;
    let mut builder = ProblemBuilder::new(&format!("provider-report-{}", period.label));
    let mut ids: HashMap<(String, String), CellId> = HashMap::new();
    for (code, _) in &all {
        for m in MEASURES {
            let def = TableDef {
                id: format!("activity-{code}"),
                measure: format!("adult:{m}@{}|provider={code}", period.label),
                dimensions: vec![DimensionDef { name: "provider".into(), total: code.clone(), categories: vec![] }],
            };
            let value = counts.get(&(m.to_string(), code.clone())).copied().unwrap_or(0.0);
            let id = builder.add_table(&def, &[TableCell { coords: vec![code.clone()], value, contributors: None }])?;
            ids.insert((m.to_string(), code.clone()), id[0]);
        }
    }
    let problem = builder.build();
    let protection = sdc::protect(&problem, &rules, &Ledger::new()).context("disclosure control of the provider reports failed")?;
    let mut run = RunFolder::create(&o.out, "provider-report", &period.label)?.without_audit_record()?;
    let renderer = HtmlRenderer::embedded()?;
    let out_period = OutPeriod::new(&period.start_iso(), &period.end_iso())?;
    let period_text = out_period.reader_label();
    let mut tables = Vec::new();
    let mut links = Vec::new();
    for (code, name) in &chosen {
        let q = quality(&wh, code, &period.label)?;
        let mut rows = Vec::new();
        let row = |measure: &str, value: Option<f64>, marker: Marker| TidyRow {
            period: period.label.clone(),
            geography_level: GeographyLevel::Provider,
            area_code: code.clone(),
            area_name: name.clone(),
            categories: vec![],
            measure: measure.into(),
            value,
            marker,
        };
        for m in MEASURES {
            let v = protection.statuses[ids[&(m.to_string(), code.clone())]].public_value();
            rows.push(row(m, v, if v.is_some() { Marker::None } else { Marker::Confidential }));
        }
        for (m, v) in [("load_percent", q.load_pct), ("dq_percent", q.dq_pct)] {
            rows.push(row(m, v, if v.is_some() { Marker::None } else { Marker::NotAvailable }));
        }
        let mut measures: Vec<String> = MEASURES.iter().map(|m| m.to_string()).collect();
        measures.extend(["load_percent".to_string(), "dq_percent".to_string()]);
        let table = OutputTable {
            id: format!("{}-provider", code.to_lowercase()),
            title: format!("{name}: adults year to date and data quality, {period_text}"),
            measures,
            dimensions: vec![],
            geography_levels: vec![GeographyLevel::Provider],
            additive_geography: false,
            notes: vec!["Counts are protected by disclosure control ([c]). Load % and DQ % are of the month's submission ([x]: none).".into()],
            rows,
        };
        table.validate().with_context(|| format!("provider report {code} breaks the output contract"))?;
        run.write_table_csv(&table)?;
        let view = pivot(
            &table,
            &PivotSpec {
                caption: table.title.clone(),
                rows: Axis::Areas(GeographyLevel::Provider),
                columns: Axis::Measures,
                area_code: None,
                measure: None,
                fixed: BTreeMap::new(),
                measure_labels: measure_labels(std::slice::from_ref(&table)),
            },
        )?;
        let mut dq = vec![match &q.file {
            Some(f) => format!("Submission {f}: load {:.1}%, data quality {:.1}%.", q.load_pct.unwrap_or(0.0), q.dq_pct.unwrap_or(0.0)),
            None => "No submission for this month.".into(),
        }];
        for (severity, code, field, message, n) in &q.messages {
            dq.push(format!("{severity} {code} ({field}), {n} rows: {message}. How to fix: {}", fixes::how_to_fix(code)));
        }
        let page = ReportPage {
            title: format!("Provider report: {name} ({code})"),
            kicker: "Provider report".into(),
            period: period_text.clone(),
            coverage: name.clone(),
            summary: vec!["The agency's activity this year to date and the quality of this month's submission.".into()],
            headlines: vec![],
            sections: vec![
                Section { id: "activity".into(), heading: "Activity and data quality".into(), paragraphs: table.notes.clone(), chart: None, table: Some(view) },
                Section { id: "validation".into(), heading: "Most frequent validation messages".into(), paragraphs: dq, chart: None, table: None },
            ],
            links: vec![],
            links_heading: String::new(),
            back: o.all.then(|| PageLink { text: "All provider reports".into(), href: "index.html".into() }),
            notes: vec!["[c] confidential (suppressed to protect individuals); [x] not available.".into()],
            source: "Source: NDTMS provider extracts, processed by ndtms-stats.".into(),
            contact: "Contact the NDTMS data team.".into(),
        };
        run.write_public(&format!("html/{code}.html"), renderer.render_area(&page)?.as_bytes())?;
        links.push(PageLink { text: format!("{name} ({code})"), href: format!("{code}.html") });
        tables.push(table);
    }
    if o.all {
        let index = ReportPage {
            title: "Provider reports".into(),
            kicker: "Provider reports".into(),
            period: period_text.clone(),
            coverage: String::new(),
            summary: vec!["One report per agency: activity and data quality.".into()],
            headlines: vec![],
            sections: vec![],
            links,
            links_heading: "Reports by agency".into(),
            back: None,
            notes: vec![],
            source: "Source: NDTMS provider extracts, processed by ndtms-stats.".into(),
            contact: "Contact the NDTMS data team.".into(),
        };
        run.write_public("html/index.html", renderer.render_index(&index)?.as_bytes())?;
    }
    let mut manifest = Manifest::new("provider-report", out_period, FileHash::of_file(&o.rules)?, vec![], ManifestGeography { parent: BTreeMap::new() });
    manifest.tables = tables.iter().map(ManifestTable::from_table).collect();
    run.write_manifest(&manifest)?;
    Ok((run.finish()?, tables.len()))
}

//! Writing the provider reports: one table per agency (its adults year to date, its
//! commissioning LA's and England's, load % and DQ %), an HTML page with the most frequent
//! validation messages and how to fix them, an Excel workbook, the manifest and the
//! restricted audit record.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::{fixes, quality, ProviderReportOptions, Quality};
use crate::geography::{Geography, ATTRIBUTION, ENGLAND_CODE};
use crate::measures::period::{Period, PeriodKind};
use crate::output::{FileHash, GeographyLevel, Manifest, ManifestGeography, ManifestTable, Marker, OutputTable, Period as OutPeriod, RunFolder, TidyRow};
use crate::pack::cells::{agencies, POPULATION, PROVIDER_MEASURES};
use crate::pack::protect::{protect_packs, ProtectedPack};
use crate::pack::publish::{audit_record, submission_inputs};
use crate::release::data::TOTAL;
use crate::release::tables::measure_labels;
use crate::render::{pivot, write_workbook, Axis, HtmlRenderer, PageLink, PivotSpec, ReportPage, Section, WorkbookCover};
use crate::sdc::{Ledger, RuleSet};
use crate::warehouse::Warehouse;

const SOURCE: &str = "Source: National Drug Treatment Monitoring System (NDTMS) provider extracts, processed by ndtms-stats.";
const CONTACT: &str = "Contact the NDTMS data team.";

/// Writes the reports; returns the run folder and the number of reports.
pub fn provider_report(o: &ProviderReportOptions) -> Result<(PathBuf, usize)> {
    crate::output::check_out_dir(&o.out)?;
    let period = Period::parse(&o.month)?;
    if period.kind != PeriodKind::YearToDate {
        bail!("provider reports are monthly: --month takes YYYY-MM, not {}", o.month);
    }
    let rules = RuleSet::load(&o.rules)?;
    let wh = Warehouse::open(&o.warehouse)?;
    let geography = Geography::embedded();
    let all = agencies(&wh)?;
    let chosen: Vec<(String, String)> = match (&o.agency, o.all) {
        (Some(code), false) => match all.iter().find(|(c, _)| c == code) {
            Some(a) => vec![a.clone()],
            None => bail!("agency {code} is not in the warehouse's agency list"),
        },
        (None, true) => all.clone(),
        _ => bail!("give either --agency CODE or --all"),
    };
    let grid = crate::pack::month_grid(&wh, &period, &geography)?;
    let mut ledger = Ledger::load_or_new(&o.ledger)?;
    let protected = protect_packs(&grid, &rules, &ledger).context("disclosure control of the provider reports failed: nothing was written")?;
    let mut run = RunFolder::create(&o.out, "provider-report", &period.label)?;
    if o.no_audit_record {
        run = run.without_audit_record()?;
    }
    let renderer = HtmlRenderer::embedded()?;
    let out_period = OutPeriod::new(&period.start_iso(), &period.end_iso())?;
    let period_text = out_period.reader_label();
    let rules_text = format!("{} ({})", rules.name, crate::output::rules_file_name(&o.rules));
    let commissioning = commissioning_las(&wh)?;
    let young_people = young_people_services(&wh)?;
    let (mut tables, mut links, mut reports) = (Vec::new(), Vec::new(), Vec::new());
    for (code, name) in &chosen {
        let q = quality(&wh, code, &period.label)?;
        let la = commissioning.get(code).and_then(|la| geography.reporting_la(la)).map(str::to_string);
        let table = agency_table(code, name, la.as_deref(), &geography, &q, &protected, &period, &period_text);
        table.validate().with_context(|| format!("provider report {code} breaks the output contract"))?;
        run.write_table_csv(&table)?;
        let cover = WorkbookCover {
            title: format!("Provider report: {name} ({code}), {period_text}"),
            period: period_text.clone(),
            source: SOURCE.into(),
            rules: rules_text.clone(),
            contact: CONTACT.into(),
            revisions: "Year-to-date figures are provisional and may be revised as later submissions arrive.".into(),
            notes: notes(),
        };
        write_workbook(&run.public_path(&format!("xlsx/{code}.xlsx"))?, &cover, std::slice::from_ref(&table))?;
        let mut page = page(code, name, &table, &q, &period_text, o.all)?;
        if young_people.contains(code) {
            page.summary.push("This is a young people's service. The counts are of adults only (18 and over at triage), so they are usually zero; young people's activity is not yet part of the provider report. Its data quality below covers every row of its submission.".into());
        }
        run.write_public(&format!("html/{code}.html"), renderer.render_area(&page)?.as_bytes())?;
        reports.extend([format!("xlsx/{code}.xlsx"), format!("html/{code}.html")]);
        links.push(PageLink { text: format!("{name} ({code})"), href: format!("{code}.html") });
        tables.push(table);
    }
    if o.all {
        links.sort_by(|a, b| a.text.cmp(&b.text));
        let index = ReportPage {
            title: "Provider reports".into(),
            kicker: "Provider reports".into(),
            period: period_text.clone(),
            coverage: String::new(),
            summary: vec!["One report per agency: activity year to date and the data quality of the month's submission.".into()],
            headlines: vec![],
            sections: vec![],
            links,
            links_heading: "Reports by agency".into(),
            back: None,
            notes: notes(),
            source: SOURCE.into(),
            contact: CONTACT.into(),
        };
        run.write_public("html/index.html", renderer.render_index(&index)?.as_bytes())?;
        reports.push("html/index.html".into());
    }
    let rules_hash = FileHash::of_file(&o.rules)?;
    let inputs = submission_inputs(&wh)?;
    let mut parent: BTreeMap<String, String> = crate::release::data::parent_map(&grid.areas);
    // Every agency shown -> its commissioning LA (England when the LA is unknown: its report
    // then shows the agency beside England only).
    for (code, _) in &chosen {
        let la = commissioning.get(code).and_then(|la| geography.reporting_la(la)).unwrap_or(ENGLAND_CODE);
        parent.insert(code.clone(), la.to_string());
    }
    let mut manifest = Manifest::new("provider-report", out_period, rules_hash.clone(), inputs.clone(), ManifestGeography { parent });
    manifest.tables = tables.iter().map(ManifestTable::from_table).collect();
    manifest.reports = reports;
    run.write_manifest(&manifest)?;
    if !o.no_audit_record {
        run.write_audit_record(&audit_record("provider-report", &tables, &protected, rules_hash, inputs))?;
    }
    let folder = run.finish()?;
    ledger.record_publication(&protected.problem, &protected.protection);
    ledger.save(&o.ledger)?;
    Ok((folder, tables.len()))
}

fn notes() -> Vec<String> {
    vec![
        "Adults, year to date (1 April to the end of the month). An agency counts the people it saw, wherever they live; its local authority counts its residents, at any agency.".into(),
        "Counts are protected by disclosure control together with the month's commissioner packs: [c] confidential (suppressed to protect individuals); [x] not available (no submission).".into(),
        format!("Geography: {ATTRIBUTION}"),
    ]
}

fn commissioning_las(wh: &Warehouse) -> Result<BTreeMap<String, String>> {
    let mut stmt = wh.conn().prepare("SELECT code, commissioning_la FROM agency").context("reading the agencies")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).context("reading the agencies")?;
    Ok(rows.collect::<Result<BTreeMap<_, _>, _>>()?)
}

/// Codes of the agencies that submit a young people's dataset.
fn young_people_services(wh: &Warehouse) -> Result<std::collections::BTreeSet<String>> {
    let mut stmt = wh.conn().prepare("SELECT code FROM agency WHERE dataset LIKE '%-yp'").context("reading the agencies")?;
    let rows = stmt.query_map([], |r| r.get(0)).context("reading the agencies")?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One agency's table: its counts and data quality, then its LA's and England's counts.
#[allow(clippy::too_many_arguments)]
fn agency_table(code: &str, name: &str, la: Option<&str>, geography: &Geography, q: &Quality, protected: &ProtectedPack, period: &Period, period_text: &str) -> OutputTable {
    let mut rows = Vec::new();
    let row = |level: GeographyLevel, area: &str, area_name: &str, measure: &str, value: Option<f64>, marker: Marker| TidyRow {
        period: period.label.clone(),
        geography_level: level,
        area_code: area.to_string(),
        area_name: area_name.to_string(),
        categories: vec![],
        measure: measure.into(),
        value,
        marker,
    };
    let shown = |v: Option<f64>| if v.is_some() { Marker::None } else { Marker::Confidential };
    for m in PROVIDER_MEASURES {
        let v = protected.provider(m, code).and_then(|s| s.public_value());
        rows.push(row(GeographyLevel::Provider, code, name, m, v, shown(v)));
    }
    for (m, v) in [("load_percent", q.load_pct), ("dq_percent", q.dq_pct)] {
        rows.push(row(GeographyLevel::Provider, code, name, m, v, if v.is_some() { Marker::None } else { Marker::NotAvailable }));
    }
    let mut areas: Vec<(GeographyLevel, String, String)> = Vec::new();
    if let Some(la) = la {
        areas.push((GeographyLevel::La, la.to_string(), geography.area_name(la).unwrap_or(la).to_string()));
    }
    areas.push((GeographyLevel::England, ENGLAND_CODE.to_string(), "England".to_string()));
    for (level, area, area_name) in &areas {
        for m in PROVIDER_MEASURES {
            let v = protected.cell(m, area, TOTAL).and_then(|(_, s)| s.public_value());
            rows.push(row(*level, area, area_name, m, v, shown(v)));
        }
        for m in ["load_percent", "dq_percent"] {
            rows.push(row(*level, area, area_name, m, None, Marker::NotApplicable));
        }
    }
    let mut measures: Vec<String> = PROVIDER_MEASURES.iter().map(|m| m.to_string()).collect();
    measures.extend(["load_percent".to_string(), "dq_percent".to_string()]);
    let mut levels: Vec<GeographyLevel> = rows.iter().map(|r| r.geography_level).collect();
    levels.sort();
    levels.dedup();
    OutputTable {
        id: format!("{}-provider", code.to_lowercase()),
        title: format!("{name}: adults year to date and data quality, {period_text}"),
        measures,
        dimensions: vec![],
        geography_levels: levels,
        additive_geography: false,
        population: POPULATION.into(),
        notes: vec![
            "The agency's counts are the adults it saw; its local authority's and England's count residents at any agency, so they are not comparable sums.".into(),
            "Load % and DQ % are of the month's submission ([x]: none; [z]: not applicable to an area).".into(),
        ],
        rows,
    }
}

fn page(code: &str, name: &str, table: &OutputTable, q: &Quality, period_text: &str, all: bool) -> Result<ReportPage> {
    let view = pivot(
        table,
        &PivotSpec {
            caption: table.title.clone(),
            rows: Axis::AllAreas,
            columns: Axis::Measures,
            area_code: None,
            measure: None,
            fixed: BTreeMap::new(),
            measure_labels: measure_labels(std::slice::from_ref(table)),
        },
    )?;
    let mut dq = vec![match (&q.file, q.outcome.as_str()) {
        (Some(f), "rejected") => format!(
            "Submission {f} was rejected as a whole and nothing of it was loaded: {}. Correct the file and submit it again.",
            q.reject_reason.as_deref().unwrap_or("see the data-quality report")
        ),
        (Some(f), _) => format!(
            "Submission {f}: {:.1}% of rows loaded (rows without errors), {:.1}% of rows without errors or warnings.",
            q.load_pct.unwrap_or(0.0),
            q.dq_pct.unwrap_or(0.0)
        ),
        (None, _) => "No submission for this month.".into(),
    }];
    for (severity, code, field, message, n) in &q.messages {
        let field = if field.is_empty() { String::new() } else { format!(" ({field})") };
        dq.push(format!("{severity} {code}{field}, {n} rows: {message}. How to fix: {}", fixes::how_to_fix(code)));
    }
    Ok(ReportPage {
        title: format!("Provider report: {name} ({code})"),
        kicker: "Provider report".into(),
        period: period_text.to_string(),
        coverage: name.to_string(),
        summary: vec!["The agency's adults in treatment this year to date, next to its local authority and England, and the quality of this month's submission.".into()],
        headlines: vec![],
        sections: vec![
            Section { id: "activity".into(), heading: "Activity and data quality".into(), paragraphs: table.notes.clone(), chart: None, table: Some(view) },
            Section { id: "validation".into(), heading: "Most frequent validation messages".into(), paragraphs: dq, chart: None, table: None },
        ],
        links: vec![],
        links_heading: String::new(),
        back: all.then(|| PageLink { text: "All provider reports".into(), href: "index.html".into() }),
        notes: notes(),
        source: SOURCE.into(),
        contact: CONTACT.into(),
    })
}

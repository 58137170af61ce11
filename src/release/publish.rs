//! Writing a protected release into its run folder (output contract): tidy
//! CSV per table, `release.xlsx`, HTML (index and one page per region),
//! `manifest.json`, and `restricted/audit.json`. The folder is built aside
//! and moved into place only when everything has been written.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::data::parent_map;
use super::pages::{headlines, section_for};
use super::protect::{Coord, Grid, Protected};
use super::spec::ReleaseSpec;
use super::tables::output_table;
use super::ReleaseOptions;
use crate::geography::{Geography, ATTRIBUTION, ENGLAND_CODE};
use crate::measures::period::Period;
use crate::output::{
    AuditRecord, CellCoordinates, FileHash, Manifest, ManifestGeography, ManifestTable, Marker, OutputTable, Period as OutPeriod,
    RunFolder, SuppressedCell, SuppressionReason,
};
use crate::render::{write_workbook, HtmlRenderer, PageLink, ReportPage, WorkbookCover};
use crate::sdc::{CellStatus, RuleSet};
use crate::warehouse::Warehouse;

const SOURCE: &str = "Source: National Drug Treatment Monitoring System (NDTMS) provider extracts, processed by ndtms-stats.";
const CONTACT: &str = "Contact the statistics team that produced this release.";

fn general_notes(rules: &RuleSet, rules_file: &str) -> Vec<String> {
    vec![
        "People are counted once per area however many providers saw them; each person is placed in the local authority of residence on their latest episode in the period, so local authorities add up to their region and regions (with 'LA unknown', people with no English residence) to England.".into(),
        "City of London is reported with Hackney and the Isles of Scilly with Cornwall.".into(),
        "Substance group comes from all the substances of a person's latest journey: any opiate is 'opiate' (split into 'opiate and crack' and 'opiate not crack'); otherwise non-opiate drugs with or without alcohol, or alcohol only.".into(),
        "Successful completions are exits with discharge reason 80, 81 or 82. Completion rate = successful completions / adults in treatment, with a 95% Wilson score interval.".into(),
        format!("Disclosure control ({}, {rules_file}): small counts and the cells that would reveal them are shown as [c]. Rates are suppressed with their numerator or when the denominator is too small.", rules.name),
        format!("Geography: {ATTRIBUTION}"),
    ]
}

/// Writes the release; returns the folder.
#[allow(clippy::too_many_arguments)]
pub fn write_release(
    opts: &ReleaseOptions,
    period: &Period,
    spec: &ReleaseSpec,
    grids: &[Grid],
    protected: &Protected,
    rules: &RuleSet,
    wh: &Warehouse,
    geography: &Geography,
) -> Result<PathBuf> {
    let rules_file = crate::output::rules_file_name(&opts.rules);
    let notes = general_notes(rules, &rules_file);
    let mut table_notes: Vec<String> = protected.protection.notes.clone();
    table_notes.dedup();
    let tables: Vec<OutputTable> =
        grids.iter().map(|g| output_table(g, protected, &period.label, &spec.links, table_notes.clone())).collect();
    let mut run = RunFolder::create(&opts.out, "release", &period.label)?;
    if opts.no_audit_record {
        run = run.without_audit_record()?;
    }
    for t in &tables {
        t.validate().with_context(|| format!("table {} breaks the output contract", t.id))?;
        run.write_table_csv(t)?;
    }
    let out_period = OutPeriod::new(&period.start_iso(), &period.end_iso())?;
    let period_text = out_period.reader_label();
    let cover = WorkbookCover {
        title: format!("Substance misuse treatment statistics, {period_text}"),
        period: period_text.clone(),
        source: SOURCE.into(),
        rules: format!("{} ({rules_file})", rules.name),
        contact: CONTACT.into(),
        revisions: "Figures are provisional where representation within 6 months cannot yet be observed; later releases may revise them.".into(),
        notes: notes.clone(),
    };
    write_workbook(&run.public_path("release.xlsx")?, &cover, &tables)?;
    write_pages(&run, opts, spec, grids, &tables, geography, &period_text, &notes)?;
    let rules_hash = FileHash::of_file(&opts.rules)?;
    let inputs = submission_inputs(wh)?;
    let mut parent = BTreeMap::new();
    for g in grids {
        parent.extend(parent_map(&g.areas));
    }
    let mut manifest = Manifest::new("release", out_period, rules_hash.clone(), inputs.clone(), ManifestGeography { parent });
    manifest.tables = tables.iter().map(ManifestTable::from_table).collect();
    manifest.reports = vec!["release.xlsx".into(), "html/index.html".into()];
    run.write_manifest(&manifest)?;
    if !opts.no_audit_record {
        run.write_audit_record(&audit_record(&tables, grids, protected, rules_hash, inputs))?;
    }
    Ok(run.finish()?)
}

#[allow(clippy::too_many_arguments)]
fn write_pages(
    run: &RunFolder,
    opts: &ReleaseOptions,
    spec: &ReleaseSpec,
    grids: &[Grid],
    tables: &[OutputTable],
    geography: &Geography,
    period_text: &str,
    notes: &[String],
) -> Result<()> {
    let renderer = match &opts.templates {
        Some(dir) => HtmlRenderer::from_dir(dir)?,
        None => HtmlRenderer::embedded()?,
    };
    let chart_of = |id: &str| spec.tables.iter().find(|t| t.id == id).map(|t| t.chart.clone()).unwrap_or_default();
    let mut sections = Vec::new();
    for t in tables {
        sections.extend(section_for(t, &chart_of(&t.id), ENGLAND_CODE, "england", false)?);
    }
    let regions: Vec<(String, String)> = geography.regions().map(|(c, n)| (c.to_string(), n.to_string())).collect();
    let index = ReportPage {
        title: "Substance misuse treatment statistics".into(),
        kicker: "Official statistics".into(),
        period: period_text.to_string(),
        coverage: "England".into(),
        summary: vec![
            "People in treatment for drug and alcohol use in England, new presentations, exits and successful completions, from the providers' NDTMS extracts.".into(),
            "Every figure has passed statistical disclosure control: [c] marks a figure withheld to protect individuals.".into(),
        ],
        headlines: headlines(tables, ENGLAND_CODE, period_text),
        sections,
        links: regions.iter().map(|(c, n)| PageLink { text: n.clone(), href: format!("areas/{c}.html") }).collect(),
        links_heading: "Figures by region".into(),
        back: None,
        notes: notes.to_vec(),
        source: SOURCE.into(),
        contact: CONTACT.into(),
    };
    run.write_public("html/index.html", renderer.render_index(&index)?.as_bytes())?;
    for (code, name) in &regions {
        let mut sections = Vec::new();
        for (t, g) in tables.iter().zip(grids) {
            if g.areas.iter().any(|a| &a.code == code) {
                let region_table = restrict_to_region(t, code, geography);
                sections.extend(section_for(&region_table, &chart_of(&t.id), code, code, true)?);
            }
        }
        let page = ReportPage {
            title: name.clone(),
            kicker: "Region".into(),
            coverage: name.clone(),
            summary: vec![format!("Figures for people living in {name}, with its local authorities where a table has them.")],
            headlines: headlines(tables, code, period_text),
            sections,
            links: vec![],
            back: Some(PageLink { text: "Back to the England summary".into(), href: "../index.html".into() }),
            ..index.clone()
        };
        run.write_public(&format!("html/areas/{code}.html"), renderer.render_area(&page)?.as_bytes())?;
    }
    Ok(())
}

/// A table cut down to one region and its local authorities.
fn restrict_to_region(t: &OutputTable, region: &str, geography: &Geography) -> OutputTable {
    let keep = |code: &str| code == region || geography.la(code).is_some_and(|la| la.region_code == region && la.reporting_la == la.code);
    OutputTable { rows: t.rows.iter().filter(|r| keep(&r.area_code)).cloned().collect(), ..t.clone() }
}

/// The submissions the warehouse was loaded from (the run's inputs).
fn submission_inputs(wh: &Warehouse) -> Result<Vec<FileHash>> {
    let mut stmt = wh
        .conn()
        .prepare("SELECT file_name, file_sha256 FROM submission WHERE outcome = 'loaded' ORDER BY submission_id")?;
    let rows = stmt.query_map([], |r| Ok(FileHash { file: r.get(0)?, sha256: r.get(1)? }))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn audit_record(tables: &[OutputTable], grids: &[Grid], protected: &Protected, rules: FileHash, inputs: Vec<FileHash>) -> AuditRecord {
    let mut record = AuditRecord::new("release", rules, inputs);
    record.information_loss = Some(protected.protection.information_loss.clone());
    // Where each engine cell is first shown, to name the cells a complement protects.
    let mut location: HashMap<usize, CellCoordinates> = HashMap::new();
    for (t, g) in tables.iter().zip(grids) {
        for row in &t.rows {
            let coord = coord_of(g, row);
            if let Some((id, _)) = protected.cell(&t.id, &coord) {
                location.entry(id).or_insert_with(|| CellCoordinates::of_row(t, row));
            }
        }
    }
    for (t, g) in tables.iter().zip(grids) {
        for row in t.rows.iter().filter(|r| r.marker == Marker::Confidential) {
            let coord = coord_of(g, row);
            let cell = CellCoordinates::of_row(t, row);
            if let Some((id, status)) = protected.cell(&t.id, &coord) {
                let interval = protected.protection.intervals[id].map(|i| [i.low, i.high.min(f64::MAX)]).unwrap_or([0.0, f64::MAX]);
                let CellStatus::Suppressed { reason } = status else { continue };
                let reason = SuppressionReason::of(reason, |p| location.get(&p).cloned());
                record.suppressed.push(SuppressedCell { cell, reason, audit_interval: interval });
            } else {
                let rule = "rate: numerator or denominator suppressed, or denominator below the minimum".to_string();
                record.suppressed.push(SuppressedCell { cell, reason: SuppressionReason::Primary { rule }, audit_interval: [0.0, 1.0] });
            }
        }
    }
    record
}

fn coord_of(g: &Grid, row: &crate::output::TidyRow) -> Coord {
    let mut i = 0;
    let substance = if g.table.substance {
        i += 1;
        row.categories[0].clone()
    } else {
        super::data::TOTAL.to_string()
    };
    let category = if g.table.dimension.is_empty() { super::data::TOTAL.to_string() } else { row.categories[i].clone() };
    (row.measure.clone(), row.area_code.clone(), substance, category)
}

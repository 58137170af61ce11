//! Writing one month's commissioner packs into their run folder (output
//! contract): per local authority `csv/<la>-ytd.csv` and
//! `csv/<la>-providers.csv`, `xlsx/<LA>.xlsx` and `html/<LA>.html`; with
//! `--all` an `html/index.html` linking every pack; `manifest.json` and the
//! restricted audit record of every suppressed cell.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};

use super::protect::{PackGrid, ProtectedPack};
use super::tables::{pack_areas, providers_of, providers_table, trend_table, ytd_table};
use super::PackOptions;
use crate::geography::{ATTRIBUTION, ENGLAND_CODE};
use crate::release::data::TOTAL;
use crate::measures::period::Period;
use crate::output::{
    AuditRecord, CellCoordinates, FileHash, GeographyLevel, Manifest, ManifestGeography, ManifestTable, Marker, OutputTable,
    Period as OutPeriod, RunFolder, SuppressedCell, SuppressionReason,
};
use crate::release::data::parent_map;
use crate::release::pages::{headlines, section_for};
use crate::release::tables::measure_labels;
use crate::render::{pivot, write_workbook, Axis, HtmlRenderer, PageLink, PivotSpec, ReportPage, Section, WorkbookCover};
use crate::sdc::{CellId, CellStatus, RuleSet};
use crate::warehouse::Warehouse;

const SOURCE: &str = "Source: National Drug Treatment Monitoring System (NDTMS) provider extracts, processed by ndtms-stats.";
const CONTACT: &str = "Contact the statistics team that produced this pack.";

fn notes(rules: &RuleSet, rules_file: &str) -> Vec<String> {
    vec![
        "Figures are for adults, year to date (1 April to the end of the month), by local authority of residence.".into(),
        format!("Disclosure control ({}, {rules_file}): small counts and the cells that would reveal them are shown as [c]. Every local authority's pack, and last month's packs, are protected together, so packs cannot be subtracted from each other to reveal a withheld figure.", rules.name),
        format!("Geography: {ATTRIBUTION}"),
    ]
}

/// Writes the packs of `las`; returns the run folder.
pub fn write_packs(
    opts: &PackOptions,
    period: &Period,
    grid: &PackGrid,
    protected: &ProtectedPack,
    rules: &RuleSet,
    wh: &Warehouse,
    las: &[String],
) -> Result<std::path::PathBuf> {
    let rules_file = crate::output::rules_file_name(&opts.rules);
    let notes = notes(rules, &rules_file);
    let mut run = RunFolder::create(&opts.out, "pack", &period.label)?;
    if opts.no_audit_record {
        run = run.without_audit_record()?;
    }
    let renderer = HtmlRenderer::embedded()?;
    let out_period = OutPeriod::new(&period.start_iso(), &period.end_iso())?;
    let period_text = out_period.reader_label();
    let mut all_tables = Vec::new();
    let mut links = Vec::new();
    // Every area the packs show -> its parent: LA -> region -> England, provider -> the LA
    // that commissions it (the pack it is shown in).
    let mut parent: BTreeMap<String, String> = parent_map(&grid.areas);
    for la in las {
        let areas = pack_areas(&grid.areas, la)?;
        let la_name = areas[0].name.clone();
        let slug = la.to_lowercase();
        let mut ytd = ytd_table(&areas, &grid.substances, protected, &period.label);
        ytd.id = format!("{slug}-ytd");
        let mut trend = trend_table(&areas, &grid.months, protected, &period.label);
        trend.id = format!("{slug}-trend");
        let commissioned = providers_of(wh, la)?;
        parent.extend(commissioned.iter().map(|p| (p.agency.clone(), la.clone())));
        let mut providers = providers_table(&commissioned, &period.label, protected);
        providers.id = format!("{slug}-providers");
        for t in [&ytd, &trend, &providers] {
            t.validate().with_context(|| format!("table {} breaks the output contract", t.id))?;
            run.write_table_csv(t)?;
        }
        let cover = WorkbookCover {
            title: format!("Commissioner pack: {la_name}, {period_text}"),
            period: period_text.clone(),
            source: SOURCE.into(),
            rules: format!("{} ({rules_file})", rules.name),
            contact: CONTACT.into(),
            revisions: "Year-to-date figures are provisional and may be revised as later submissions arrive.".into(),
            notes: notes.clone(),
        };
        write_workbook(&run.public_path(&format!("xlsx/{la}.xlsx"))?, &cover, &[ytd.clone(), trend.clone(), providers.clone()])?;
        let mut sections = section_for(&ytd, "rates", la, &slug, false)?;
        sections.extend(section_for(&trend, "trend", la, &slug, false)?);
        // headed by the LA's name, not the table id the release uses for its numbered tables
        for s in &mut sections {
            let title = if s.id == ytd.id { &ytd.title } else { &trend.title };
            s.heading = format!("{la_name}: {title}");
        }
        sections.insert(1, comparison_section(&ytd, &areas.iter().map(|a| a.name.as_str()).collect::<Vec<_>>())?);
        sections.push(providers_section(&providers)?);
        let page = ReportPage {
            title: format!("Commissioner pack: {la_name}"),
            kicker: "Commissioner pack".into(),
            period: period_text.clone(),
            coverage: la_name.clone(),
            summary: vec![format!(
                "Adults living in {la_name} in drug and alcohol treatment, year to date, against {} and England, and the providers the local authority commissions.",
                areas.get(1).map(|a| a.name.as_str()).unwrap_or("the region")
            )],
            headlines: headlines(std::slice::from_ref(&ytd), la, &period_text),
            sections,
            links: vec![],
            links_heading: String::new(),
            back: opts.all.then(|| PageLink { text: "All commissioner packs".into(), href: "index.html".into() }),
            notes: notes.clone(),
            source: SOURCE.into(),
            contact: CONTACT.into(),
        };
        run.write_public(&format!("html/{la}.html"), renderer.render_area(&page)?.as_bytes())?;
        links.push(PageLink { text: la_name, href: format!("{la}.html") });
        all_tables.push(ytd);
        all_tables.push(trend);
        all_tables.push(providers);
    }
    if opts.all {
        let index = ReportPage {
            title: "Commissioner packs".into(),
            kicker: "Commissioner packs".into(),
            period: period_text.clone(),
            coverage: "England".into(),
            summary: vec!["One pack per local authority: year-to-date treatment figures against the region and England, and the providers' data quality.".into()],
            headlines: vec![],
            sections: vec![],
            links,
            links_heading: "Packs by local authority".into(),
            back: None,
            notes: notes.clone(),
            source: SOURCE.into(),
            contact: CONTACT.into(),
        };
        run.write_public("html/index.html", renderer.render_index(&index)?.as_bytes())?;
    }
    let rules_hash = FileHash::of_file(&opts.rules)?;
    let inputs = submission_inputs(wh)?;
    let mut manifest = Manifest::new("pack", out_period, rules_hash.clone(), inputs.clone(), ManifestGeography { parent });
    manifest.tables = all_tables.iter().map(ManifestTable::from_table).collect();
    manifest.reports = las.iter().flat_map(|la| [format!("xlsx/{la}.xlsx"), format!("html/{la}.html")]).collect();
    if opts.all {
        manifest.reports.push("html/index.html".into());
    }
    run.write_manifest(&manifest)?;
    if !opts.no_audit_record {
        run.write_audit_record(&audit_record("pack", &all_tables, protected, rules_hash, inputs))?;
    }
    Ok(run.finish()?)
}

/// The LA's year-to-date figures for all substances beside its region's and England's.
fn comparison_section(ytd: &OutputTable, names: &[&str]) -> Result<Section> {
    let heading = match names {
        [la, region, _england] => format!("{la} against {region} and England, all substances"),
        [la, ..] => format!("{la} against England, all substances"),
        [] => "Against England, all substances".to_string(),
    };
    let view = pivot(
        ytd,
        &PivotSpec {
            caption: heading.clone(),
            rows: Axis::AllAreas,
            columns: Axis::Measures,
            area_code: None,
            measure: None,
            fixed: BTreeMap::from([("substance_group".to_string(), TOTAL.to_string())]),
            measure_labels: measure_labels(std::slice::from_ref(ytd)),
        },
    )?;
    let paragraphs = vec!["The same year to date for the local authority's residents, all residents of its region and all of England: rates can be compared directly, counts differ with the size of the area.".into()];
    Ok(Section { id: format!("{}-comparison", ytd.id), heading, paragraphs, chart: None, table: Some(view) })
}

fn providers_section(table: &OutputTable) -> Result<Section> {
    let view = pivot(
        table,
        &PivotSpec {
            caption: table.title.clone(),
            rows: Axis::Areas(GeographyLevel::Provider),
            columns: Axis::Measures,
            area_code: None,
            measure: None,
            fixed: BTreeMap::new(),
            measure_labels: measure_labels(std::slice::from_ref(table)),
        },
    )?;
    Ok(Section { id: "providers".into(), heading: table.title.clone(), paragraphs: table.notes.clone(), chart: None, table: Some(view) })
}

/// The submissions the warehouse was loaded from (the run's inputs).
pub fn submission_inputs(wh: &Warehouse) -> Result<Vec<FileHash>> {
    let mut stmt = wh.conn().prepare("SELECT file_name, file_sha256 FROM submission WHERE outcome = 'loaded' ORDER BY submission_id")?;
    let rows = stmt.query_map([], |r| Ok(FileHash { file: r.get(0)?, sha256: r.get(1)? }))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The restricted audit record of the `[c]` cells of `tables` (packs and provider reports).
pub fn audit_record(product: &str, tables: &[OutputTable], protected: &ProtectedPack, rules: FileHash, inputs: Vec<FileHash>) -> AuditRecord {
    let mut record = AuditRecord::new(product, rules, inputs);
    record.information_loss = Some(protected.protection.information_loss.clone());
    // Where each cell is shown, so a secondary cell names the primary cells it protects.
    let mut location: HashMap<CellId, CellCoordinates> = HashMap::new();
    for t in tables {
        for row in &t.rows {
            if let Some((id, _)) = protected.row_cell(row) {
                location.entry(id).or_insert_with(|| CellCoordinates::of_row(t, row));
            }
        }
    }
    for t in tables {
        for row in t.rows.iter().filter(|r| r.marker == Marker::Confidential) {
            let cell = CellCoordinates::of_row(t, row);
            match protected.row_cell(row) {
                Some((id, status)) => {
                    // No cell exceeds England's total of its measure: the bound where the audit found none.
                    let cap = protected.cell(&row.measure, ENGLAND_CODE, TOTAL).map(|(e, _)| protected.problem.cells[e].value).unwrap_or(0.0);
                    let interval = match protected.protection.intervals[id] {
                        Some(i) if i.high.is_finite() => [i.low, i.high],
                        Some(i) => [i.low, cap.max(i.low)],
                        None => [0.0, cap],
                    };
                    let CellStatus::Suppressed { reason } = status else { continue };
                    let reason = SuppressionReason::of(reason, |p| location.get(&p).cloned());
                    record.suppressed.push(SuppressedCell { cell, reason, audit_interval: interval });
                }
                None => {
                    let rule = "rate: numerator or denominator suppressed, or denominator below the minimum".to_string();
                    record.suppressed.push(SuppressedCell { cell, reason: SuppressionReason::Primary { rule }, audit_interval: [0.0, 1.0] });
                }
            }
        }
    }
    record
}

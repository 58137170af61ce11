//! From the protected month to one local authority's tables: the year to
//! date by substance group for the LA, its region and England (with the
//! completion rate and its 95% Wilson interval, computed from published
//! parts only), and the LA's providers side by side with their data quality.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use super::cells::{MEASURES, POPULATION, PROVIDER_MEASURES, TREND_MEASURES};
use super::protect::{ProtectedPack, RATE};
use crate::geography::ENGLAND_CODE;
use crate::measures::flows::month_additive_measures;
use crate::measures::period::Period;
use crate::measures::wilson::wilson_interval;
use crate::output::{Additivity, DimensionMeta, GeographyLevel, Marker, OutputTable, TidyRow};
use crate::release::data::Area;
use crate::sdc::{self, RateStatus};
use crate::warehouse::Warehouse;

/// z for a 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// One provider of an LA with its latest submission's data quality.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderQuality {
    pub agency: String,
    pub name: String,
    pub load_pct: Option<f64>,
    pub dq_pct: Option<f64>,
}

fn level(area: &Area) -> GeographyLevel {
    match area.level {
        "england" => GeographyLevel::England,
        "region" => GeographyLevel::Region,
        _ => GeographyLevel::La,
    }
}

/// The year-to-date table of one LA's pack: the LA, its region and England.
pub fn ytd_table(areas: &[&Area], substances: &[(String, Option<String>)], protected: &ProtectedPack, period: &str) -> OutputTable {
    let parent: BTreeMap<String, String> = substances.iter().filter_map(|(c, p)| p.clone().map(|p| (c.clone(), p))).collect();
    let dimension = DimensionMeta::new("substance_group", substances.iter().skip(1).map(|(c, _)| c.clone())).with_parent(parent);
    let mut measures: Vec<String> = MEASURES.iter().map(|m| m.to_string()).collect();
    measures.extend([RATE.to_string(), format!("{RATE}_lower"), format!("{RATE}_upper")]);
    let mut rows = Vec::new();
    for a in areas {
        for (s, _) in substances {
            let row = |measure: &str, value: Option<f64>, marker: Marker| TidyRow {
                period: period.to_string(),
                geography_level: level(a),
                area_code: a.code.clone(),
                area_name: a.name.clone(),
                categories: vec![s.clone()],
                measure: measure.to_string(),
                value,
                marker,
            };
            let published = |m: &str| protected.cell(m, &a.code, s).and_then(|(_, st)| st.public_value());
            for m in MEASURES {
                let v = published(m);
                rows.push(row(m, v, if v.is_some() { Marker::None } else { Marker::Confidential }));
            }
            let (num, den) = (published("completions_without_representation"), published("in_treatment"));
            let (value, marker) = match (protected.rate(&a.code, s), num, den) {
                (Some(RateStatus::Published { .. }), Some(n), Some(d)) if d > 0.0 => (Some(n / d), Marker::None),
                (Some(RateStatus::NotApplicable), _, _) => (None, Marker::NotApplicable),
                _ => (None, Marker::Confidential),
            };
            rows.push(row(RATE, value, marker));
            let bounds = match (value, num, den) {
                (Some(_), Some(n), Some(d)) => Some(wilson_interval(n as u64, d as u64, Z95)),
                _ => None,
            };
            rows.push(row(&format!("{RATE}_lower"), bounds.map(|b| b.0), marker));
            rows.push(row(&format!("{RATE}_upper"), bounds.map(|b| b.1), marker));
        }
    }
    let mut levels: Vec<GeographyLevel> = areas.iter().map(|a| level(a)).collect();
    levels.sort();
    levels.dedup();
    OutputTable {
        id: "ytd".into(),
        title: "Adults in treatment, new presentations, exits and successful completions, year to date".into(),
        measures,
        dimensions: vec![dimension],
        geography_levels: levels,
        // The LA, its region and England: not a complete hierarchy, so nothing is claimed to add up.
        additive_geography: false,
        population: POPULATION.into(),
        notes: vec![
            "Year to date: from 1 April to the end of the pack's month. People are counted once per area, in the local authority of residence on their latest episode.".into(),
            "Completion rate without representation: successful completions not followed by a return to treatment within 6 months, over adults in treatment, with a 95% Wilson score interval.".into(),
        ],
        rows,
    }
}

/// The 12-month trend of one LA's pack: adults in treatment and new presentations in each
/// calendar month, for the LA, its region and England.
pub fn trend_table(areas: &[&Area], months: &[String], protected: &ProtectedPack, period: &str) -> OutputTable {
    let mut rows = Vec::new();
    for a in areas {
        for m in TREND_MEASURES {
            for month in months {
                let value = protected.trend(m, &a.code, month).and_then(|(_, st)| st.public_value());
                rows.push(TidyRow {
                    period: period.to_string(),
                    geography_level: level(a),
                    area_code: a.code.clone(),
                    area_name: a.name.clone(),
                    categories: vec![month.clone()],
                    measure: m.to_string(),
                    value,
                    marker: if value.is_some() { Marker::None } else { Marker::Confidential },
                });
            }
        }
    }
    let mut levels: Vec<GeographyLevel> = areas.iter().map(|a| level(a)).collect();
    levels.sort();
    levels.dedup();
    let measures: Vec<String> = TREND_MEASURES.iter().map(|m| m.to_string()).collect();
    // New presentations of the months add up to the year when the months are the pack's year
    // to date (March); people in treatment never do.
    let adding = Period::parse(period).map(|p| month_additive_measures(&measures, months, &p)).unwrap_or_default();
    // Declared only where the true values agree in every area shown: a person is placed by
    // that month's episode in a month and by the whole period in the year to date, so an
    // area's months can differ from its year by the people who moved.
    let value = |id: sdc::CellId| protected.problem.cells[id].value;
    let holds = |m: &&String| {
        areas.iter().all(|a| {
            let months_sum: Option<f64> = months.iter().map(|month| protected.trend(m, &a.code, month).map(|(id, _)| value(id))).sum();
            let year = protected.cell(m, &a.code, crate::release::data::TOTAL).map(|(id, _)| value(id));
            matches!((months_sum, year), (Some(s), Some(y)) if (s - y).abs() < 1e-9)
        })
    };
    let additivity = Additivity::for_measures(adding.into_iter().filter(holds), &measures);
    OutputTable {
        id: "trend".into(),
        title: "Adults in treatment and new presentations by month, last 12 months".into(),
        dimensions: vec![DimensionMeta::new("month", months.iter().cloned()).with_additivity(additivity)],
        measures,
        geography_levels: levels,
        additive_geography: false,
        population: POPULATION.into(),
        notes: vec![
            "Each month counts the adults in contact with treatment in that calendar month (in treatment) and the journeys that started in it (new presentations); a person is placed in the local authority of their latest episode in contact that month.".into(),
            "Months do not add up to the year to date: one person is in treatment in many months.".into(),
        ],
        rows,
    }
}

/// The providers commissioned by an LA, with the data quality of their latest loaded submission.
pub fn providers_of(wh: &Warehouse, la: &str) -> Result<Vec<ProviderQuality>> {
    let sql = "SELECT a.code, a.name, s.load_pct, s.dq_pct
        FROM agency a
        LEFT JOIN (SELECT agency, load_pct, dq_pct,
                          row_number() OVER (PARTITION BY agency ORDER BY month DESC, submission_id DESC) AS k
                   FROM submission WHERE outcome = 'loaded') s
          ON s.agency = a.code AND s.k = 1
        WHERE a.commissioning_la = ?
        ORDER BY a.code";
    let mut stmt = wh.conn().prepare(sql).context("preparing the providers query")?;
    let rows = stmt
        .query_map([la], |r| Ok(ProviderQuality { agency: r.get(0)?, name: r.get(1)?, load_pct: r.get(2)?, dq_pct: r.get(3)? }))
        .with_context(|| format!("reading the providers of {la}"))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The providers table of a pack: each provider's adults year to date (protected with the
/// month's cells) and the load % and DQ % of its latest submission.
pub fn providers_table(providers: &[ProviderQuality], period: &str, protected: &ProtectedPack) -> OutputTable {
    let mut rows = Vec::new();
    let mut measures: Vec<String> = PROVIDER_MEASURES.iter().map(|m| m.to_string()).collect();
    measures.extend(["load_percent".to_string(), "dq_percent".to_string()]);
    for p in providers {
        let row = |measure: &str, value: Option<f64>, marker: Marker| TidyRow {
            period: period.to_string(),
            geography_level: GeographyLevel::Provider,
            area_code: p.agency.clone(),
            area_name: format!("{} ({})", p.name, p.agency),
            categories: vec![],
            measure: measure.into(),
            value,
            marker,
        };
        for m in PROVIDER_MEASURES {
            let v = protected.provider(m, &p.agency).and_then(|s| s.public_value());
            rows.push(row(m, v, if v.is_some() { Marker::None } else { Marker::Confidential }));
        }
        for (measure, value) in [("load_percent", p.load_pct), ("dq_percent", p.dq_pct)] {
            rows.push(row(measure, value, if value.is_some() { Marker::None } else { Marker::NotAvailable }));
        }
    }
    OutputTable {
        id: "providers".into(),
        title: "Providers commissioned by the local authority: adults year to date and data quality of their latest submission".into(),
        measures,
        dimensions: vec![],
        geography_levels: vec![GeographyLevel::Provider],
        additive_geography: false,
        population: POPULATION.into(),
        notes: vec![
            "Provider counts are the adults each agency saw, wherever they live, so they need not add up to the local authority's figures.".into(),
            "Load %: share of the submission's rows loaded (rows without errors). DQ %: share of rows with neither errors nor warnings. [x]: no loaded submission.".into(),
        ],
        rows,
    }
}

/// The areas of one LA's pack: the LA, its region, England.
pub fn pack_areas<'a>(areas: &'a [Area], la: &str) -> Result<Vec<&'a Area>> {
    let la_area = areas.iter().find(|a| a.code == la && a.level == "la").with_context(|| format!("{la} is not a reporting local authority"))?;
    let mut out = vec![la_area];
    if let Some(region) = la_area.parent.as_deref().filter(|p| *p != ENGLAND_CODE) {
        if let Some(r) = areas.iter().find(|a| a.code == region) {
            out.push(r);
        }
    }
    if let Some(e) = areas.iter().find(|a| a.code == ENGLAND_CODE) {
        out.push(e);
    }
    Ok(out)
}

//! From protected grids to output tables: every cell of every table becomes
//! a tidy row with its published value or the `[c]` marker; rates carry
//! their value as a proportion and, where asked, 95% Wilson bounds.

use std::collections::BTreeMap;

use super::data::TOTAL;
use super::protect::{Grid, Protected};
use crate::measures::wilson::wilson_interval;
use crate::output::{DimensionMeta, GeographyLevel, Marker, OutputTable, TidyRow};
use crate::sdc::{CellStatus, RateStatus};

/// z for a 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

fn level(name: &str) -> GeographyLevel {
    match name {
        "england" => GeographyLevel::England,
        "region" => GeographyLevel::Region,
        "la" => GeographyLevel::La,
        _ => GeographyLevel::Provider,
    }
}

/// Reader-facing names of the measures (also used for charts and Excel headers).
pub fn measure_label(measure: &str) -> String {
    let known = [
        ("in_treatment", "People in treatment"),
        ("new_presentations", "New presentations"),
        ("waiting", "New presentations"),
        ("exits", "Exits"),
        ("successful_completions", "Successful completions"),
        ("deaths", "Deaths in treatment"),
        ("completions_without_representation", "Completions without representation"),
        ("interventions", "People receiving interventions"),
        ("top_start_review", "Journeys with start and review TOP"),
        ("top_abstinent", "Abstinent at review"),
        ("top_reduced", "Reliably reduced use at review"),
        ("completion_rate", "Completion rate"),
        ("completion_without_representation_rate", "Rate without representation"),
        ("abstinent_rate", "Abstinent rate"),
        ("reduced_rate", "Reduced-use rate"),
        ("load_percent", "Load %"),
        ("dq_percent", "Data quality %"),
    ];
    if let Some((_, l)) = known.iter().find(|(m, _)| *m == measure) {
        return l.to_string();
    }
    if let Some(base) = measure.strip_suffix("_lower") {
        return format!("{} lower 95% limit", measure_label(base));
    }
    if let Some(base) = measure.strip_suffix("_upper") {
        return format!("{} upper 95% limit", measure_label(base));
    }
    measure.replace('_', " ")
}

/// Every measure label, for pivots.
pub fn measure_labels(tables: &[OutputTable]) -> BTreeMap<String, String> {
    tables.iter().flat_map(|t| t.measures.iter()).map(|m| (m.clone(), measure_label(m))).collect()
}

/// Builds the output table of a grid from the run's protection.
pub fn output_table(grid: &Grid, protected: &Protected, period: &str, notes: Vec<String>) -> OutputTable {
    let t = &grid.table;
    let mut dimensions = Vec::new();
    if t.substance {
        let parent: BTreeMap<String, String> =
            grid.substances.iter().filter_map(|(c, p)| p.clone().map(|p| (c.clone(), p))).collect();
        let cats: Vec<String> = grid.substances.iter().skip(1).map(|(c, _)| c.clone()).collect();
        dimensions.push(DimensionMeta::new("substance_group", cats).with_parent(parent));
    }
    if !t.dimension.is_empty() {
        dimensions.push(DimensionMeta::new(t.dimension.clone(), grid.categories.iter().skip(1).cloned()));
    }
    let mut measures = t.measures.clone();
    for r in &t.rates {
        measures.push(r.name.clone());
        if r.interval {
            measures.push(format!("{}_lower", r.name));
            measures.push(format!("{}_upper", r.name));
        }
    }
    let substances: Vec<String> =
        if t.substance { grid.substances.iter().map(|(s, _)| s.clone()).collect() } else { vec![TOTAL.into()] };
    let categories: Vec<String> = if t.dimension.is_empty() { vec![TOTAL.into()] } else { grid.categories.clone() };
    let mut rows = Vec::new();
    for a in &grid.areas {
        for s in &substances {
            for c in &categories {
                let mut cats = Vec::new();
                if t.substance {
                    cats.push(s.clone());
                }
                if !t.dimension.is_empty() {
                    cats.push(c.clone());
                }
                let row = |measure: &str, value: Option<f64>, marker: Marker| TidyRow {
                    period: period.to_string(),
                    geography_level: level(a.level),
                    area_code: a.code.clone(),
                    area_name: a.name.clone(),
                    categories: cats.clone(),
                    measure: measure.to_string(),
                    value,
                    marker,
                };
                for m in &t.measures {
                    let coord = (m.clone(), a.code.clone(), s.clone(), c.clone());
                    let (value, marker) = match protected.cell(&t.id, &coord).map(|(_, st)| st) {
                        Some(CellStatus::Published { value }) | Some(CellStatus::Rounded { value }) => (Some(*value), Marker::None),
                        _ => (None, Marker::Confidential),
                    };
                    rows.push(row(m, value, marker));
                }
                for r in &t.rates {
                    let coord = (r.name.clone(), a.code.clone(), s.clone(), c.clone());
                    // Intervals are computed from the published (possibly rounded) parts, never from
                    // values the release does not show.
                    let published = |m: &str| {
                        protected
                            .cell(&t.id, &(m.to_string(), a.code.clone(), s.clone(), c.clone()))
                            .and_then(|(_, st)| st.public_value())
                    };
                    let (num, den) = (published(&r.numerator), published(&r.denominator));
                    let (value, marker) = match protected.rate(&t.id, &coord) {
                        Some(RateStatus::Published { value }) => (Some(*value), Marker::None),
                        Some(RateStatus::NotApplicable) => (None, Marker::NotApplicable),
                        _ => (None, Marker::Confidential),
                    };
                    let value = match (value, num, den) {
                        (Some(_), Some(n), Some(d)) if d > 0.0 => Some(n / d),
                        _ => None,
                    };
                    let marker = if value.is_none() && marker == Marker::None { Marker::Confidential } else { marker };
                    rows.push(row(&r.name, value, marker));
                    if r.interval {
                        let bounds = match (value, num, den) {
                            (Some(_), Some(n), Some(d)) => Some(wilson_interval(n as u64, d as u64, Z95)),
                            _ => None,
                        };
                        rows.push(row(&format!("{}_lower", r.name), bounds.map(|b| b.0), marker));
                        rows.push(row(&format!("{}_upper", r.name), bounds.map(|b| b.1), marker));
                    }
                }
            }
        }
    }
    let mut levels: Vec<GeographyLevel> = grid.areas.iter().map(|a| level(a.level)).collect();
    levels.dedup();
    levels.sort();
    levels.dedup();
    OutputTable {
        id: t.id.clone(),
        title: t.title.clone(),
        measures,
        dimensions,
        geography_levels: levels,
        additive_geography: true,
        notes,
        rows,
    }
}

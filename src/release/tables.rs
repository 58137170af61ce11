//! From protected grids to output tables: every cell of every table becomes
//! a tidy row with its published value or the `[c]` marker; rates carry
//! their value as a proportion and, where asked, 95% Wilson bounds.

use std::collections::BTreeMap;

use super::data::TOTAL;
use super::protect::{Grid, Protected};
use crate::measures::wilson::wilson_interval;
use super::spec::{LinkSpec, TableSpec};
use crate::measures::flows::month_additive_measures;
use crate::measures::period::Period;
use crate::output::{Additivity, DimensionMeta, GeographyLevel, Marker, OutputTable, TidyRow};
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
pub fn output_table(grid: &Grid, protected: &Protected, period: &str, links: &[LinkSpec], notes: Vec<String>) -> OutputTable {
    let t = &grid.table;
    let mut dimensions = Vec::new();
    if t.substance {
        let parent: BTreeMap<String, String> =
            grid.substances.iter().filter_map(|(c, p)| p.clone().map(|p| (c.clone(), p))).collect();
        let cats: Vec<String> = grid.substances.iter().skip(1).map(|(c, _)| c.clone()).collect();
        dimensions.push(DimensionMeta::new("substance_group", cats).with_parent(parent));
    }
    if !t.dimension.is_empty() {
        let categories: Vec<String> = grid.categories.iter().skip(1).cloned().collect();
        let additivity = checked_against_counts(dimension_additivity(t, &categories, period), grid);
        // PHOF groups and the like: a category that counts the people of substance groups.
        let equals = links
            .iter()
            .filter(|l| l.dimension == t.dimension && categories.contains(&l.category))
            .filter_map(|l| l.equals_substance.as_ref().map(|g| (l.category.clone(), ("substance_group".to_string(), g.clone()))))
            .collect();
        dimensions.push(DimensionMeta::new(t.dimension.clone(), categories).with_additivity(additivity).with_equals(equals));
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
        population: t.population.clone(),
        notes,
        rows,
    }
}

/// Whether the categories of a table's second dimension add up to its `Total`, from the
/// table list: a month dimension adds up for the flow measures when its months are the
/// period's (see [`crate::measures::flows`]); any other dimension as the list's `additive`
/// flag says (`false`: a person in several settings).
pub fn dimension_additivity(t: &TableSpec, categories: &[String], period: &str) -> Additivity {
    if t.dimension == "month" {
        let adding = Period::parse(period).map(|p| month_additive_measures(&t.measures, categories, &p)).unwrap_or_default();
        Additivity::for_measures(adding, &t.measures)
    } else if t.additive {
        Additivity::All
    } else {
        Additivity::None
    }
}

/// The additivity of a grid's second dimension, kept only for the measures whose categories
/// really add up to the `Total` in every area and substance group of the grid: a manifest
/// declares no relation the published figures contradict (monthly new presentations place a
/// person by that month's episode, the year by the whole period, so a region's months can
/// differ from its year by the people who moved).
fn checked_against_counts(additivity: Additivity, grid: &Grid) -> Additivity {
    let measures = &grid.table.measures;
    let holds = |m: &String| {
        grid.areas.iter().all(|a| {
            substances_of_grid(grid).iter().all(|s| {
                let total = grid.counts.get(m, &a.code, s, TOTAL);
                let sum: f64 = grid.categories.iter().skip(1).map(|c| grid.counts.get(m, &a.code, s, c)).sum();
                (total - sum).abs() < 1e-9
            })
        })
    };
    match additivity {
        Additivity::None => Additivity::None,
        other => {
            let declared = |m: &String| match &other {
                Additivity::Measures(list) => list.contains(m),
                _ => true,
            };
            let adding: Vec<&String> = measures.iter().filter(|m| declared(m) && holds(m)).collect();
            Additivity::for_measures(adding, measures)
        }
    }
}

fn substances_of_grid(grid: &Grid) -> Vec<String> {
    if grid.table.substance {
        grid.substances.iter().map(|(s, _)| s.clone()).collect()
    } else {
        vec![TOTAL.to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::ENGLAND_CODE;
    use crate::measures::period::Period;
    use crate::output::ManifestTable;
    use crate::release::data::{Area, Counts};
    use crate::release::protect::protect_release;
    use crate::release::spec::load;
    use crate::sdc::{Ledger, RuleSet};

    fn rules() -> RuleSet {
        let text = "name = \"t\"\nmode = \"suppress\"\nmarker = \"[c]\"\n[counts]\nsensitive = [[1, 4]]\nzeros = \"publish\"\n[rates]\nfollow_numerator = true\nmin_denominator = 10\n[secondary]\nenabled = true\nsingleton = true\nprotection_level = 3\n[cost]\nper_unit = 1.0\nper_total_dimension = 1000.0\n";
        RuleSet::parse(text, std::path::Path::new("test.toml")).unwrap()
    }

    /// Table t14 of the built-in list for England and one region, protected and written.
    fn t14_manifest_entry(period_label: &str) -> serde_json::Value {
        let spec = load(None).unwrap();
        let table = spec.tables.iter().find(|t| t.id == "t14").unwrap().clone();
        let period = Period::parse(period_label).unwrap();
        let months = period.trend_months();
        let areas = vec![
            Area { level: "england", code: ENGLAND_CODE.into(), name: "England".into(), parent: None },
            Area { level: "region", code: "E12000002".into(), name: "North West".into(), parent: Some(ENGLAND_CODE.into()) },
        ];
        let mut counts = Counts::default();
        for a in &areas {
            for (i, month) in months.iter().enumerate() {
                counts.values.insert(("new_presentations".into(), a.code.clone(), TOTAL.into(), month.clone()), 10.0 + i as f64);
                counts.values.insert(("in_treatment".into(), a.code.clone(), TOTAL.into(), month.clone()), 100.0 + i as f64);
            }
            let year: f64 = (0..12).map(|i| 10.0 + i as f64).sum();
            counts.values.insert(("new_presentations".into(), a.code.clone(), TOTAL.into(), TOTAL.into()), year);
            counts.values.insert(("in_treatment".into(), a.code.clone(), TOTAL.into(), TOTAL.into()), 300.0);
        }
        let mut categories = vec![TOTAL.to_string()];
        categories.extend(months);
        let grid = Grid { table, areas, substances: vec![(TOTAL.into(), None)], categories, counts };
        let protected = protect_release(std::slice::from_ref(&grid), &spec.links, &rules(), &Ledger::new(), &period).unwrap();
        let output = output_table(&grid, &protected, period_label, &spec.links, vec![]);
        output.validate().unwrap();
        serde_json::to_value(ManifestTable::from_table(&output)).unwrap()
    }

    #[test]
    fn t14_months_add_up_for_new_presentations_not_for_people_in_treatment() {
        let entry = t14_manifest_entry("2024-25");
        assert_eq!(entry["population"], "adult");
        let month = &entry["dimensions"][0];
        assert_eq!(month["name"], "month");
        assert_eq!(month["additive"], false);
        assert_eq!(month["additive_measures"], serde_json::json!(["new_presentations"]));
    }

    #[test]
    fn months_that_are_not_the_periods_add_up_to_nothing() {
        // January's year to date runs from April; its twelve months start the February before.
        let month = t14_manifest_entry("2025-01")["dimensions"][0].clone();
        assert_eq!(month["additive"], false);
        assert!(month.get("additive_measures").is_none(), "{month}");
    }

    #[test]
    fn every_release_table_declares_population_and_additivity_from_the_list() {
        let spec = load(None).unwrap();
        for t in &spec.tables {
            let additivity = dimension_additivity(t, &Period::parse("2024-25").unwrap().trend_months(), "2024-25");
            let expected = match t.dimension.as_str() {
                "month" => Additivity::for_measures(t.measures.iter().filter(|m| crate::measures::is_flow(m)), &t.measures),
                "setting" => Additivity::None,
                _ => Additivity::All,
            };
            assert_eq!(additivity, expected, "table {}", t.id);
        }
        let t10 = spec.tables.iter().find(|t| t.id == "t10").unwrap();
        assert_eq!(dimension_additivity(t10, &[], "2024-25"), Additivity::None, "a person in several settings");
    }
}

//! The table model every product hands to the writers: an already-protected
//! table in tidy form (one row per cell and measure), with the metadata the
//! manifest and the renderers need.
//!
//! A table is product-independent: the release, the commissioner pack and the
//! research extract all build [`OutputTable`]s and pass them to
//! [`crate::output::RunFolder`] and [`crate::render`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::OutputError;

/// The category label of every dimension's total.
pub const TOTAL: &str = "Total";

/// Geography levels of the output contract, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeographyLevel {
    /// England as a whole (`E92000001`).
    England,
    /// A region of England.
    Region,
    /// An upper-tier local authority (by residence).
    La,
    /// A treatment provider (agency).
    Provider,
}

impl GeographyLevel {
    /// The label written in the `geography_level` column.
    pub fn as_str(self) -> &'static str {
        match self {
            GeographyLevel::England => "england",
            GeographyLevel::Region => "region",
            GeographyLevel::La => "la",
            GeographyLevel::Provider => "provider",
        }
    }

    /// A reader-facing label ("Local authority").
    pub fn display_name(self) -> &'static str {
        match self {
            GeographyLevel::England => "England",
            GeographyLevel::Region => "Region",
            GeographyLevel::La => "Local authority",
            GeographyLevel::Provider => "Provider",
        }
    }
}

impl fmt::Display for GeographyLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The GSS marker of a cell whose value is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Marker {
    /// A published value.
    #[default]
    None,
    /// `[c]`: confidential (suppressed by disclosure control).
    Confidential,
    /// `[x]`: not available.
    NotAvailable,
    /// `[z]`: not applicable.
    NotApplicable,
}

impl Marker {
    /// Every marker that stands in for a value, in the order notes list them.
    pub const SHOWN: [Marker; 3] = [Marker::Confidential, Marker::NotAvailable, Marker::NotApplicable];

    /// The marker as printed (`""`, `[c]`, `[x]`, `[z]`).
    pub fn symbol(self) -> &'static str {
        match self {
            Marker::None => "",
            Marker::Confidential => "[c]",
            Marker::NotAvailable => "[x]",
            Marker::NotApplicable => "[z]",
        }
    }

    /// The explanation a reader sees in notes and legends.
    pub fn explanation(self) -> &'static str {
        match self {
            Marker::None => "",
            Marker::Confidential => {
                "confidential: the figure is withheld to protect the people it counts"
            }
            Marker::NotAvailable => "not available: the data were not collected or not supplied",
            Marker::NotApplicable => "not applicable: the figure cannot exist for this cell",
        }
    }

    /// Whether this marker stands in for the value.
    pub fn is_set(self) -> bool {
        self != Marker::None
    }
}

/// Whether a dimension's categories add up to its total.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Additivity {
    /// For every count measure of the table (rates never add up: they are ratios).
    #[default]
    All,
    /// For these measures only (new presentations of the twelve months add up to the year;
    /// people in treatment do not).
    Measures(Vec<String>),
    /// For no measure (a person in several settings).
    None,
}

/// One dimension (breakdown) of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionMeta {
    /// Column name in the tidy CSV (`substance_group`).
    pub name: String,
    /// Category labels in presentation order, without the total.
    pub categories: Vec<String>,
    /// The total's label; always [`TOTAL`] in this toolkit.
    pub total: String,
    /// For a hierarchical dimension: child category -> parent category.
    pub parent: Option<BTreeMap<String, String>>,
    /// Whether the categories (those without a parent) add up to the total.
    pub additivity: Additivity,
    /// Categories that count exactly the people of categories of another dimension, summed:
    /// category -> (other dimension, its categories). A release's PHOF `non-opiate` is the
    /// substance groups `non-opiate only` + `non-opiate and alcohol` of the packs.
    pub equals: BTreeMap<String, (String, Vec<String>)>,
}

impl DimensionMeta {
    /// A flat dimension whose total is [`TOTAL`].
    pub fn new(name: impl Into<String>, categories: impl IntoIterator<Item = impl Into<String>>) -> Self {
        DimensionMeta {
            name: name.into(),
            categories: categories.into_iter().map(Into::into).collect(),
            total: TOTAL.to_string(),
            parent: None,
            additivity: Additivity::All,
            equals: BTreeMap::new(),
        }
    }

    /// Declares categories equal to sums of another dimension's categories (see [`Self::equals`]).
    pub fn with_equals(mut self, equals: BTreeMap<String, (String, Vec<String>)>) -> Self {
        self.equals = equals;
        self
    }

    /// Declares how the dimension adds up (the default: for every count measure).
    pub fn with_additivity(mut self, additivity: Additivity) -> Self {
        self.additivity = additivity;
        self
    }

    /// Declares the dimension hierarchical with the given child -> parent map.
    pub fn with_parent(mut self, parent: BTreeMap<String, String>) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Whether `label` is one of the categories or the total.
    pub fn accepts(&self, label: &str) -> bool {
        label == self.total || self.categories.iter().any(|c| c == label)
    }
}

impl Additivity {
    /// The additivity of a dimension that adds up for `adding` out of the table's count
    /// measures `counts`: all, some or none.
    pub fn for_measures<'a>(adding: impl IntoIterator<Item = &'a String>, counts: &[String]) -> Self {
        let adding: Vec<String> = adding.into_iter().filter(|m| counts.contains(m)).cloned().collect();
        if adding.is_empty() {
            Additivity::None
        } else if counts.iter().all(|m| adding.contains(m)) {
            Additivity::All
        } else {
            Additivity::Measures(adding)
        }
    }
}

/// One published cell and measure of a table, as one tidy CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct TidyRow {
    /// Period label (`2024-25`, `2025-03`).
    pub period: String,
    /// Level of the area.
    pub geography_level: GeographyLevel,
    /// ONS code of the area, or the agency code for providers.
    pub area_code: String,
    /// Name of the area or provider.
    pub area_name: String,
    /// One category label per dimension of the table, in the table's order.
    pub categories: Vec<String>,
    /// Measure name; rates end in `_rate`, `_rate_lower`, `_rate_upper`.
    pub measure: String,
    /// The value; `None` exactly when `marker` is set.
    pub value: Option<f64>,
    /// Why the value is not shown, if it is not.
    pub marker: Marker,
}

/// Whether a measure carries a rate (a proportion in 0..1) or its bounds.
pub fn is_rate_measure(measure: &str) -> bool {
    measure.ends_with("_rate") || measure.ends_with("_rate_lower") || measure.ends_with("_rate_upper")
}

/// An already-protected table ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputTable {
    /// Short id used as file stem and sheet name (`t01`).
    pub id: String,
    /// Reader-facing title.
    pub title: String,
    /// Measures the rows may carry, in presentation order.
    pub measures: Vec<String>,
    /// Dimensions, in column order.
    pub dimensions: Vec<DimensionMeta>,
    /// Geography levels present in the table.
    pub geography_levels: Vec<GeographyLevel>,
    /// Whether the table adds up along the run's geography parent map.
    pub additive_geography: bool,
    /// Whom the cells count (`adult`, `young_people`): cells of two tables are the same cell
    /// only when their populations agree.
    pub population: String,
    /// Notes printed with the table (definitions, rounding, caveats).
    pub notes: Vec<String>,
    /// The cells.
    pub rows: Vec<TidyRow>,
}

impl OutputTable {
    /// Position of a dimension by name.
    pub fn dimension_index(&self, name: &str) -> Option<usize> {
        self.dimensions.iter().position(|d| d.name == name)
    }

    /// Checks the table against the contract before anything is written:
    /// a safe id, one category per dimension from the declared ones, declared
    /// measures and levels, a value exactly when no marker is set, finite
    /// values, rates within 0..1.
    pub fn validate(&self) -> Result<(), OutputError> {
        validate_label("table id", &self.id)?;
        let invalid = |row: usize, reason: String| OutputError::InvalidTable {
            table: self.id.clone(),
            row,
            reason,
        };
        if self.population.is_empty() || !self.population.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid(0, format!("population `{}` is not a word of letters, digits and underscores", self.population)));
        }
        for dimension in &self.dimensions {
            if let Additivity::Measures(measures) = &dimension.additivity {
                if let Some(m) = measures.iter().find(|m| !self.measures.contains(m)) {
                    return Err(invalid(0, format!("dimension `{}` is declared additive for `{m}`, which is not a measure of the table", dimension.name)));
                }
            }
        }
        for dimension in &self.dimensions {
            if matches!(dimension.name.as_str(), "table" | "period" | "geography_level" | "area_code" | "area_name" | "measure" | "value" | "marker") {
                return Err(invalid(0, format!("dimension name `{}` clashes with a fixed column", dimension.name)));
            }
        }
        for (index, row) in self.rows.iter().enumerate() {
            let n = index + 1;
            if row.categories.len() != self.dimensions.len() {
                return Err(invalid(n, format!("{} categories for {} dimensions", row.categories.len(), self.dimensions.len())));
            }
            for (dimension, label) in self.dimensions.iter().zip(&row.categories) {
                if !dimension.accepts(label) {
                    return Err(invalid(n, format!("category `{label}` is not declared for dimension `{}`", dimension.name)));
                }
            }
            if !self.measures.contains(&row.measure) {
                return Err(invalid(n, format!("measure `{}` is not declared", row.measure)));
            }
            if !self.geography_levels.contains(&row.geography_level) {
                return Err(invalid(n, format!("geography level `{}` is not declared", row.geography_level)));
            }
            match (row.value, row.marker.is_set()) {
                (Some(_), true) => return Err(invalid(n, format!("value given for a cell marked {}", row.marker.symbol()))),
                (None, false) => return Err(invalid(n, "no value and no marker".to_string())),
                (Some(v), false) if !v.is_finite() => return Err(invalid(n, format!("value {v} is not finite"))),
                (Some(v), false) if is_rate_measure(&row.measure) && !(0.0..=1.0).contains(&v) => {
                    return Err(invalid(n, format!("rate `{}` = {v} is outside 0..1", row.measure)))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Checks a label used in a file or folder name: non-empty ASCII letters,
/// digits, `-`, `_` and `.`, not starting with `.`.
pub fn validate_label(what: &'static str, label: &str) -> Result<(), OutputError> {
    let ok = !label.is_empty()
        && !label.starts_with('.')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(OutputError::InvalidLabel { what, label: label.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::fixtures::small_table;

    #[test]
    fn a_table_must_say_whom_it_counts() {
        let mut table = small_table();
        table.population = String::new();
        assert!(table.validate().unwrap_err().to_string().contains("population"));
    }

    #[test]
    fn additive_measures_must_be_the_tables() {
        let mut table = small_table();
        table.dimensions[0].additivity = Additivity::Measures(vec!["exits".into()]);
        let err = table.validate().unwrap_err().to_string();
        assert!(err.contains("exits") && err.contains("substance_group"), "{err}");
    }

    #[test]
    fn additivity_for_some_all_or_no_measures() {
        let counts = vec!["in_treatment".to_string(), "new_presentations".to_string()];
        let flows = ["new_presentations".to_string()];
        assert_eq!(Additivity::for_measures(&flows, &counts), Additivity::Measures(vec!["new_presentations".into()]));
        assert_eq!(Additivity::for_measures(&counts, &counts), Additivity::All);
        assert_eq!(Additivity::for_measures(&[], &counts), Additivity::None);
    }
}

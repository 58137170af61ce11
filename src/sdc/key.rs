//! The identity of a cell across tables, products and runs: a measure (qualified by the
//! population it counts, `adult:in_treatment`), the days it covers, and every non-total
//! coordinate. Two cells with the same key count the same people, whichever table or product
//! shows them, so they are one cell with one value and one status.
//!
//! The canonical text form is `measure@start/end[dimension=category, ...]` (the period and the
//! brackets only when present); keys serialise as `{"measure": "measure@start/end", "coords":
//! [["dimension", "category"], ...]}`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The days a cell covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Span {
    /// A span; `None` when it ends before it starts.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<Span> {
        (start <= end).then_some(Span { start, end })
    }

    /// True when `other` lies inside this span.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Parses `YYYY-MM-DD/YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Span> {
        let (a, b) = text.split_once('/')?;
        let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        Span::new(day(a)?, day(b)?)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.start.format("%Y-%m-%d"), self.end.format("%Y-%m-%d"))
    }
}

/// Canonical identity of a cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// The measure, qualified by its population where there is one (`adult:exits`).
    pub measure: String,
    /// The days the cell covers (none for tables without a period).
    pub period: Option<Span>,
    /// `(dimension, category)` pairs sorted by dimension; totals are left out.
    pub coords: Vec<(String, String)>,
}

impl CellKey {
    /// A key from a measure (a trailing `@start/end` is read as the period) and coordinates in
    /// any order.
    pub fn new(measure: &str, coords: Vec<(String, String)>) -> Self {
        let (measure, period) = split_period(measure);
        CellKey::with_period(measure, period, coords)
    }

    /// A key from its parts, coordinates in any order.
    pub fn with_period(measure: &str, period: Option<Span>, mut coords: Vec<(String, String)>) -> Self {
        coords.sort();
        CellKey { measure: measure.to_string(), period, coords }
    }

    /// The measure with its period, as the text form writes it.
    pub fn qualified_measure(&self) -> String {
        match &self.period {
            Some(p) => format!("{}@{p}", self.measure),
            None => self.measure.clone(),
        }
    }

    /// The category of one dimension (`None` for its total).
    pub fn coordinate(&self, dimension: &str) -> Option<&str> {
        self.coords.iter().find(|(d, _)| d == dimension).map(|(_, c)| c.as_str())
    }

    /// The same key with one dimension set to `category` (`None`: its total).
    pub fn with_coordinate(&self, dimension: &str, category: Option<&str>) -> CellKey {
        let mut coords: Vec<(String, String)> = self.coords.iter().filter(|(d, _)| d != dimension).cloned().collect();
        if let Some(c) = category {
            coords.push((dimension.to_string(), c.to_string()));
        }
        CellKey::with_period(&self.measure, self.period, coords)
    }

    /// The same key over another period.
    pub fn over(&self, period: Option<Span>) -> CellKey {
        CellKey { period, ..self.clone() }
    }
}

fn split_period(measure: &str) -> (&str, Option<Span>) {
    match measure.rsplit_once('@') {
        Some((m, p)) => match Span::parse(p) {
            Some(span) => (m, Some(span)),
            None => (measure, None),
        },
        None => (measure, None),
    }
}

impl fmt::Display for CellKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[", self.qualified_measure())?;
        for (i, (d, c)) in self.coords.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}={c}")?;
        }
        write!(f, "]")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyText {
    measure: String,
    coords: Vec<(String, String)>,
}

impl Serialize for CellKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        KeyText { measure: self.qualified_measure(), coords: self.coords.clone() }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for CellKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = KeyText::deserialize(d)?;
        Ok(CellKey::new(&raw.measure, raw.coords))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_read_from_the_measure_and_written_back() {
        let k = CellKey::new("adult:exits@2024-04-01/2025-03-31", vec![("sex".into(), "female".into()), ("geography".into(), "E1".into())]);
        assert_eq!(k.measure, "adult:exits");
        let p = k.period.unwrap();
        assert_eq!(p.to_string(), "2024-04-01/2025-03-31");
        assert_eq!(k.to_string(), "adult:exits@2024-04-01/2025-03-31[geography=E1, sex=female]");
        let json = serde_json::to_string(&k).unwrap();
        let back: CellKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, k);
    }

    #[test]
    fn a_measure_without_a_valid_period_keeps_its_name() {
        let k = CellKey::new("value@somewhere", vec![]);
        assert_eq!(k.measure, "value@somewhere");
        assert!(k.period.is_none());
    }

    #[test]
    fn coordinates_can_be_replaced_and_spans_nest() {
        let k = CellKey::new("n", vec![("sex".into(), "male".into())]);
        assert_eq!(k.with_coordinate("sex", None).coords, vec![]);
        assert_eq!(k.with_coordinate("age", Some("18-24")).coordinate("age"), Some("18-24"));
        let year = Span::parse("2024-04-01/2025-03-31").unwrap();
        let march = Span::parse("2025-03-01/2025-03-31").unwrap();
        assert!(year.contains(&march) && !march.contains(&year));
    }
}

//! Validation messages, tallied per (severity, code, field) with up to five
//! example row numbers. Messages never carry field values: a data-quality
//! report must not leak attributors or other personal data.

use crate::schema::Severity;
use std::collections::BTreeMap;

/// How many example rows a message keeps.
pub const EXAMPLE_ROWS: usize = 5;

/// One kind of message and how often it occurred in a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageSummary {
    pub severity: Severity,
    pub code: String,
    pub field: String,
    pub message: String,
    pub row_count: u64,
    pub example_rows: Vec<usize>,
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Accumulates messages while a file is validated.
#[derive(Debug, Default)]
pub struct Tally {
    map: BTreeMap<(Severity, String, String), MessageSummary>,
}

impl Tally {
    /// Records one occurrence on file row `row` (1 = header).
    pub fn add(&mut self, severity: Severity, code: &str, field: &str, message: &str, row: usize) {
        self.add_many(severity, code, field, message, 1, &[row]);
    }

    /// Records `count` occurrences at once, with (some of) their rows in order.
    pub fn add_many(&mut self, severity: Severity, code: &str, field: &str, message: &str, count: u64, rows: &[usize]) {
        if count == 0 {
            return;
        }
        let entry = self
            .map
            .entry((severity, code.to_string(), field.to_string()))
            .or_insert_with(|| MessageSummary {
                severity,
                code: code.to_string(),
                field: field.to_string(),
                message: message.to_string(),
                row_count: 0,
                example_rows: Vec::new(),
            });
        entry.row_count += count;
        let room = EXAMPLE_ROWS.saturating_sub(entry.example_rows.len());
        entry.example_rows.extend(rows.iter().take(room));
    }

    /// Messages, errors first, then by how often they occurred.
    pub fn into_summaries(self) -> Vec<MessageSummary> {
        let mut v: Vec<_> = self.map.into_values().collect();
        v.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.row_count.cmp(&a.row_count)).then(a.code.cmp(&b.code)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_count_and_keep_five_examples() {
        let mut t = Tally::default();
        for row in 2..10 {
            t.add(Severity::Warning, "W_EXPECTED", "ETHNIC", "expected field missing", row);
        }
        t.add(Severity::Error, "E_CODE", "SEX", "code not in list", 4);
        let s = t.into_summaries();
        assert_eq!(s[0].severity, Severity::Error);
        assert_eq!(s[1].row_count, 8);
        assert_eq!(s[1].example_rows, vec![2, 3, 4, 5, 6]);
    }
}

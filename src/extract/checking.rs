//! The output-checking report of a research extract, for the human checker
//! who clears it: per output its status (pass, review, fail), every rule
//! applied, and every suppressed cell with the rule or the cells behind it.
//! It names suppression reasons, so it is restricted (never published).

use std::collections::BTreeMap;

use serde::Serialize;

use super::ExtractOptions;
use crate::output::{AuditRecord, CellCoordinates, FileHash, Marker, OutputTable, SuppressedCell, SuppressionReason};
use crate::sdc::{CellId, CellStatus, Problem, Protection, Reason, RuleSet};

/// The checker's verdict on one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No cell needed protection.
    Pass,
    /// Cells were suppressed: the checker reviews the listed cells before release.
    Review,
    /// Protection could not be completed (nothing was written).
    Fail,
}

/// One suppressed cell and why.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedCell {
    pub area_code: String,
    pub categories: BTreeMap<String, String>,
    /// `primary` or `secondary`.
    pub kind: String,
    /// The rule (primary) or the cells it protects (secondary).
    pub why: String,
}

/// One output file checked.
#[derive(Debug, Clone, Serialize)]
pub struct OutputCheck {
    pub file: String,
    pub status: Status,
    pub cells_checked: usize,
    pub cells: Vec<CheckedCell>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub request: String,
    pub rules_file: String,
    pub rules_applied: Vec<String>,
    pub outputs: Vec<OutputCheck>,
}

/// Every rule of the set, in words.
pub fn rules_applied(rules: &RuleSet) -> Vec<String> {
    let mut out = vec![format!("rule set `{}`, mode {:?}", rules.name, rules.mode)];
    for (lo, hi) in &rules.sensitive {
        out.push(format!("primary: counts from {lo} to {hi} are suppressed"));
    }
    out.push(if rules.zeros_sensitive { "primary: zeros are suppressed".into() } else { "zeros are published".into() });
    if rules.secondary {
        out.push(format!(
            "secondary: complementary cells are suppressed until every suppressed cell's feasible interval (LP audit) is at least {} wide{}",
            rules.protection_level,
            if rules.singleton { "; singletons are protected" } else { "" }
        ));
    }
    out.push(format!("rates: follow their numerator; not shown below a denominator of {}", rules.min_denominator));
    out
}

fn describe(who: &[CellId], problem: &Problem, protection: &Protection) -> String {
    if who.is_empty() {
        return "suppressed as in an earlier publication (release, pack or extract) of the same cell".into();
    }
    let keys: Vec<String> = who.iter().map(|&id| protection.key_of(problem, id).to_string()).collect();
    format!("complement protecting {}", keys.join("; "))
}

/// Builds the report of one protected table (`ids[i]` is the cell of the table's i-th row).
pub fn report(o: &ExtractOptions, rules: &RuleSet, table: &OutputTable, problem: &Problem, protection: &Protection, ids: &[CellId]) -> Report {
    let mut cells = Vec::new();
    for (row, &id) in table.rows.iter().zip(ids) {
        let (kind, why) = match &protection.statuses[id] {
            CellStatus::Suppressed { reason: Reason::Primary { rule } } => ("primary", rule.describe()),
            CellStatus::Suppressed { reason: Reason::Secondary { protects } } => ("secondary", describe(protects, problem, protection)),
            _ => continue,
        };
        let coords = CellCoordinates::of_row(table, row);
        cells.push(CheckedCell { area_code: row.area_code.clone(), categories: coords.categories, kind: kind.into(), why });
    }
    let status = if cells.is_empty() { Status::Pass } else { Status::Review };
    let r = &o.request;
    Report {
        request: format!(
            "measure {} ({}), period {}, by [{}{}{}], where [{}{}{}]",
            r.measure,
            o.population,
            o.period,
            if r.by_substance { "substance_group " } else { "" },
            r.by_geography.clone().unwrap_or_default(),
            r.by_dimension.as_ref().map(|d| format!(" {d}")).unwrap_or_default(),
            r.area.as_ref().map(|(f, v)| format!("{f} = {v} ")).unwrap_or_default(),
            r.substance.as_ref().map(|v| format!("substance_group = {v} ")).unwrap_or_default(),
            r.category.as_ref().map(|(f, v)| format!("{f} = {v}")).unwrap_or_default(),
        ),
        rules_file: o.rules.display().to_string(),
        rules_applied: rules_applied(rules),
        outputs: vec![OutputCheck { file: format!("csv/{}.csv", table.id), status, cells_checked: table.rows.len(), cells }],
    }
}

impl Report {
    /// The report as Markdown for the checker.
    pub fn markdown(&self) -> String {
        let mut s = format!("# Output-checking report\n\nRequest: {}\n\nRules file: {}\n\n## Rules applied\n\n", self.request, self.rules_file);
        for r in &self.rules_applied {
            s.push_str(&format!("- {r}\n"));
        }
        for o in &self.outputs {
            s.push_str(&format!("\n## {}\n\nStatus: **{:?}** ({} cells checked, {} suppressed)\n\n", o.file, o.status, o.cells_checked, o.cells.len()));
            if !o.cells.is_empty() {
                s.push_str("| area | categories | kind | why |\n|---|---|---|---|\n");
                for c in &o.cells {
                    let cats: Vec<String> = c.categories.iter().map(|(d, v)| format!("{d}={v}")).collect();
                    s.push_str(&format!("| {} | {} | {} | {} |\n", c.area_code, cats.join(", "), c.kind, c.why.replace('|', "/")));
                }
            }
        }
        s
    }
}

/// The restricted audit record of the extract.
pub fn audit_record(table: &OutputTable, protection: &Protection, ids: &[CellId], rules: FileHash) -> AuditRecord {
    let mut record = AuditRecord::new("extract", rules, vec![]);
    record.information_loss = Some(protection.information_loss.clone());
    // Where each cell is shown, so a secondary cell names the primary cells it protects.
    let location: std::collections::HashMap<CellId, CellCoordinates> =
        table.rows.iter().zip(ids).map(|(row, &id)| (id, CellCoordinates::of_row(table, row))).collect();
    for (row, &id) in table.rows.iter().zip(ids) {
        if row.marker != Marker::Confidential {
            continue;
        }
        let reason = match &protection.statuses[id] {
            CellStatus::Suppressed { reason } => SuppressionReason::of(reason, |p| location.get(&p).cloned()),
            _ => SuppressionReason::Secondary { protects: vec![] },
        };
        let interval = match protection.intervals[id] {
            Some(i) if i.high.is_finite() => [i.low, i.high],
            Some(i) => [i.low, i.low + 1e9],
            None => [0.0, 1e9],
        };
        record.suppressed.push(SuppressedCell { cell: CellCoordinates::of_row(table, row), reason, audit_interval: interval });
    }
    record
}

//! What the engine decided and why: per-cell statuses (the public view only carries the
//! marker), and the restricted audit record that tells primary from secondary, names the
//! primary cells each complement protects, and lists the audit intervals.

use serde::Serialize;

use crate::sdc::audit::Interval;
use crate::sdc::model::{CellId, CellKey, Problem};
use crate::sdc::primary::PrimaryReason;

/// Why a cell is suppressed (restricted information).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Sensitive by itself under the named rule.
    Primary { rule: PrimaryReason },
    /// Chosen as a complement to protect these cells.
    Secondary { protects: Vec<CellId> },
}

/// Status of one cell after protection.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CellStatus {
    /// Published with this value.
    Published { value: f64 },
    /// Suppressed: shown as the marker only.
    Suppressed { reason: Reason },
    /// Rounded (round mode); the value is the rounded one.
    Rounded { value: f64 },
    /// Internal-only cell: never published.
    Internal,
}

impl CellStatus {
    /// The value a public output may show, if any.
    pub fn public_value(&self) -> Option<f64> {
        match self {
            CellStatus::Published { value } | CellStatus::Rounded { value } => Some(*value),
            CellStatus::Suppressed { .. } | CellStatus::Internal => None,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self, CellStatus::Suppressed { .. })
    }
}

/// Why a rate is not published.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateReason {
    NumeratorSuppressed,
    DenominatorSuppressed,
    DenominatorBelowMinimum,
}

/// Status of one rate cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RateStatus {
    Published { value: f64 },
    Suppressed { reason: RateReason },
    /// Denominator zero: the rate does not apply (marker `[z]`).
    NotApplicable,
}

/// Counts of what happened, for summaries and manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub cells: usize,
    pub publishable: usize,
    pub primary: usize,
    pub secondary: usize,
    pub rounded: usize,
    pub rates: usize,
    pub rates_suppressed: usize,
    /// Relations over time the data satisfy, added to the declared model.
    pub over_time_relations: usize,
}

/// The outcome of [`crate::sdc::protect`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protection {
    pub statuses: Vec<CellStatus>,
    pub rates: Vec<RateStatus>,
    /// Feasible interval of every suppressed cell (and protected internal cell) given all
    /// published cells, from the LP audit.
    pub intervals: Vec<Option<Interval>>,
    pub counts: Counts,
    /// Suppressed cells by level and share of value ([`crate::sdc::loss`]).
    pub information_loss: crate::sdc::loss::InformationLoss,
    /// Notes the product must print (for example that rounded totals are not additive).
    pub notes: Vec<String>,
    /// Keys of the internal cells the engine joined to the product's problem (ids from the
    /// problem's cell count on: earlier publications of a nested period and their increments,
    /// [`crate::sdc::nested`]); a complement may protect one of them.
    pub joined: Vec<CellKey>,
}

/// One line of the restricted audit record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub key: CellKey,
    pub tables: Vec<String>,
    pub value: f64,
    /// `primary` or `secondary`.
    pub suppression: &'static str,
    /// Primary rule, or the cells a complement protects.
    pub why: String,
    pub protects: Vec<CellKey>,
    pub interval: Option<Interval>,
}

impl Protection {
    /// The key of cell `id`: a cell of `problem`, or one the engine joined to it.
    pub fn key_of<'a>(&'a self, problem: &'a Problem, id: CellId) -> &'a CellKey {
        match problem.cells.get(id) {
            Some(cell) => &cell.key,
            None => &self.joined[id - problem.cells.len()],
        }
    }

    /// Keeps the statuses and intervals of the first `own` cells of the joined `problem` (the
    /// product's own) and the keys of the cells joined after them.
    pub(crate) fn keep_own(&mut self, own: usize, problem: &Problem) {
        self.statuses.truncate(own);
        self.intervals.truncate(own);
        self.joined = problem.cells[own.min(problem.cells.len())..].iter().map(|c| c.key.clone()).collect();
    }

    /// The restricted audit record: every suppressed cell with its reason and interval.
    pub fn audit_entries(&self, problem: &Problem) -> Vec<AuditEntry> {
        let mut out = Vec::new();
        for (id, status) in self.statuses.iter().enumerate() {
            let CellStatus::Suppressed { reason } = status else { continue };
            let cell = &problem.cells[id];
            let (suppression, why, protects) = match reason {
                Reason::Primary { rule } => ("primary", rule.describe(), Vec::new()),
                Reason::Secondary { protects } if protects.is_empty() => {
                    ("secondary", "suppressed as in an earlier publication of the series (one status per cell)".to_string(), Vec::new())
                }
                Reason::Secondary { protects } => {
                    let keys: Vec<CellKey> = protects.iter().map(|&p| self.key_of(problem, p).clone()).collect();
                    let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    ("secondary", format!("complement protecting {}", names.join("; ")), keys)
                }
            };
            out.push(AuditEntry {
                key: cell.key.clone(),
                tables: cell.tables.clone(),
                value: cell.value,
                suppression,
                why,
                protects,
                interval: self.intervals[id],
            });
        }
        out
    }
}

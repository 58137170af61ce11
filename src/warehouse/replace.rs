//! Replacing what a resubmission restates, inside the file's transaction: the
//! agency's earlier episodes in contact with the reporting period, the
//! episodes the file carries again and every episode of a client whose
//! consent it withdraws, with their interventions and TOPs, and the earlier
//! rows of the clients it restates; unless the [`ShrinkGuard`] holds the file
//! because it would make too many of the agency's episodes disappear.
//! Statements: `queries/load-submission.sql`.

use std::collections::HashSet;

use duckdb::{params, Connection};

use super::load::days;
use super::sql::{statement, LOAD};
use crate::ingest::SubmissionName;

/// Removes what the file (already appended under `submission_id`) replaces: the agency's
/// episodes in contact with the reporting period, the episodes it carries again and every
/// episode of a client whose consent it withdraws, with their interventions and TOPs, and the
/// earlier rows of the clients it restates. Every statement is limited to the agency.
///
/// Unless the guard allows it, nothing is removed and the reason is returned when the file
/// would make more of the agency's episodes in the period disappear than the guard's share.
pub fn replace_period(conn: &Connection, name: &SubmissionName, submission_id: i64, guard: &ShrinkGuard) -> duckdb::Result<Option<String>> {
    conn.prepare_cached(statement(LOAD, "doomed_episodes"))?.execute(params![name.agency, days(name.period().start), submission_id])?;
    let (held, removed): (i64, i64) = conn.prepare_cached(statement(LOAD, "shrink"))?.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if let Some(reason) = guard.holds(&name.agency, removed as u64, held as u64) {
        conn.execute_batch(statement(LOAD, "clear_stage"))?;
        return Ok(Some(reason));
    }
    for s in ["delete_doomed_interventions", "delete_doomed_tops", "delete_doomed_episodes", "delete_restated_clients"] {
        conn.prepare_cached(statement(LOAD, s))?.execute(params![name.agency, submission_id])?;
    }
    conn.execute_batch(statement(LOAD, "clear_stage"))?;
    Ok(None)
}

/// When a resubmission is held instead of applied: when it would remove more than `max_share`
/// of the episodes the warehouse holds for the agency in its reporting period (neither
/// carried again nor withdrawn), unless the agency is in `allowed` (`--allow-shrink`). A
/// provider's broken export never erases a year of records without a word.
#[derive(Debug, Clone)]
pub struct ShrinkGuard {
    pub max_share: f64,
    pub allowed: HashSet<String>,
}

impl Default for ShrinkGuard {
    fn default() -> Self {
        ShrinkGuard { max_share: 0.5, allowed: HashSet::new() }
    }
}

impl ShrinkGuard {
    /// The reason to hold a file that would remove `removed` of `held` episodes, if it is held.
    pub fn holds(&self, agency: &str, removed: u64, held: u64) -> Option<String> {
        if removed == 0 || removed as f64 <= self.max_share * held as f64 || self.allowed.contains(agency) {
            return None;
        }
        Some(format!(
            "held: it would remove {removed} of the {held} episodes the warehouse holds for {agency} in its reporting period \
             (more than {:.0}%), not carried in the file and not withdrawn; if the provider really deleted them, \
             load it again with --allow-shrink {agency}",
            100.0 * self.max_share
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_holds_large_shrinks_unless_allowed() {
        let g = ShrinkGuard::default();
        assert_eq!(g.holds("N0001", 0, 10), None);
        assert_eq!(g.holds("N0001", 5, 10), None, "half is allowed");
        let reason = g.holds("N0001", 6, 10).unwrap();
        assert!(reason.contains("remove 6 of the 10") && reason.contains("--allow-shrink N0001"), "{reason}");
        assert!(g.holds("N0001", 1, 1).is_some(), "all of them");
        let allowed = ShrinkGuard { allowed: ["N0001".to_string()].into(), ..ShrinkGuard::default() };
        assert_eq!(allowed.holds("N0001", 10, 10), None);
    }
}

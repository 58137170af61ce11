//! Named SQL statements kept in `queries/*.sql`: a file is a list of blocks,
//! each starting with a `-- name: <name>` line. The files are compiled in, so
//! the binary runs anywhere, and stay plain SQL a user can read and change.

/// Statements the loader runs (`queries/load-submission.sql`).
pub const LOAD: &str = include_str!("../../queries/load-submission.sql");

/// The block called `name` in a statements file (without its comment lines).
///
/// Panics when the name is missing: the files are part of the program, and a
/// unit test checks every name the code uses.
pub fn statement(file: &'static str, name: &str) -> &'static str {
    try_statement(file, name).unwrap_or_else(|| panic!("no statement `{name}` in the queries file"))
}

/// The block called `name`, if present.
pub fn try_statement(file: &'static str, name: &str) -> Option<&'static str> {
    let marker = format!("-- name: {name}\n");
    let start = file.find(&marker)? + marker.len();
    let rest = &file[start..];
    let end = rest.find("\n-- name: ").map(|i| i + 1).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_the_loader_uses_exists() {
        for name in [
            "latest_loaded", "agencies_with_records", "shrink", "table_columns", "create_stage", "doomed_episodes", "delete_doomed_interventions",
            "delete_doomed_tops", "delete_doomed_episodes", "delete_restated_clients", "clear_stage",
            "insert_submission", "insert_message", "next_submission_id", "delete_agency", "insert_agency",
            "key_fingerprint", "set_key_fingerprint", "begin_run", "end_run", "clear_withdrawn", "add_withdrawn",
            "withdrawn_keys", "withdrawn_derived_keys", "withdraw_treatment_episode", "withdraw_journey", "withdraw_person_period",
            "withdraw_top_record", "withdraw_intervention", "withdraw_episode", "withdraw_client",
        ] {
            let s = try_statement(LOAD, name).unwrap_or_else(|| panic!("{name}"));
            assert!(!s.is_empty() && !s.contains("-- name:"), "{name}");
        }
    }

    #[test]
    fn blocks_end_at_the_next_name() {
        const F: &str = "-- name: a\nSELECT 1;\n\n-- name: b\n-- about b\nSELECT 2;\n";
        assert_eq!(try_statement(F, "a"), Some("SELECT 1;"));
        assert_eq!(try_statement(F, "b"), Some("-- about b\nSELECT 2;"));
        assert_eq!(try_statement(F, "c"), None);
    }
}

//! The data-quality report of a load run: per submission the outcome, load %
//! and DQ %, and counts per validation message with example row numbers, as
//! CSV (`submissions.csv`, `messages.csv`) and a readable HTML page
//! (`index.html`). It never shows field values, so it carries no attributor
//! or other personal data and can be sent back to providers.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::warehouse::load::SubmissionResult;

const TEMPLATE: &str = include_str!("../../report-templates/dq-report.html.tera");

/// A report that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DqError {
    #[error("cannot write data-quality report {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

#[derive(Serialize)]
struct SubmissionView<'a> {
    file: &'a str,
    agency: &'a str,
    month: &'a str,
    outcome: &'a str,
    rows: u64,
    rows_loaded: u64,
    rows_clean: u64,
    load_pct: String,
    dq_pct: String,
    reject_reason: &'a str,
    errors: u64,
    warnings: u64,
    messages: Vec<MessageView<'a>>,
}

#[derive(Serialize)]
struct MessageView<'a> {
    severity: &'a str,
    code: &'a str,
    field: &'a str,
    message: &'a str,
    rows: u64,
    example_rows: String,
}

fn fmt_pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}")).unwrap_or_default()
}

fn view(r: &SubmissionResult) -> SubmissionView<'_> {
    let messages: Vec<MessageView> = r
        .messages
        .iter()
        .map(|m| MessageView {
            severity: m.severity.as_str(),
            code: &m.code,
            field: &m.field,
            message: &m.message,
            rows: m.row_count,
            example_rows: m.example_rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let count = |sev: &str| messages.iter().filter(|m| m.severity == sev).map(|m| m.rows).sum();
    SubmissionView {
        file: &r.file_name,
        agency: r.agency.as_deref().unwrap_or(""),
        month: r.month.as_deref().unwrap_or(""),
        outcome: r.outcome.as_str(),
        rows: r.rows_total,
        rows_loaded: r.rows_loaded,
        rows_clean: r.rows_clean,
        load_pct: fmt_pct(r.load_pct),
        dq_pct: fmt_pct(r.dq_pct),
        reject_reason: r.reject_reason.as_deref().unwrap_or(""),
        errors: count("error"),
        warnings: count("warning"),
        messages,
    }
}

/// Run-level totals.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RunTotals {
    pub files: usize,
    pub loaded: usize,
    pub unchanged: usize,
    pub superseded: usize,
    pub rejected: usize,
    /// Entries of the inputs that were not extracts (not counted in `files`).
    pub ignored: usize,
    pub rows: u64,
    pub rows_loaded: u64,
    pub rows_clean: u64,
    pub load_pct: String,
    pub dq_pct: String,
}

/// Totals over every file of a run.
pub fn totals(results: &[SubmissionResult]) -> RunTotals {
    let mut t = RunTotals { files: results.len(), ..RunTotals::default() };
    for r in results {
        match r.outcome.as_str() {
            "loaded" => t.loaded += 1,
            "unchanged" => t.unchanged += 1,
            "superseded" => t.superseded += 1,
            _ => t.rejected += 1,
        }
        t.rows += r.rows_total;
        t.rows_loaded += r.rows_loaded;
        t.rows_clean += r.rows_clean;
    }
    let pct = |a: u64| if t.rows > 0 { format!("{:.1}", 100.0 * a as f64 / t.rows as f64) } else { String::new() };
    t.load_pct = pct(t.rows_loaded);
    t.dq_pct = pct(t.rows_clean);
    t
}

/// Writes `submissions.csv`, `messages.csv`, `ignored.csv` (entries of the inputs that are not
/// extracts, with the reason) and `index.html` into `dir` (created if needed).
pub fn write_report(dir: &Path, warehouse: &Path, results: &[SubmissionResult], ignored: &[(String, String)]) -> Result<RunTotals, DqError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| DqError::Write { path: path.to_path_buf(), reason: e.to_string() };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
    let views: Vec<SubmissionView> = results.iter().map(view).collect();
    let subs = dir.join("submissions.csv");
    let mut w = csv::Writer::from_path(&subs).map_err(|e| fail(&subs, &e))?;
    w.write_record(["file", "agency", "month", "outcome", "rows", "rows_loaded", "rows_clean", "load_pct", "dq_pct", "errors", "warnings", "reject_reason"])
        .map_err(|e| fail(&subs, &e))?;
    for v in &views {
        w.write_record([
            v.file, v.agency, v.month, v.outcome, &v.rows.to_string(), &v.rows_loaded.to_string(), &v.rows_clean.to_string(),
            &v.load_pct, &v.dq_pct, &v.errors.to_string(), &v.warnings.to_string(), v.reject_reason,
        ])
        .map_err(|e| fail(&subs, &e))?;
    }
    w.flush().map_err(|e| fail(&subs, &e))?;
    let msgs = dir.join("messages.csv");
    let mut w = csv::Writer::from_path(&msgs).map_err(|e| fail(&msgs, &e))?;
    w.write_record(["file", "agency", "month", "severity", "code", "field", "message", "rows", "example_rows"]).map_err(|e| fail(&msgs, &e))?;
    for v in &views {
        for m in &v.messages {
            w.write_record([v.file, v.agency, v.month, m.severity, m.code, m.field, m.message, &m.rows.to_string(), &m.example_rows])
                .map_err(|e| fail(&msgs, &e))?;
        }
    }
    w.flush().map_err(|e| fail(&msgs, &e))?;
    let ign = dir.join("ignored.csv");
    let mut w = csv::Writer::from_path(&ign).map_err(|e| fail(&ign, &e))?;
    w.write_record(["entry", "reason"]).map_err(|e| fail(&ign, &e))?;
    for (entry, reason) in ignored {
        w.write_record([entry, reason]).map_err(|e| fail(&ign, &e))?;
    }
    w.flush().map_err(|e| fail(&ign, &e))?;
    let mut t = totals(results);
    t.ignored = ignored.len();
    let ignored_view: Vec<std::collections::BTreeMap<&str, &str>> =
        ignored.iter().map(|(e, r)| [("entry", e.as_str()), ("reason", r.as_str())].into_iter().collect()).collect();
    let mut tera = tera::Tera::default();
    tera.add_raw_template("dq-report.html", TEMPLATE).map_err(|e| fail(dir, &e))?;
    tera.autoescape_on(vec![".html"]);
    let mut ctx = tera::Context::new();
    ctx.insert("totals", &t);
    ctx.insert("submissions", &views);
    ctx.insert("ignored", &ignored_view);
    ctx.insert("warehouse", &warehouse.display().to_string());
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    let html = tera.render("dq-report.html", &ctx).map_err(|e| fail(dir, &format!("{e:?}")))?;
    let index = dir.join("index.html");
    std::fs::write(&index, html).map_err(|e| fail(&index, &e))?;
    Ok(t)
}

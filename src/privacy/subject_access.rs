//! The subject access report: every row the warehouse holds about a person, by
//! table, as HTML (`report-templates/subject-access.html.tera`) and as a long CSV
//! (`section,row,field,value`), written owner-only. The files are named by the
//! time they were made, never by a client id, so listings and the access log
//! carry no personal data.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::warehouse::selection::{self, Selection, SelectionError};
use crate::warehouse::Warehouse;

const TEMPLATE: &str = include_str!("../../report-templates/subject-access.html.tera");

/// The tables reported, in order, with a title and what they are.
pub const SECTIONS: [(&str, &str, &str); 8] = [
    ("client", "Client and consent", "The agency's client record, with NDTMS consent as last submitted."),
    ("episode", "Episodes", "Treatment episodes as the agency submitted them; the date of birth is kept only as a year and ages."),
    ("intervention", "Interventions", "Interventions (modalities) of those episodes."),
    ("top_record", "Treatment Outcomes Profiles", "TOP forms recorded on those episodes."),
    ("submission", "Submissions", "The monthly files the records above came in."),
    ("treatment_episode", "Derived: treatment episodes", "Episodes with an intervention, ordered across agencies, as the last build derived them."),
    ("journey", "Derived: treatment journeys", "Journeys derived from the treatment episodes (at every agency linked by the person key)."),
    ("person_period", "Derived: reporting periods", "How the person is counted in each built reporting period."),
];

/// A subject access problem.
#[derive(Debug, thiserror::Error)]
pub enum SubjectAccessError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error("subject access: reading {table}: {source}")]
    Read { table: &'static str, source: duckdb::Error },
    #[error("subject access: rendering the report: {0}")]
    Template(#[from] tera::Error),
    #[error("subject access: writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// One table's rows.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub table: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything held about the selection.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectReport {
    pub produced_at: String,
    pub warehouse: String,
    /// What was searched for, in words without the identifiers themselves.
    pub search: String,
    pub people: u64,
    pub other_clients: u64,
    pub total_rows: usize,
    pub sections: Vec<Section>,
}

/// Reads every row of the selection from every table that holds person-level data.
pub fn gather(wh: &Warehouse, selection: &Selection, search: &str) -> Result<SubjectReport, SubjectAccessError> {
    let staged = selection::stage(wh.conn(), selection)?;
    let result = (|| {
        let mut sections = Vec::new();
        for (table, title, about) in SECTIONS {
            let (columns, rows) = if staged.has(table) { read_rows(&staged, table)? } else { (Vec::new(), Vec::new()) };
            sections.push(Section { table, title, about, columns, rows });
        }
        Ok(SubjectReport {
            produced_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            warehouse: wh.path().display().to_string(),
            search: search.to_string(),
            people: staged.people()?,
            other_clients: if matches!(selection, Selection::Clients(_)) { staged.count("other_clients")? } else { 0 },
            total_rows: sections.iter().filter(|s| s.table != "submission").map(|s| s.rows.len()).sum(),
            sections,
        })
    })();
    staged.drop_selection()?;
    result
}

fn read_rows(staged: &selection::Staged<'_>, table: &'static str) -> Result<(Vec<String>, Vec<Vec<String>>), SubjectAccessError> {
    let err = |source| SubjectAccessError::Read { table, source };
    let sql = format!("SELECT COLUMNS(* EXCLUDE (_row))::VARCHAR FROM ({}) ORDER BY ALL", staged.rows_sql(table));
    let mut stmt = staged.conn().prepare(&sql).map_err(err)?;
    let mut rows = Vec::new();
    let mut query = stmt.query([]).map_err(err)?;
    while let Some(r) = query.next().map_err(err)? {
        let n = r.as_ref().column_count();
        rows.push((0..n).map(|i| r.get::<_, Option<String>>(i).map(|v| v.unwrap_or_default())).collect::<Result<Vec<_>, _>>().map_err(err)?);
    }
    drop(query);
    let columns = stmt.column_names();
    Ok((columns, rows))
}

impl SubjectReport {
    /// The HTML report.
    pub fn html(&self) -> Result<String, SubjectAccessError> {
        let mut tera = tera::Tera::default();
        tera.add_raw_template("subject-access.html", TEMPLATE)?;
        tera.autoescape_on(vec!["subject-access.html"]);
        Ok(tera.render("subject-access.html", &tera::Context::from_serialize(self)?)?)
    }

    /// The long CSV: `section,row,field,value`, one line per value held.
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["section", "row", "field", "value"]);
        for s in &self.sections {
            for (i, row) in s.rows.iter().enumerate() {
                for (field, value) in s.columns.iter().zip(row) {
                    let _ = w.write_record([s.table, &(i + 1).to_string(), field, value]);
                }
            }
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Writes `subject-access-<time>.html` and `.csv` into `dir` (owner-only, created if needed).
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), SubjectAccessError> {
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SubjectAccessError::Write { path, source }
        };
        super::create_private_dir(dir).map_err(write_err(dir))?;
        let stem = format!("subject-access-{}", chrono::Local::now().format("%Y%m%d-%H%M%S-%3f"));
        let (html, csv) = (dir.join(format!("{stem}.html")), dir.join(format!("{stem}.csv")));
        super::write_private_file(&html, self.html()?.as_bytes()).map_err(write_err(&html))?;
        super::write_private_file(&csv, self.csv().as_bytes()).map_err(write_err(&csv))?;
        Ok((html, csv))
    }
}

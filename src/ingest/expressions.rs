//! Row validation as polars column expressions, built from the schema file:
//! values trimmed (blank = missing), each field parsed by its kind into a
//! typed column (`v:<CODE>`), and one boolean column per kind of message
//! (`m:<n>`, described by a [`MessageColumn`]: severity, code, field,
//! message) that is true on the rows the message applies to. The rules are
//! those of the schema (requirements, code lists, ranges, dates, cross-field
//! checks); nothing about a particular field is written here.
//!
//! Consent decides which rules apply to a row: CONSENT = N rows keep only
//! AGNCY, CLIENTID and CONSENT (any other value earns a warning and is
//! dropped); rows with a missing or unknown consent get only the checks of
//! the always-mandatory fields.

use polars::prelude::*;

use crate::schema::{CheckRule, FieldKind, Requirement, Role, Schema, Severity};

/// Which file of the batch a row comes from.
pub const FILE: &str = "_file";
/// The row's index among the file's data rows (file row = index + 2).
pub const ROW: &str = "_row";
/// The last day of the file's submission month.
pub const PERIOD_END: &str = "_period_end";
/// Whether the file's agency reports an adult dataset.
pub const ADULT: &str = "_adult";
/// CONSENT = Y.
pub const CONSENTED: &str = "_cy";
/// CONSENT = N.
pub const NO_CONSENT: &str = "_cn";
/// Any row-level error / warning.
pub const ERROR: &str = "_error";
pub const WARNING: &str = "_warning";

/// The typed value column of a field.
pub fn typed(code: &str) -> String {
    format!("v:{code}")
}

/// Whether a message is found on single rows or across an episode's rows (which orders its
/// example rows by episode, as the episode checks visit them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Row,
    Episode,
}

/// A kind of message and the boolean column that marks its rows.
#[derive(Debug, Clone)]
pub struct MessageColumn {
    pub column: String,
    pub severity: Severity,
    pub code: String,
    pub field: String,
    pub message: String,
    pub scope: Scope,
}

/// Collects message columns as expressions are made.
#[derive(Default)]
pub struct Messages {
    pub columns: Vec<MessageColumn>,
    pub exprs: Vec<Expr>,
}

impl Messages {
    /// Adds a message column true where `when` is (nulls count as false).
    pub fn add(&mut self, when: Expr, severity: Severity, code: &str, field: &str, message: &str, scope: Scope) {
        let column = format!("m:{}", self.columns.len());
        self.exprs.push(when.fill_null(lit(false)).alias(column.as_str()));
        self.columns.push(MessageColumn {
            column,
            severity,
            code: code.to_string(),
            field: field.to_string(),
            message: message.to_string(),
            scope,
        });
    }

    /// The names of the columns of one severity.
    pub fn of(&self, severity: Severity) -> Vec<Expr> {
        self.columns.iter().filter(|m| m.severity == severity).map(|m| col(m.column.as_str())).collect()
    }
}

/// A message code with the prefix of its severity (`E_ORDER`, `W_ORDER`).
pub fn check_code(severity: Severity, stem: &str) -> String {
    match severity {
        Severity::Error => format!("E_{stem}"),
        Severity::Warning => format!("W_{stem}"),
    }
}

/// The stages of row validation: each a list of expressions evaluated together, later stages
/// reading the columns of earlier ones.
pub struct RowPlan {
    pub stages: Vec<Vec<Expr>>,
    pub messages: Messages,
}

/// Builds the row checks of `schema`; `la_codes` are the codes of the geography lookup.
pub fn row_plan(schema: &Schema, la_codes: &[String]) -> RowPlan {
    let consent = &schema.fields[schema.role(Role::Consent)].code;
    let normalised: Vec<Expr> = schema.fields.iter().map(|f| normalise(&f.code)).collect();
    let mut typed_values: Vec<Expr> = vec![
        col(consent.as_str()).eq(lit("Y")).fill_null(lit(false)).alias(CONSENTED),
        col(consent.as_str()).eq(lit("N")).fill_null(lit(false)).alias(NO_CONSENT),
    ];
    for f in &schema.fields {
        typed_values.extend(parse(schema, &f.code, &f.kind));
    }
    let mut m = Messages::default();
    field_messages(schema, &mut m);
    check_messages(schema, la_codes, &mut m);
    let ages = age_columns(schema);
    let flags = vec![any_of(m.of(Severity::Error)).alias(ERROR), any_of(m.of(Severity::Warning)).alias(WARNING)];
    let exprs = std::mem::take(&mut m.exprs);
    RowPlan { stages: vec![normalised, typed_values, exprs.into_iter().chain(ages).collect(), flags], messages: m }
}

/// `true` where any of `exprs` is (false when there are none).
pub fn any_of(exprs: Vec<Expr>) -> Expr {
    if exprs.is_empty() {
        lit(false)
    } else {
        any_horizontal(exprs).expect("non-empty list")
    }
}

/// Trims spaces, tabs and carriage returns; a blank value is missing.
fn normalise(code: &str) -> Expr {
    let trimmed = col(code).str().strip_chars(lit(" \r\t"));
    when(trimmed.clone().eq(lit(""))).then(lit(NULL).cast(DataType::String)).otherwise(trimmed).alias(code)
}

/// Postcode shapes (case-insensitive): a district, a sector, a full postcode (its district in
/// the first group).
const POSTCODE_DISTRICT_OR_SECTOR: &str = "(?i)^[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9])?$";
const FULL_POSTCODE: &str = "(?i)^([A-Z]{1,2}[0-9][A-Z0-9]?) ?[0-9][A-Z]{2}$";

/// The typed value of a field (`v:<CODE>`): the value when it is valid for its kind, else
/// null. Some kinds keep a step of the parse to tell their errors apart: integers their
/// unranged number (`n:<CODE>`), dates the date before the earliest-year rule (`n:<CODE>`).
fn parse(schema: &Schema, code: &str, kind: &FieldKind) -> Vec<Expr> {
    let raw = col(code);
    let name = typed(code);
    let step = format!("n:{code}");
    match kind {
        FieldKind::Text { max_len, pattern } => {
            let mut ok = raw.clone().str().len_chars().lt_eq(lit(*max_len as u32));
            if let Some(p) = pattern {
                ok = ok.and(raw.clone().str().contains(lit(p.regex.as_str()), true));
            }
            vec![when(ok).then(raw).otherwise(lit(NULL)).alias(name.as_str())]
        }
        FieldKind::Code { codes } => {
            let list = Series::new("codes".into(), codes.iter().map(String::as_str).collect::<Vec<_>>());
            vec![when(raw.clone().is_in(lit(list).implode(false), false)).then(raw).otherwise(lit(NULL)).alias(name.as_str())]
        }
        FieldKind::Date => {
            let options = StrptimeOptions { format: Some(schema.date_format.as_str().into()), strict: false, exact: true, cache: true };
            let shaped = raw.clone().str().contains(lit(schema.date_shape(4)), true);
            let date = when(shaped).then(raw.str().to_date(options)).otherwise(lit(NULL).cast(DataType::Date));
            let in_range = match schema.earliest_year {
                Some(y) => date.clone().dt().year().gt_eq(lit(y)),
                None => lit(true),
            };
            vec![date.clone().alias(step.as_str()), when(in_range).then(date).otherwise(lit(NULL)).alias(name.as_str())]
        }
        FieldKind::Integer { min, max } => {
            let whole = raw.clone().str().contains(lit("^[+-]?[0-9]+$"), true);
            let n = when(whole).then(raw.str().strip_prefix(lit("+")).cast(DataType::Int64)).otherwise(lit(NULL));
            let ranged = n.clone().gt_eq(lit(*min)).and(n.clone().lt_eq(lit(*max)));
            vec![n.clone().alias(step.as_str()), when(ranged).then(n).otherwise(lit(NULL)).alias(name.as_str())]
        }
        FieldKind::Postcode => {
            let full = raw.clone().str().contains(lit(FULL_POSTCODE), true);
            let value = when(raw.clone().str().contains(lit(POSTCODE_DISTRICT_OR_SECTOR), true))
                .then(raw.clone())
                .when(full.clone())
                .then(raw.str().extract(lit(FULL_POSTCODE), 1))
                .otherwise(lit(NULL));
            vec![full.alias(step.as_str()), value.alias(name.as_str())]
        }
    }
}

/// Missing and unparseable values, field by field, with the consent rules.
fn field_messages(schema: &Schema, m: &mut Messages) {
    let consent_i = schema.role(Role::Consent);
    let (cy, cn) = (col(CONSENTED), col(NO_CONSENT));
    let always: Vec<usize> = (0..schema.fields.len()).filter(|&i| schema.fields[i].requirement == Requirement::Always).collect();
    for &i in &always {
        let f = &schema.fields[i];
        m.add(col(f.code.as_str()).is_null(), Severity::Error, "E_MISSING", &f.code, "mandatory field missing", Scope::Row);
    }
    let stray: Vec<Expr> = (0..schema.fields.len()).filter(|i| !always.contains(i)).map(|i| col(schema.fields[i].code.as_str()).is_not_null()).collect();
    m.add(cn.clone().and(any_of(stray)), Severity::Warning, "W_CONSENT_DISCARDED", "", "values on a CONSENT=N row were discarded", Scope::Row);
    for (i, f) in schema.fields.iter().enumerate() {
        let raw = col(f.code.as_str());
        // The consent field is checked on every row, the other always-mandatory fields (the
        // identifiers a CONSENT=N row keeps) on rows with a consent, the rest on consented rows.
        let applies = if i == consent_i {
            lit(true)
        } else if f.requirement == Requirement::Always {
            cy.clone().or(cn.clone())
        } else {
            cy.clone()
        };
        let missing = cy.clone().and(raw.clone().is_null());
        let required_by = f.required_with.map(|w| col(schema.fields[w].code.as_str()).is_not_null());
        match (f.requirement, &required_by) {
            (Requirement::Mandatory, _) => m.add(missing.clone(), Severity::Error, "E_MISSING", &f.code, "mandatory field missing", Scope::Row),
            (_, Some(by)) => {
                let with = &schema.fields[f.required_with.unwrap_or(i)].code;
                m.add(missing.clone().and(by.clone()), Severity::Error, "E_MISSING_WITH", &f.code, &format!("required when {with} is given"), Scope::Row);
                if f.requirement == Requirement::Expected {
                    m.add(missing.clone().and(by.clone().not()), Severity::Warning, "W_EXPECTED", &f.code, "expected field missing", Scope::Row);
                }
            }
            (Requirement::Expected, None) => m.add(missing.clone(), Severity::Warning, "W_EXPECTED", &f.code, "expected field missing", Scope::Row),
            _ => {}
        }
        let present = applies.and(raw.clone().is_not_null());
        let invalid = present.clone().and(col(typed(&f.code).as_str()).is_null());
        let step = col(format!("n:{}", f.code).as_str());
        match &f.kind {
            FieldKind::Text { max_len, pattern } => {
                let too_long = raw.clone().str().len_chars().gt(lit(*max_len as u32));
                m.add(present.clone().and(too_long.clone()), Severity::Error, "E_TOO_LONG", &f.code, "value longer than the field allows", Scope::Row);
                if let Some(p) = pattern {
                    m.add(invalid.and(too_long.not()), Severity::Error, "E_PATTERN", &f.code, &p.message, Scope::Row);
                }
            }
            FieldKind::Code { .. } => m.add(invalid, Severity::Error, "E_CODE", &f.code, "code not in its list", Scope::Row),
            FieldKind::Date => {
                let words = schema.date_format_in_words();
                let short_year = raw.clone().str().contains(lit(schema.date_shape(2)), true);
                m.add(present.clone().and(short_year.clone()), Severity::Error, "E_DATE_YEAR", &f.code, &format!("two-digit year: write dates as {words}"), Scope::Row);
                m.add(present.clone().and(short_year.not()).and(step.clone().is_null()), Severity::Error, "E_DATE", &f.code, "unparseable date", Scope::Row);
                if let Some(y) = schema.earliest_year {
                    m.add(invalid.and(step.is_not_null()), Severity::Error, "E_DATE_RANGE", &f.code, &format!("date before {y}"), Scope::Row);
                }
            }
            FieldKind::Integer { .. } => {
                m.add(present.clone().and(step.clone().is_null()), Severity::Error, "E_INTEGER", &f.code, "not a whole number", Scope::Row);
                m.add(invalid.and(step.is_not_null()), Severity::Error, "E_RANGE", &f.code, "number outside its allowed range", Scope::Row);
            }
            FieldKind::Postcode => {
                m.add(invalid, Severity::Error, "E_POSTCODE", &f.code, "not a postcode district or sector", Scope::Row);
                m.add(present.and(step), Severity::Warning, "W_POSTCODE_CUT", &f.code, "full postcode: only its outward code (district) is kept", Scope::Row);
            }
        }
    }
}

/// The cross-field checks of the schema on consented rows (the episode-level one is in
/// `episodes`).
fn check_messages(schema: &Schema, la_codes: &[String], m: &mut Messages) {
    let v = |i: usize| col(typed(&schema.fields[i].code).as_str());
    let cy = || col(CONSENTED);
    for check in &schema.checks {
        let (sev, msg) = (check.severity, check.message.as_str());
        match &check.rule {
            CheckRule::Order { earlier, later } => {
                let when = cy().and(v(*later).lt(v(*earlier)));
                m.add(when, sev, &check_code(sev, "ORDER"), &schema.fields[*later].code, msg, Scope::Row);
            }
            CheckRule::Together { fields } => {
                let filled: Vec<Expr> = fields.iter().map(|&i| v(i).is_not_null()).collect();
                let count = filled.iter().skip(1).fold(filled[0].clone().cast(DataType::UInt32), |a, b| a + b.clone().cast(DataType::UInt32));
                let partial = cy().and(count.clone().neq(lit(0u32))).and(count.neq(lit(fields.len() as u32)));
                for (k, &i) in fields.iter().enumerate() {
                    // The message names the first field of the list that is missing.
                    let first_missing = filled[..k].iter().fold(filled[k].clone().not(), |a, b| a.and(b.clone()));
                    m.add(partial.clone().and(first_missing), sev, &check_code(sev, "TOGETHER"), &schema.fields[i].code, msg, Scope::Row);
                }
            }
            CheckRule::NotAfterSubmissionMonth => {
                for (i, f) in schema.fields.iter().enumerate() {
                    if f.kind == FieldKind::Date {
                        m.add(cy().and(v(i).gt(col(PERIOD_END))), sev, &check_code(sev, "FUTURE_DATE"), &f.code, msg, Scope::Row);
                    }
                }
            }
            CheckRule::LaInLookup { field } => {
                let list = Series::new("la".into(), la_codes.iter().map(String::as_str).collect::<Vec<_>>());
                let when = cy().and(v(*field).is_not_null()).and(v(*field).is_in(lit(list).implode(false), false).not());
                m.add(when, sev, &check_code(sev, "LA_LOOKUP"), &schema.fields[*field].code, msg, Scope::Row);
            }
            CheckRule::AgeForDataset { date } => {
                let adult = age(v(schema.role(Role::Dob)), v(*date)).gt_eq(lit(schema.adult_age as i64));
                m.add(cy().and(adult.neq(col(ADULT))), sev, &check_code(sev, "AGE_DATASET"), &schema.fields[*date].code, msg, Scope::Row);
            }
            CheckRule::ClosedNeedsIntervention { .. } => {}
        }
    }
}

/// Whole years from `dob` to `on` (null when either is), as `submission::age_on` counts them.
pub fn age(dob: Expr, on: Expr) -> Expr {
    let md = |d: Expr| d.clone().dt().month().cast(DataType::Int64) * lit(100i64) + d.dt().day().cast(DataType::Int64);
    let years = on.clone().dt().year().cast(DataType::Int64) - dob.clone().dt().year().cast(DataType::Int64);
    years - md(on).lt(md(dob)).cast(DataType::Int64)
}

/// Year of birth and the ages the warehouse keeps instead of the date of birth: at referral,
/// triage and intervention start (the fields stored in `refld`, `triaged` and `modst`).
fn age_columns(schema: &Schema) -> Vec<Expr> {
    let dob = col(typed(&schema.fields[schema.role(Role::Dob)].code).as_str());
    let stored = |column: &str| schema.fields.iter().find(|f| f.column.as_deref() == Some(column)).map(|f| col(typed(&f.code).as_str()));
    let mut out = vec![dob.clone().dt().year().cast(DataType::Int64).alias("year_of_birth")];
    for (name, column) in [("age_at_referral", "refld"), ("age_at_triage", "triaged"), ("age_at_modst", "modst")] {
        let value = stored(column).map(|on| age(dob.clone(), on)).unwrap_or_else(|| lit(NULL).cast(DataType::Int64));
        out.push(value.alias(name));
    }
    out
}

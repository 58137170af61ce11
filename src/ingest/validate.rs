//! Row validation against the schema, as NDTMS does it: field checks
//! (missing, code lists, dates, integers, lengths) and cross-field checks
//! give each row errors (the row is not loaded) or warnings (loaded, but it
//! lowers data quality). Consent-N rows are reduced to AGNCY, CLIENTID and
//! CONSENT before anything else looks at them.

use chrono::NaiveDate;

use super::messages::Tally;
use super::submission::{age_on, ReportingPeriod};
use crate::geography::Geography;
use crate::schema::{CheckRule, FieldKind, Requirement, Role, Schema, Severity};

/// A checked, typed cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Date(NaiveDate),
    Int(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn as_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// What validation needs to know about the file beyond its cells.
pub struct FileContext<'a> {
    pub schema: &'a Schema,
    pub geography: &'a Geography,
    /// Whether the agency's dataset is an adult one (else young people's).
    pub adult_dataset: bool,
    pub period: ReportingPeriod,
}

/// Per-row outcome of validation.
#[derive(Debug, Clone, Default)]
pub struct RowState {
    pub error: bool,
    pub warning: bool,
    /// CONSENT = N (the row's other values have been discarded).
    pub no_consent: bool,
    pub values: Vec<Value>,
}

/// The file row number (1 = header) of data row `r` (0-based).
pub fn file_row(r: usize) -> usize {
    r + 2
}

/// Marks a row and tallies the message.
pub fn flag(state: &mut RowState, tally: &mut Tally, severity: Severity, code: &str, field: &str, message: &str, r: usize) {
    match severity {
        Severity::Error => state.error = true,
        Severity::Warning => state.warning = true,
    }
    tally.add(severity, code, field, message, file_row(r));
}

/// Validates one data row `r` given the file's columns (`cols[i]` = schema field i).
pub fn validate_row(ctx: &FileContext<'_>, cols: &[Vec<Option<&str>>], r: usize, tally: &mut Tally) -> RowState {
    let schema = ctx.schema;
    let mut state = RowState { values: vec![Value::Null; schema.fields.len()], ..RowState::default() };
    let consent_i = schema.role(Role::Consent);
    let consent = cols[consent_i][r];
    // Fields that are always mandatory (AGNCY, CLIENTID, CONSENT) are checked on every row.
    for (i, f) in schema.fields.iter().enumerate() {
        if f.requirement == Requirement::Always && cols[i][r].is_none() {
            flag(&mut state, tally, Severity::Error, "E_MISSING", &f.code, "mandatory field missing", r);
        }
    }
    match consent {
        Some("N") => {
            state.no_consent = true;
            let stray = schema
                .fields
                .iter()
                .enumerate()
                .any(|(i, f)| f.requirement != Requirement::Always && cols[i][r].is_some());
            if stray {
                flag(&mut state, tally, Severity::Warning, "W_CONSENT_DISCARDED", "", "values on a CONSENT=N row were discarded", r);
            }
            for i in [schema.role(Role::Agency), schema.role(Role::ClientId), consent_i] {
                if let Some(v) = cols[i][r] {
                    state.values[i] = Value::Text(v.to_string());
                }
            }
            return state;
        }
        Some("Y") => {}
        Some(_) => {
            flag(&mut state, tally, Severity::Error, "E_CODE", &schema.fields[consent_i].code, "code not in its list", r);
            return state;
        }
        None => return state,
    }
    for (i, f) in schema.fields.iter().enumerate() {
        let raw = cols[i][r];
        let Some(raw) = raw else {
            let required_by = f.required_with.is_some_and(|w| cols[w][r].is_some());
            match f.requirement {
                Requirement::Mandatory => flag(&mut state, tally, Severity::Error, "E_MISSING", &f.code, "mandatory field missing", r),
                _ if required_by => {
                    let with = &schema.fields[f.required_with.unwrap_or(i)].code;
                    flag(&mut state, tally, Severity::Error, "E_MISSING_WITH", &f.code, &format!("required when {with} is given"), r)
                }
                Requirement::Expected => flag(&mut state, tally, Severity::Warning, "W_EXPECTED", &f.code, "expected field missing", r),
                _ => {}
            }
            continue;
        };
        match parse_value(&f.kind, raw, &schema.date_format) {
            Ok(v) => state.values[i] = v,
            Err((code, message)) => flag(&mut state, tally, Severity::Error, code, &f.code, message, r),
        }
    }
    apply_checks(ctx, &mut state, tally, r);
    state
}

/// Parses one raw value by its field kind; the error is (code, message), without the value.
pub fn parse_value(kind: &FieldKind, raw: &str, date_format: &str) -> Result<Value, (&'static str, &'static str)> {
    match kind {
        FieldKind::Text { max_len } => {
            if raw.chars().count() > *max_len {
                Err(("E_TOO_LONG", "value longer than the field allows"))
            } else {
                Ok(Value::Text(raw.to_string()))
            }
        }
        FieldKind::Code { codes } => {
            if codes.contains(raw) {
                Ok(Value::Text(raw.to_string()))
            } else {
                Err(("E_CODE", "code not in its list"))
            }
        }
        FieldKind::Date => NaiveDate::parse_from_str(raw, date_format)
            .map(Value::Date)
            .map_err(|_| ("E_DATE", "unparseable date")),
        FieldKind::Integer { min, max } => match raw.parse::<i64>() {
            Ok(n) if n >= *min && n <= *max => Ok(Value::Int(n)),
            Ok(_) => Err(("E_RANGE", "number outside its allowed range")),
            Err(_) => Err(("E_INTEGER", "not a whole number")),
        },
    }
}

fn apply_checks(ctx: &FileContext<'_>, state: &mut RowState, tally: &mut Tally, r: usize) {
    let schema = ctx.schema;
    for check in &schema.checks {
        let (sev, msg) = (check.severity, check.message.as_str());
        match &check.rule {
            CheckRule::Order { earlier, later } => {
                if let (Some(a), Some(b)) = (state.values[*earlier].as_date(), state.values[*later].as_date()) {
                    if b < a {
                        let code = if sev == Severity::Error { "E_ORDER" } else { "W_ORDER" };
                        flag(state, tally, sev, code, &schema.fields[*later].code, msg, r);
                    }
                }
            }
            CheckRule::Together { fields } => {
                let filled = fields.iter().filter(|&&i| !state.values[i].is_null()).count();
                if filled != 0 && filled != fields.len() {
                    let missing = fields.iter().find(|&&i| state.values[i].is_null()).copied().unwrap_or(fields[0]);
                    let code = if sev == Severity::Error { "E_TOGETHER" } else { "W_TOGETHER" };
                    flag(state, tally, sev, code, &schema.fields[missing].code, msg, r);
                }
            }
            CheckRule::NotAfterSubmissionMonth => {
                let late: Vec<usize> = (0..state.values.len())
                    .filter(|&i| state.values[i].as_date().is_some_and(|d| d > ctx.period.end))
                    .collect();
                for i in late {
                    let code = if sev == Severity::Error { "E_FUTURE_DATE" } else { "W_FUTURE_DATE" };
                    flag(state, tally, sev, code, &schema.fields[i].code, msg, r);
                }
            }
            CheckRule::LaInLookup { field } => {
                if let Some(la) = state.values[*field].as_text() {
                    if !ctx.geography.contains(la) {
                        let code = if sev == Severity::Error { "E_LA_LOOKUP" } else { "W_LA_LOOKUP" };
                        flag(state, tally, sev, code, &schema.fields[*field].code, msg, r);
                    }
                }
            }
            CheckRule::AgeForDataset { date } => {
                let dob = state.values[schema.role(Role::Dob)].as_date();
                if let (Some(dob), Some(on)) = (dob, state.values[*date].as_date()) {
                    let adult = age_on(dob, on) >= schema.adult_age as i32;
                    if adult != ctx.adult_dataset {
                        let code = if sev == Severity::Error { "E_AGE_DATASET" } else { "W_AGE_DATASET" };
                        flag(state, tally, sev, code, &schema.fields[*date].code, msg, r);
                    }
                }
            }
            // Checked across the rows of an episode, in `records`.
            CheckRule::ClosedNeedsIntervention { .. } => {}
        }
    }
}

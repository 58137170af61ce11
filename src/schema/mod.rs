//! Dataset schemas as data: the fields of a provider extract, their order,
//! code lists, mandatory/expected rules and cross-field checks, read from a
//! versioned TOML file (`schemas/cds-p.toml`). A new dataset version is a new
//! file, not new code. A bad schema file is rejected with its path, the key
//! and the reason.

mod raw;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use raw::{RawCheck, RawField, RawSchema};

/// The schema shipped with the toolkit (CDS-P), used when no `--schema` is given.
pub const DEFAULT_SCHEMA: &str = include_str!("../../schemas/cds-p.toml");
/// Name shown for the embedded default schema in messages.
pub const DEFAULT_SCHEMA_NAME: &str = "schemas/cds-p.toml (built in)";

/// A schema file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read schema file {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("schema file {file}: {reason}")]
    Syntax { file: PathBuf, reason: String },
    #[error("schema file {file}, key `{key}`: {reason}")]
    Invalid { file: PathBuf, key: String, reason: String },
}

/// Which record a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Client,
    Episode,
    Intervention,
    Top,
}

/// How a field's values are checked.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Up to `max_len` characters, matching `pattern` (a whole-value regular expression) if set.
    Text { max_len: usize, pattern: Option<Pattern> },
    Code { codes: BTreeSet<String> },
    Date,
    Integer { min: i64, max: i64 },
    /// A postcode district (`M14`) or sector (`M14 5`); a full postcode is cut to its district
    /// with a warning, so no more than the outward code is ever stored.
    Postcode,
}

/// A whole-value regular expression and what it allows, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub regex: String,
    pub message: String,
}

/// Whether a field must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Error when missing on any row, consented or not.
    Always,
    /// "M": error when missing on a consented row.
    Mandatory,
    /// "W": warning when missing on a consented row.
    Expected,
    Optional,
}

/// What the loader does with a field beyond storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Agency,
    ClientId,
    Consent,
    FInitial,
    SInitial,
    Dob,
    Sex,
    EpisodeId,
    InterventionId,
    TopId,
    La,
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One validated field.
#[derive(Debug, Clone)]
pub struct Field {
    pub code: String,
    pub section: Section,
    pub kind: FieldKind,
    pub requirement: Requirement,
    /// Index of the field whose presence makes this one mandatory.
    pub required_with: Option<usize>,
    pub role: Option<Role>,
    /// Warehouse column, if the value is stored as is.
    pub column: Option<String>,
}

/// The rule of a cross-field check; field references are indices into [`Schema::fields`].
#[derive(Debug, Clone, PartialEq)]
pub enum CheckRule {
    Order { earlier: usize, later: usize },
    Together { fields: Vec<usize> },
    NotAfterSubmissionMonth,
    LaInLookup { field: usize },
    AgeForDataset { date: usize },
    ClosedNeedsIntervention { discharge: usize, intervention: usize },
}

/// A cross-field check with its severity and message.
#[derive(Debug, Clone)]
pub struct Check {
    pub rule: CheckRule,
    pub severity: Severity,
    pub message: String,
}

/// A placeholder attributor: initials and date of birth that mark an objector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub finitial: String,
    pub sinitial: String,
    pub dob: NaiveDate,
}

/// A validated dataset schema.
#[derive(Debug, Clone)]
pub struct Schema {
    pub source: PathBuf,
    pub dataset: String,
    pub date_format: String,
    /// No date before 1 January of this year is accepted (none when unset).
    pub earliest_year: Option<i32>,
    pub adult_age: u32,
    pub placeholders: Vec<Placeholder>,
    pub fields: Vec<Field>,
    pub checks: Vec<Check>,
    roles: HashMap<Role, usize>,
}

const REQUIRED_ROLES: [(Role, &str); 10] = [
    (Role::Agency, "agency"),
    (Role::ClientId, "client_id"),
    (Role::Consent, "consent"),
    (Role::FInitial, "finitial"),
    (Role::SInitial, "sinitial"),
    (Role::Dob, "dob"),
    (Role::Sex, "sex"),
    (Role::EpisodeId, "episode_id"),
    (Role::InterventionId, "intervention_id"),
    (Role::TopId, "top_id"),
];

/// Warehouse columns a field of each section may be stored in.
fn allowed_columns(section: Section) -> &'static [&'static str] {
    match section {
        Section::Client | Section::Episode => &[
            "sex", "ethnic", "pc", "la", "refld", "rfls", "triaged", "drug1", "drug2", "drug3",
            "injstat", "alcunits", "disd", "disrsn",
        ],
        Section::Intervention => &["modal", "modset", "refmoddt", "modst", "modend", "modexit"],
        Section::Top => &[
            "topdate", "trstage", "alcuse", "opiuse", "crause", "cocause", "amphuse", "cannuse",
            "acuthpbm", "quallife",
        ],
    }
}

impl Schema {
    /// The built-in CDS-P schema.
    pub fn builtin() -> Schema {
        Schema::parse(DEFAULT_SCHEMA, Path::new(DEFAULT_SCHEMA_NAME)).expect("built-in schema is valid")
    }

    /// Reads and validates a schema file.
    pub fn load(path: &Path) -> Result<Schema, SchemaError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SchemaError::Read { file: path.to_path_buf(), source })?;
        Schema::parse(&text, path)
    }

    /// Parses and validates schema text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Schema, SchemaError> {
        let raw: RawSchema = toml::from_str(text).map_err(|e| SchemaError::Syntax {
            file: file.to_path_buf(),
            reason: e.to_string().trim().to_string(),
        })?;
        Schema::from_raw(raw, file)
    }

    fn from_raw(raw: RawSchema, file: &Path) -> Result<Schema, SchemaError> {
        let invalid = |key: String, reason: String| SchemaError::Invalid {
            file: file.to_path_buf(),
            key,
            reason,
        };
        if raw.field.is_empty() {
            return Err(invalid("field".into(), "the schema declares no fields".into()));
        }
        // Probe the date format once so a typo fails here, not on every row.
        if NaiveDate::parse_from_str("05/05/1955", &raw.date_format).is_err()
            && NaiveDate::parse_from_str("1955-05-05", &raw.date_format).is_err()
        {
            return Err(invalid("date_format".into(), format!("`{}` does not parse a date", raw.date_format)));
        }
        date_shape(&raw.date_format, 4).map_err(|reason| invalid("date_format".into(), reason))?;
        let mut index = HashMap::new();
        for (i, f) in raw.field.iter().enumerate() {
            if f.code.trim().is_empty() {
                return Err(invalid(format!("field[{i}].code"), "empty field code".into()));
            }
            if index.insert(f.code.clone(), i).is_some() {
                return Err(invalid(format!("field[{i}].code"), format!("field `{}` is declared twice", f.code)));
            }
        }
        let mut fields = Vec::with_capacity(raw.field.len());
        let mut roles = HashMap::new();
        for (i, f) in raw.field.iter().enumerate() {
            let field = validate_field(i, f, &index).map_err(|(key, reason)| invalid(key, reason))?;
            if let Some(role) = field.role {
                if roles.insert(role, i).is_some() {
                    return Err(invalid(format!("field[{i}].role"), format!("role {role:?} is given to two fields")));
                }
            }
            fields.push(field);
        }
        for (role, name) in REQUIRED_ROLES {
            if !roles.contains_key(&role) {
                return Err(invalid("field".into(), format!("no field has role `{name}`")));
            }
        }
        let mut checks = Vec::new();
        for (i, c) in raw.check.iter().enumerate() {
            checks.push(validate_check(i, c, &index, &fields).map_err(|(key, reason)| invalid(key, reason))?);
        }
        let mut placeholders = Vec::new();
        for (i, p) in raw.placeholder.iter().enumerate() {
            let dob = NaiveDate::parse_from_str(&p.dob, &raw.date_format).map_err(|_| {
                invalid(format!("placeholder[{i}].dob"), format!("`{}` is not a date in {}", p.dob, raw.date_format))
            })?;
            placeholders.push(Placeholder { finitial: p.finitial.clone(), sinitial: p.sinitial.clone(), dob });
        }
        Ok(Schema {
            source: file.to_path_buf(),
            dataset: raw.dataset,
            date_format: raw.date_format,
            earliest_year: raw.earliest_year,
            adult_age: raw.adult_age,
            placeholders,
            fields,
            checks,
            roles,
        })
    }

    /// Index of the field with this role (every required role is present after validation).
    pub fn role(&self, role: Role) -> usize {
        self.roles[&role]
    }

    /// Index of the field with this role, if any (for optional roles such as `la`).
    pub fn optional_role(&self, role: Role) -> Option<usize> {
        self.roles.get(&role).copied()
    }

    /// The whole-value regular expression of a date written in the schema's format, with the
    /// year in `year_digits` digits.
    pub fn date_shape(&self, year_digits: usize) -> String {
        date_shape(&self.date_format, year_digits).expect("checked when the schema was read")
    }

    /// The date format for people: `DD/MM/YYYY`.
    pub fn date_format_in_words(&self) -> String {
        self.date_format.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
    }

    /// Field codes in file order.
    pub fn header(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.code.as_str()).collect()
    }
}

/// A date format (`%d`, `%m`, `%Y` and literal characters) as a whole-value regular expression
/// with two-digit day and month and a `year_digits`-digit year.
fn date_shape(format: &str, year_digits: usize) -> Result<String, String> {
    let mut out = String::from("^");
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        match chars.next() {
            Some('d') | Some('m') => out.push_str("[0-9]{2}"),
            Some('Y') => out.push_str(&format!("[0-9]{{{year_digits}}}")),
            other => return Err(format!("`%{}` is not supported (only %d, %m, %Y and literal characters)", other.map(String::from).unwrap_or_default())),
        }
    }
    out.push('$');
    Ok(out)
}

fn validate_field(i: usize, f: &RawField, index: &HashMap<String, usize>) -> Result<Field, (String, String)> {
    let key = |k: &str| format!("field[{i}] ({}).{k}", f.code);
    let section = match f.section.as_str() {
        "client" => Section::Client,
        "episode" => Section::Episode,
        "intervention" => Section::Intervention,
        "top" => Section::Top,
        other => return Err((key("section"), format!("unknown section `{other}` (client, episode, intervention, top)"))),
    };
    let kind = match f.kind.as_str() {
        "text" => {
            let max_len = f.max_len.ok_or_else(|| (key("max_len"), "a text field needs max_len".to_string()))?;
            if max_len == 0 {
                return Err((key("max_len"), "max_len must be at least 1".into()));
            }
            let pattern = match &f.pattern {
                None => None,
                Some(p) => {
                    regex::Regex::new(p).map_err(|e| (key("pattern"), format!("not a regular expression: {e}")))?;
                    let message = f.pattern_message.clone().ok_or_else(|| (key("pattern_message"), "a pattern needs pattern_message (what it allows, in words)".to_string()))?;
                    Some(Pattern { regex: format!("^(?:{p})$"), message })
                }
            };
            FieldKind::Text { max_len, pattern }
        }
        "postcode" => FieldKind::Postcode,
        "code" => {
            let codes = f.codes.clone().ok_or_else(|| (key("codes"), "a code field needs codes".to_string()))?;
            if codes.is_empty() {
                return Err((key("codes"), "the code list is empty".into()));
            }
            FieldKind::Code { codes: codes.into_iter().collect() }
        }
        "date" => FieldKind::Date,
        "integer" => {
            let (min, max) = (f.min.unwrap_or(i64::MIN), f.max.unwrap_or(i64::MAX));
            if min > max {
                return Err((key("min"), format!("min {min} is above max {max}")));
            }
            FieldKind::Integer { min, max }
        }
        other => return Err((key("type"), format!("unknown type `{other}` (text, code, date, integer, postcode)"))),
    };
    let requirement = match f.requirement.as_str() {
        "always" => Requirement::Always,
        "mandatory" => Requirement::Mandatory,
        "expected" => Requirement::Expected,
        "optional" => Requirement::Optional,
        other => return Err((key("requirement"), format!("unknown requirement `{other}` (always, mandatory, expected, optional)"))),
    };
    let required_with = match &f.required_with {
        None => None,
        Some(code) => Some(*index.get(code).ok_or_else(|| (key("required_with"), format!("no field `{code}`")))?),
    };
    let role = match f.role.as_deref() {
        None => None,
        Some("agency") => Some(Role::Agency),
        Some("client_id") => Some(Role::ClientId),
        Some("consent") => Some(Role::Consent),
        Some("finitial") => Some(Role::FInitial),
        Some("sinitial") => Some(Role::SInitial),
        Some("dob") => Some(Role::Dob),
        Some("sex") => Some(Role::Sex),
        Some("episode_id") => Some(Role::EpisodeId),
        Some("intervention_id") => Some(Role::InterventionId),
        Some("top_id") => Some(Role::TopId),
        Some("la") => Some(Role::La),
        Some(other) => return Err((key("role"), format!("unknown role `{other}`"))),
    };
    if f.pattern.is_some() && !matches!(kind, FieldKind::Text { .. }) {
        return Err((key("pattern"), "only text fields take a pattern".into()));
    }
    if let Some(column) = &f.column {
        if !allowed_columns(section).contains(&column.as_str()) {
            return Err((key("column"), format!("`{column}` is not a warehouse column for the {} section", f.section)));
        }
    }
    Ok(Field { code: f.code.clone(), section, kind, requirement, required_with, role, column: f.column.clone() })
}

fn validate_check(
    i: usize,
    c: &RawCheck,
    index: &HashMap<String, usize>,
    fields: &[Field],
) -> Result<Check, (String, String)> {
    let key = |k: &str| format!("check[{i}].{k}");
    let field_ref = |k: &str, v: &Option<String>| -> Result<usize, (String, String)> {
        let code = v.as_ref().ok_or_else(|| (key(k), format!("a `{}` check needs `{k}`", c.kind)))?;
        index.get(code).copied().ok_or_else(|| (key(k), format!("no field `{code}`")))
    };
    let date_ref = |k: &str, v: &Option<String>| -> Result<usize, (String, String)> {
        let i = field_ref(k, v)?;
        if fields[i].kind != FieldKind::Date {
            return Err((key(k), format!("`{}` is not a date field", fields[i].code)));
        }
        Ok(i)
    };
    let severity = match c.severity.as_str() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => return Err((key("severity"), format!("unknown severity `{other}` (error, warning)"))),
    };
    let rule = match c.kind.as_str() {
        "order" => CheckRule::Order { earlier: date_ref("earlier", &c.earlier)?, later: date_ref("later", &c.later)? },
        "together" => {
            let codes = c.fields.as_ref().ok_or_else(|| (key("fields"), "a `together` check needs `fields`".to_string()))?;
            if codes.len() < 2 {
                return Err((key("fields"), "a `together` check needs at least two fields".into()));
            }
            let fields = codes
                .iter()
                .map(|code| index.get(code).copied().ok_or_else(|| (key("fields"), format!("no field `{code}`"))))
                .collect::<Result<Vec<_>, _>>()?;
            CheckRule::Together { fields }
        }
        "not_after_submission_month" => CheckRule::NotAfterSubmissionMonth,
        "la_in_lookup" => CheckRule::LaInLookup { field: field_ref("field", &c.field)? },
        "age_for_dataset" => CheckRule::AgeForDataset { date: date_ref("date", &c.date)? },
        "closed_needs_intervention" => CheckRule::ClosedNeedsIntervention {
            discharge: date_ref("discharge", &c.discharge)?,
            intervention: field_ref("intervention", &c.intervention)?,
        },
        other => return Err((key("kind"), format!("unknown check kind `{other}`"))),
    };
    if c.message.trim().is_empty() {
        return Err((key("message"), "empty message".into()));
    }
    Ok(Check { rule, severity, message: c.message.clone() })
}

#[cfg(test)]
mod tests;

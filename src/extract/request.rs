//! A research extract request: the measure, the breakdowns (`--by`) and the
//! filters (`--where`), checked against what the cube can safely aggregate.
//! Dimensions that identify people are refused with a clear message.

use thiserror::Error;

/// Breakdowns an extract may use besides geography and substance group (additive cube dimensions).
pub const DIMENSIONS: [&str; 7] = ["sex", "age_band", "ethnic_group", "referral_source", "exit_reason", "waiting_band", "phof_group"];

/// Field names that identify people or episodes: never a breakdown or a filter.
pub const IDENTIFYING: [&str; 14] = [
    "person_key", "person_id", "client_id", "clientid", "episode_id", "episodid", "attributor", "date_of_birth", "dob",
    "birth_date", "postcode", "initials", "nhs_number", "name",
];

/// Why a request was refused.
#[derive(Debug, Error, PartialEq)]
pub enum RequestError {
    #[error("`{field}` identifies people: a research extract holds aggregates only, never row-level data (allowed breakdowns: {allowed})")]
    Identifying { field: String, allowed: String },
    #[error("`{field}` is not a dimension extracts can use (allowed breakdowns: {allowed})")]
    UnknownDimension { field: String, allowed: String },
    #[error("at most one of {dimensions} at a time (the cube crosses each with geography and substance group only); got {got}")]
    TwoDimensions { dimensions: String, got: String },
    #[error("at most one geography breakdown (region or la); got {got}")]
    TwoGeographies { got: String },
    #[error("--where: cannot read `{clause}`: expected field = 'value', clauses joined by AND")]
    BadClause { clause: String },
    #[error("--where: {field} is given twice")]
    RepeatedFilter { field: String },
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    pub measure: String,
    pub by_substance: bool,
    /// `region` or `la`.
    pub by_geography: Option<String>,
    pub by_dimension: Option<String>,
    /// `(region|la, code)`.
    pub area: Option<(String, String)>,
    pub substance: Option<String>,
    /// `(dimension, category)`.
    pub category: Option<(String, String)>,
}

fn allowed() -> String {
    let mut a = vec!["substance_group", "region", "la"];
    a.extend(DIMENSIONS);
    a.join(", ")
}

/// Checks one field name (breakdown or filter).
fn check_field(field: &str) -> Result<(), RequestError> {
    let f = field.to_ascii_lowercase();
    if IDENTIFYING.contains(&f.as_str()) || f.contains("postcode") || f.contains("birth") {
        return Err(RequestError::Identifying { field: field.to_string(), allowed: allowed() });
    }
    if f == "substance_group" || f == "region" || f == "la" || DIMENSIONS.contains(&f.as_str()) {
        Ok(())
    } else {
        Err(RequestError::UnknownDimension { field: field.to_string(), allowed: allowed() })
    }
}

/// Parses `--by` (comma separated) and `--where` (`field = 'value' AND ...`).
pub fn parse(measure: &str, by: &[String], filter: Option<&str>) -> Result<Request, RequestError> {
    let mut r = Request { measure: measure.to_string(), ..Request::default() };
    let mut geographies = Vec::new();
    let mut dimensions = Vec::new();
    for field in by.iter().flat_map(|b| b.split(',')).map(str::trim).filter(|f| !f.is_empty()) {
        check_field(field)?;
        match field {
            "substance_group" => r.by_substance = true,
            "region" | "la" => geographies.push(field.to_string()),
            d => dimensions.push(d.to_string()),
        }
    }
    if geographies.len() > 1 {
        return Err(RequestError::TwoGeographies { got: geographies.join(", ") });
    }
    if dimensions.len() > 1 {
        return Err(RequestError::TwoDimensions { dimensions: DIMENSIONS.join(", "), got: dimensions.join(", ") });
    }
    r.by_geography = geographies.pop();
    r.by_dimension = dimensions.pop();
    if let Some(text) = filter {
        for clause in split_and(text) {
            let (field, value) = clause.split_once('=').ok_or_else(|| RequestError::BadClause { clause: clause.clone() })?;
            let field = field.trim();
            let value = value.trim();
            let quoted = value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'');
            if field.is_empty() || !quoted {
                return Err(RequestError::BadClause { clause: clause.clone() });
            }
            check_field(field)?;
            let value = value[1..value.len() - 1].replace("''", "'");
            let repeated = || RequestError::RepeatedFilter { field: field.to_string() };
            match field {
                "region" | "la" => {
                    if r.area.replace((field.to_string(), value)).is_some() {
                        return Err(repeated());
                    }
                }
                "substance_group" => {
                    if r.substance.replace(value).is_some() {
                        return Err(repeated());
                    }
                }
                d => {
                    if r.category.replace((d.to_string(), value)).is_some() {
                        return Err(repeated());
                    }
                }
            }
        }
    }
    if let (Some((d, _)), Some(b)) = (&r.category, &r.by_dimension) {
        if d != b {
            return Err(RequestError::TwoDimensions { dimensions: DIMENSIONS.join(", "), got: format!("{b}, {d}") });
        }
    }
    Ok(r)
}

fn split_and(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    loop {
        let upper = rest.to_ascii_uppercase();
        match upper.find(" AND ") {
            Some(i) => {
                out.push(rest[..i].trim().to_string());
                rest = rest[i + 5..].trim();
            }
            None => {
                out.push(rest.trim().to_string());
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifying_dimensions_are_refused_by_name() {
        for f in ["person_key", "client_id", "episode_id", "date_of_birth", "postcode", "CLIENTID"] {
            let e = parse("in_treatment", &[format!("sex,{f}")], None).unwrap_err();
            assert!(matches!(e, RequestError::Identifying { .. }), "{f}: {e}");
            assert!(e.to_string().contains("identifies people"), "{e}");
        }
        let e = parse("in_treatment", &[], Some("postcode = 'M1 1AA'")).unwrap_err();
        assert!(matches!(e, RequestError::Identifying { .. }));
    }

    #[test]
    fn breakdowns_and_filters_are_read() {
        let r = parse("in_treatment", &["substance_group,sex".into()], Some("region = 'E12000002' and sex = 'female'")).unwrap();
        assert!(r.by_substance);
        assert_eq!(r.by_dimension.as_deref(), Some("sex"));
        assert_eq!(r.area, Some(("region".into(), "E12000002".into())));
        assert_eq!(r.category, Some(("sex".into(), "female".into())));
    }

    #[test]
    fn two_dimensions_or_unquoted_values_are_refused() {
        assert!(matches!(parse("x", &["sex,age_band".into()], None), Err(RequestError::TwoDimensions { .. })));
        assert!(matches!(parse("x", &[], Some("region = E12000002")), Err(RequestError::BadClause { .. })));
        assert!(matches!(parse("x", &["colour".into()], None), Err(RequestError::UnknownDimension { .. })));
    }
}

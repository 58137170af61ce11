//! Tests of schema parsing and validation.

use super::*;

fn parse(text: &str) -> Result<Schema, SchemaError> {
    Schema::parse(text, Path::new("test.toml"))
}

#[test]
fn builtin_schema_has_the_39_fields_of_the_spec_in_order() {
    let s = Schema::builtin();
    let header = s.header();
    assert_eq!(header.len(), 39);
    assert_eq!(&header[..3], &["AGNCY", "CLIENTID", "CONSENT"]);
    assert_eq!(header.last(), Some(&"QUALLIFE"));
    assert_eq!(s.placeholders.len(), 1);
    assert_eq!(s.placeholders[0].dob, NaiveDate::from_ymd_opt(1955, 5, 5).unwrap());
    assert_eq!(s.fields[s.role(Role::Sex)].code, "SEX");
}

#[test]
fn unknown_key_is_rejected_with_file_and_key() {
    let text = DEFAULT_SCHEMA.replacen("adult_age = 18", "adult_age = 18\ncolour = \"red\"", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("test.toml"), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn unknown_field_type_names_the_field_and_key() {
    let text = DEFAULT_SCHEMA.replacen("type = \"date\"", "type = \"datetime\"", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("field[5] (DOB).type"), "{err}");
    assert!(err.contains("datetime"), "{err}");
}

#[test]
fn duplicate_field_code_is_rejected() {
    let text = DEFAULT_SCHEMA.replacen("code = \"PC\"", "code = \"LA\"", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("declared twice"), "{err}");
}

#[test]
fn check_referring_to_missing_field_is_rejected() {
    let text = DEFAULT_SCHEMA.replacen("earlier = \"DOB\"", "earlier = \"DOBB\"", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("check[0].earlier"), "{err}");
    assert!(err.contains("DOBB"), "{err}");
}

#[test]
fn missing_required_role_is_rejected() {
    let text = DEFAULT_SCHEMA.replacen("role = \"top_id\"", "", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("top_id"), "{err}");
}

#[test]
fn min_above_max_is_rejected() {
    let text = DEFAULT_SCHEMA.replacen("max = 9999", "max = -1", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("ALCUNITS") && err.contains("min"), "{err}");
}

#[test]
fn column_not_in_warehouse_is_rejected() {
    let text = DEFAULT_SCHEMA.replacen("column = \"pc\"", "column = \"postcode\"", 1);
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("postcode"), "{err}");
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let err = parse("dataset = \"x\"\nadult_age = [").unwrap_err().to_string();
    assert!(err.contains("test.toml"), "{err}");
    assert!(err.contains("line 2") || err.contains("2:"), "{err}");
}

#[test]
fn a_pattern_needs_its_words_and_must_be_a_regular_expression() {
    let id_pattern = "pattern = \"[A-Za-z0-9][A-Za-z0-9._/-]*\"\n";
    let id_message = "pattern_message = \"identifiers are letters and digits, with - _ . / inside; no spaces or other characters\"\n";
    assert!(DEFAULT_SCHEMA.contains(id_pattern) && DEFAULT_SCHEMA.contains(id_message), "the identifier pattern changed shape: update this test");
    let err = parse(&DEFAULT_SCHEMA.replacen(id_message, "", 1)).unwrap_err().to_string();
    assert!(err.contains("CLIENTID") && err.contains("pattern_message"), "{err}");
    let err = parse(&DEFAULT_SCHEMA.replacen(id_pattern, "pattern = \"[A-Z\"\n", 1)).unwrap_err().to_string();
    assert!(err.contains("CLIENTID") && err.contains("regular expression"), "{err}");
    let on_code = DEFAULT_SCHEMA.replacen("codes = [\"1\", \"2\", \"9\"]\n", "codes = [\"1\", \"2\", \"9\"]\npattern = \"[0-9]\"\npattern_message = \"a digit\"\n", 1);
    let err = parse(&on_code).unwrap_err().to_string();
    assert!(err.contains("SEX") && err.contains("only text fields"), "{err}");
}

#[test]
fn date_formats_are_day_month_and_full_year() {
    let s = Schema::builtin();
    assert_eq!(s.date_shape(4), "^[0-9]{2}/[0-9]{2}/[0-9]{4}$");
    assert_eq!(s.date_format_in_words(), "DD/MM/YYYY");
    let err = parse(&DEFAULT_SCHEMA.replacen("date_format = \"%d/%m/%Y\"", "date_format = \"%d %b %Y\"", 1)).unwrap_err().to_string();
    assert!(err.contains("date_format") && err.contains("%b"), "{err}");
}

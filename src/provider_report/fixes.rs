//! How to fix each validation message, in the words a provider's data
//! manager needs (keyed by the stable message code written by `load`).

/// Advice for a message code (generic advice for codes without their own).
pub fn how_to_fix(code: &str) -> &'static str {
    match code.trim_start_matches(['E', 'W']).trim_start_matches('_') {
        "AGE_DATASET" => "The client's age does not fit the dataset (adult or young people's): check the date of birth and the service the episode is recorded under.",
        "CLOSED_NO_INTERVENTION" => "A closed episode has no intervention: record the interventions delivered, or the reason the client left before any started.",
        "CODE" => "The value is not in the field's code list: map the local value to the national code list and resubmit.",
        "DATE" => "The date cannot be read: use DD/MM/YYYY and check the case-management system's export settings.",
        "DUPLICATE_ID" => "An identifier appears twice: each episode and intervention must have its own identifier; remove duplicates before export.",
        "EPISODE_DISAGREE" => "Rows of one episode disagree on episode-level fields: correct the episode so every row carries the same values.",
        "FUTURE_DATE" => "A date is after the end of the submission month: correct the date (typing errors in the year are common).",
        "INTEGER" => "The value must be a whole number: remove units, decimals and text.",
        "LA_LOOKUP" => "The local authority cannot be found: record a current local authority code for the client's residence.",
        "MISSING" | "EXPECTED" => "A required field is empty: complete it in the case-management system before the next submission.",
        "MISSING_WITH" | "TOGETHER" => "A field that must accompany another is missing: complete both fields or neither.",
        "ORDER" => "Dates are in the wrong order (for example discharge before referral): correct the dates of the episode.",
        "RANGE" => "The value is outside the allowed range: check for typing errors.",
        "TOO_LONG" => "The value is longer than the field allows: shorten it.",
        "CONSENT_DISCARDED" | "CONSENT_WITHDRAWN" => "Consent is not given: only the client identifier is kept; record consent if the client gives it.",
        _ => "Check the field against the dataset specification and correct it in the case-management system before resubmitting.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_warnings_of_one_check_share_advice_and_unknown_codes_get_generic_advice() {
        assert_eq!(how_to_fix("E_FUTURE_DATE"), how_to_fix("W_FUTURE_DATE"));
        assert!(how_to_fix("E_CODE").contains("code list"));
        assert!(how_to_fix("E_SOMETHING_NEW").contains("dataset specification"));
    }
}

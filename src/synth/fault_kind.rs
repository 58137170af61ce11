//! The kinds of injected fault and their names in `faults.json`: the row
//! errors and warnings of extract-format.md, disagreeing episode fields and
//! the client-level irregularities.

/// A kind of injected fault; the name is what `faults.json` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    MandatoryMissing,
    InvalidCode,
    UnparseableDate,
    DobAfterReferral,
    TriageBeforeReferral,
    DischargeBeforeReferral,
    DischargeWithoutReason,
    ReasonWithoutDischarge,
    InterventionEndBeforeStart,
    TopDaysOutOfRange,
    DateAfterMonthEnd,
    EpisodeFieldsDisagree,
    MissingEthnicity,
    MissingPostcode,
    MissingLa,
    MissingReferralSource,
    MissingTriage,
    MissingInjecting,
    LaNotInLookup,
    UnderageAtAdultAgency,
    AdultAtYoungPeopleAgency,
    ClosedWithoutIntervention,
    ConsentWithheld,
    ConsentWithheldStrayValues,
    ConsentWithdrawn,
    PlaceholderAttributor,
    IncompleteAttributor,
}

/// Every fault kind, in report order.
pub const ALL: [FaultKind; 27] = [
    FaultKind::MandatoryMissing,
    FaultKind::InvalidCode,
    FaultKind::UnparseableDate,
    FaultKind::DobAfterReferral,
    FaultKind::TriageBeforeReferral,
    FaultKind::DischargeBeforeReferral,
    FaultKind::DischargeWithoutReason,
    FaultKind::ReasonWithoutDischarge,
    FaultKind::InterventionEndBeforeStart,
    FaultKind::TopDaysOutOfRange,
    FaultKind::DateAfterMonthEnd,
    FaultKind::EpisodeFieldsDisagree,
    FaultKind::MissingEthnicity,
    FaultKind::MissingPostcode,
    FaultKind::MissingLa,
    FaultKind::MissingReferralSource,
    FaultKind::MissingTriage,
    FaultKind::MissingInjecting,
    FaultKind::LaNotInLookup,
    FaultKind::UnderageAtAdultAgency,
    FaultKind::AdultAtYoungPeopleAgency,
    FaultKind::ClosedWithoutIntervention,
    FaultKind::ConsentWithheld,
    FaultKind::ConsentWithheldStrayValues,
    FaultKind::ConsentWithdrawn,
    FaultKind::PlaceholderAttributor,
    FaultKind::IncompleteAttributor,
];

impl FaultKind {
    /// Snake-case name used in `faults.json`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::MandatoryMissing => "mandatory_missing",
            FaultKind::InvalidCode => "invalid_code",
            FaultKind::UnparseableDate => "unparseable_date",
            FaultKind::DobAfterReferral => "dob_after_referral",
            FaultKind::TriageBeforeReferral => "triage_before_referral",
            FaultKind::DischargeBeforeReferral => "discharge_before_referral",
            FaultKind::DischargeWithoutReason => "discharge_without_reason",
            FaultKind::ReasonWithoutDischarge => "reason_without_discharge",
            FaultKind::InterventionEndBeforeStart => "intervention_end_before_start",
            FaultKind::TopDaysOutOfRange => "top_days_out_of_range",
            FaultKind::DateAfterMonthEnd => "date_after_month_end",
            FaultKind::EpisodeFieldsDisagree => "episode_fields_disagree",
            FaultKind::MissingEthnicity => "missing_ethnicity",
            FaultKind::MissingPostcode => "missing_postcode",
            FaultKind::MissingLa => "missing_la",
            FaultKind::MissingReferralSource => "missing_referral_source",
            FaultKind::MissingTriage => "missing_triage",
            FaultKind::MissingInjecting => "missing_injecting_status",
            FaultKind::LaNotInLookup => "la_not_in_lookup",
            FaultKind::UnderageAtAdultAgency => "under_18_at_adult_agency",
            FaultKind::AdultAtYoungPeopleAgency => "adult_at_young_people_agency",
            FaultKind::ClosedWithoutIntervention => "closed_episode_without_intervention",
            FaultKind::ConsentWithheld => "consent_withheld",
            FaultKind::ConsentWithheldStrayValues => "consent_withheld_stray_values",
            FaultKind::ConsentWithdrawn => "consent_withdrawn",
            FaultKind::PlaceholderAttributor => "placeholder_attributor",
            FaultKind::IncompleteAttributor => "incomplete_attributor",
        }
    }

    /// Whether the loader must treat the affected rows as errors (else warnings or consent handling).
    pub fn is_error(self) -> bool {
        (self as usize) <= FaultKind::EpisodeFieldsDisagree as usize
            || self == FaultKind::IncompleteAttributor
    }
}

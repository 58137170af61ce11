//! The synthetic universe's records before they are written: people (their
//! attributor and demographics), episodes, interventions and outcome (TOP)
//! records, with the full history including dates after the submission
//! month (the row view hides those).

use chrono::NaiveDate;

/// How a person's client records are deliberately irregular (all off at fault rate 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientFlags {
    /// Every row is CONSENT = N.
    pub consent_withheld: bool,
    /// CONSENT = N rows still carry the other fields (which the loader must discard).
    pub stray_values: bool,
    /// CONSENT = Y in earlier submissions, N in the latest one.
    pub withdraws_consent: bool,
    /// Initials `XX` and DOB `05/05/1955` (an objector).
    pub placeholder: bool,
    /// One attributor field (0 FINITIAL, 1 SINITIAL, 2 DOB, 3 SEX) left blank.
    pub incomplete: Option<u8>,
}

/// One person: the attributor and the client-level fields.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    /// Unique person number (slot * 2 + twin).
    pub uid: u32,
    pub finitial: u8,
    pub sinitial: u8,
    pub dob: NaiveDate,
    /// `b'1'` male, `b'2'` female, `b'9'` not known.
    pub sex: u8,
    /// ONS 2001 ethnicity code letter.
    pub ethnic: u8,
    pub flags: ClientFlags,
}

/// An intervention (MODAL, MODSET and its dates).
#[derive(Debug, Clone, Copy)]
pub struct Intervention {
    /// `94` pharmacological, `95` psychosocial, `96` recovery support.
    pub modal: u8,
    /// 1 community ... 6 prison.
    pub modset: u8,
    pub referred: NaiveDate,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// `b'A'`, `b'B'` or `b'C'` (with `end`).
    pub exit: u8,
}

/// A Treatment Outcomes Profile record.
#[derive(Debug, Clone, Copy)]
pub struct Top {
    pub date: NaiveDate,
    /// `b'S'`, `b'R'`, `b'E'` or `b'P'`.
    pub stage: u8,
    /// Days used in the last 28: alcohol, opiates, crack, cocaine, amphetamines, cannabis.
    pub days: [u8; 6],
    pub housing_problem: bool,
    pub quality_of_life: u8,
}

/// One episode at one agency, with its client.
#[derive(Debug, Clone)]
pub struct Episode {
    pub person: Person,
    /// Index of the agency in the directory.
    pub agency: u32,
    /// The client has a second CLIENTID for this episode (shared attributor at one agency).
    pub alt_client: bool,
    /// Sequence number of the episode among the person's episodes.
    pub number: u16,
    /// Index of the LA of residence in the directory.
    pub la: u16,
    /// Postcode district number and sector digit in the LA's area.
    pub postcode: (u8, u8),
    pub referral: NaiveDate,
    pub triage: NaiveDate,
    pub referral_source: u8,
    /// DRUG1-3 (0 = blank).
    pub drugs: [u16; 3],
    pub injecting: u8,
    pub alcohol_units: Option<u16>,
    pub discharge: Option<NaiveDate>,
    /// Discharge reason code (with `discharge`).
    pub discharge_reason: u8,
    pub interventions: Vec<Intervention>,
    pub tops: Vec<Top>,
}

impl Episode {
    /// A stable identifier for per-episode random streams.
    pub fn key(&self) -> u64 {
        ((self.person.uid as u64) << 20) | ((self.number as u64) << 4) | self.alt_client as u64
    }
}

/// Whether a discharge reason is a successful completion (80, 81, 82).
pub fn is_successful(reason: u8) -> bool {
    matches!(reason, 80..=82)
}

/// Whether a drug code is an opiate.
pub fn is_opiate(drug: u16) -> bool {
    matches!(drug, 1000 | 1011 | 1105 | 1106)
}

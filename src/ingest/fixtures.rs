//! Small, hand-checkable provider extracts for tests and examples: one valid
//! base row (an adult in opiate treatment at a Manchester agency in January
//! 2025) and helpers to vary it field by field. Public so the integration
//! tests and examples use the same fixtures as the unit tests.

pub const BASE: [(&str, &str); 39] = [
    ("AGNCY", "N0001"), ("CLIENTID", "C1"), ("CONSENT", "Y"), ("FINITIAL", "A"), ("SINITIAL", "B"),
    ("DOB", "01/02/1980"), ("SEX", "1"), ("ETHNIC", "A"), ("EPISODID", "E1"), ("PC", "M14"),
    ("LA", "E08000003"), ("REFLD", "10/01/2025"), ("RFLS", "1"), ("TRIAGED", "12/01/2025"), ("DRUG1", "1011"),
    ("DRUG2", ""), ("DRUG3", ""), ("INJSTAT", "N"), ("ALCUNITS", ""), ("DISD", ""), ("DISRSN", ""),
    ("MODID", "M1"), ("MODAL", "94"), ("MODSET", "1"), ("REFMODDT", "12/01/2025"), ("MODST", "15/01/2025"),
    ("MODEND", ""), ("MODEXIT", ""), ("TOPID", "T1"), ("TOPDATE", "15/01/2025"), ("TRSTAGE", "S"),
    ("ALCUSE", "0"), ("OPIUSE", "20"), ("CRAUSE", "0"), ("COCAUSE", "0"), ("AMPHUSE", "0"), ("CANNUSE", "0"),
    ("ACUTHPBM", "N"), ("QUALLIFE", "10"),
];

/// A data row: the base row with some fields replaced.
pub fn row(overrides: &[(&str, &str)]) -> String {
    BASE.iter()
        .map(|(k, v)| overrides.iter().find(|(o, _)| o == k).map(|(_, ov)| *ov).unwrap_or(v))
        .map(|v| if v.contains(',') { format!("\"{v}\"") } else { v.to_string() })
        .collect::<Vec<_>>()
        .join(",")
}

pub fn header() -> String {
    BASE.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(",")
}

pub fn file(rows: &[String]) -> Vec<u8> {
    let mut s = header();
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

pub const AGENCIES: &str = "code,name,provider_organisation,commissioning_la,dataset\n\
N0001,Manchester Community,CGL,E08000003,community-adult\n\
Y0001,Manchester Young People,CGL,E08000003,community-yp\n";


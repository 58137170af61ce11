//! The geography lookup: English upper-tier local authorities and their
//! regions (ONS, April 2023, Open Government Licence v3.0), embedded from
//! `reference-data/geography.csv`.
//!
//! NDTMS reports City of London with Hackney and the Isles of Scilly with
//! Cornwall: [`Geography::reporting_la`] maps an LA code to the LA whose
//! figures include it.

use std::collections::BTreeMap;

/// The code of England in GSS terms (parent of every region).
pub const ENGLAND_CODE: &str = "E92000001";
/// Area code used for people whose LA of residence is blank, outside England or not in the lookup.
pub const LA_UNKNOWN_CODE: &str = "LA_UNKNOWN";
/// Display name for [`LA_UNKNOWN_CODE`].
pub const LA_UNKNOWN_NAME: &str = "LA unknown";

/// The attribution the lookup's licence requires wherever it is republished.
pub const ATTRIBUTION: &str = "Source: Office for National Statistics, licensed under the Open \
Government Licence v3.0. Contains OS data (c) Crown copyright and database right 2023.";

const GEOGRAPHY_CSV: &str = include_str!("../reference-data/geography.csv");

/// One upper-tier local authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAuthority {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    /// The LA whose figures include this one (itself, except City of London and Isles of Scilly).
    pub reporting_la: String,
}

/// The whole lookup, indexed by LA code.
#[derive(Debug, Clone)]
pub struct Geography {
    las: BTreeMap<String, LocalAuthority>,
    regions: BTreeMap<String, String>,
}

impl Geography {
    /// The embedded lookup shipped with the toolkit.
    pub fn embedded() -> Geography {
        Geography::parse(GEOGRAPHY_CSV).expect("embedded geography lookup is valid")
    }

    /// Parses the lookup format: `#` comment lines, then a header
    /// `la_code,la_name,region_code,region_name,reporting_la`.
    pub fn parse(text: &str) -> Result<Geography, String> {
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let mut las = BTreeMap::new();
        let mut regions = BTreeMap::new();
        for (i, rec) in reader.records().enumerate() {
            let rec = rec.map_err(|e| format!("geography row {}: {e}", i + 2))?;
            if rec.len() != 5 {
                return Err(format!("geography row {}: expected 5 fields", i + 2));
            }
            let la = LocalAuthority {
                code: rec[0].to_string(),
                name: rec[1].to_string(),
                region_code: rec[2].to_string(),
                region_name: rec[3].to_string(),
                reporting_la: rec[4].to_string(),
            };
            regions.insert(la.region_code.clone(), la.region_name.clone());
            las.insert(la.code.clone(), la);
        }
        Ok(Geography { las, regions })
    }

    /// The LA with this GSS code, if it is in the lookup.
    pub fn la(&self, code: &str) -> Option<&LocalAuthority> {
        self.las.get(code)
    }

    /// Whether this code is an LA in the lookup.
    pub fn contains(&self, code: &str) -> bool {
        self.las.contains_key(code)
    }

    /// Every LA in the lookup, in code order (including City of London and Isles of Scilly).
    pub fn all_las(&self) -> impl Iterator<Item = &LocalAuthority> {
        self.las.values()
    }

    /// The LAs that statistics are reported for (City of London and Isles of Scilly excluded).
    pub fn reporting_las(&self) -> impl Iterator<Item = &LocalAuthority> {
        self.las.values().filter(|la| la.reporting_la == la.code)
    }

    /// The LA whose figures include `code` (merging City of London and Isles of Scilly),
    /// or `None` when the code is not in the lookup.
    pub fn reporting_la(&self, code: &str) -> Option<&str> {
        self.las.get(code).map(|la| la.reporting_la.as_str())
    }

    /// Regions as (code, name), in code order.
    pub fn regions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.regions.iter().map(|(c, n)| (c.as_str(), n.as_str()))
    }

    /// The name of a region, LA, England or "LA unknown" code.
    pub fn area_name(&self, code: &str) -> Option<&str> {
        if code == ENGLAND_CODE {
            return Some("England");
        }
        if code == LA_UNKNOWN_CODE {
            return Some(LA_UNKNOWN_NAME);
        }
        self.las
            .get(code)
            .map(|la| la.name.as_str())
            .or_else(|| self.regions.get(code).map(|n| n.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lookup_has_every_utla_and_nine_regions() {
        let g = Geography::embedded();
        assert_eq!(g.all_las().count(), 153);
        assert_eq!(g.reporting_las().count(), 151);
        assert_eq!(g.regions().count(), 9);
    }

    #[test]
    fn city_of_london_reports_with_hackney_and_scilly_with_cornwall() {
        let g = Geography::embedded();
        assert_eq!(g.reporting_la("E09000001"), Some("E09000012"));
        assert_eq!(g.reporting_la("E06000053"), Some("E06000052"));
        assert_eq!(g.reporting_la("E08000003"), Some("E08000003"));
        assert_eq!(g.reporting_la("E99999999"), None);
    }

    #[test]
    fn names_cover_england_regions_and_unknown() {
        let g = Geography::embedded();
        assert_eq!(g.area_name(ENGLAND_CODE), Some("England"));
        assert_eq!(g.area_name("E12000007"), Some("London"));
        assert_eq!(g.area_name(LA_UNKNOWN_CODE), Some("LA unknown"));
    }
}

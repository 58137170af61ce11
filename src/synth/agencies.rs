//! The synthetic agency directory: one main community adult provider per
//! reporting local authority (some LAs have a second, alcohol or criminal
//! justice, service), inpatient detoxification units per region, residential
//! rehabilitation services, young people's services (one per LA, a few
//! shared by neighbours), prisons (secure-adult) and a few secure settings
//! for young people. Codes are a letter and four digits (`N0852`).

use std::collections::BTreeSet;

use crate::geography::Geography;

use super::names::{COMMUNITY_PROVIDERS, NHS_TRUSTS, YP_PROVIDERS};
use super::rng::Rng;

/// The dataset an agency reports (the `dataset` column of `agencies.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    CommunityAdult,
    CommunityYp,
    SecureAdult,
    SecureYp,
}

impl Dataset {
    /// The code written in `agencies.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::CommunityAdult => "community-adult",
            Dataset::CommunityYp => "community-yp",
            Dataset::SecureAdult => "secure-adult",
            Dataset::SecureYp => "secure-yp",
        }
    }

    /// Whether the dataset is for young people (under 18 at triage).
    pub fn is_young_people(self) -> bool {
        matches!(self, Dataset::CommunityYp | Dataset::SecureYp)
    }
}

/// What kind of service an agency is; decides its intervention setting (MODSET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    Community,
    Inpatient,
    Residential,
    YoungPeople,
    Prison,
    SecureYoungPeople,
}

/// One agency of `agencies.csv`.
#[derive(Debug, Clone)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub provider: String,
    /// GSS code of the commissioning LA.
    pub commissioning_la: String,
    pub dataset: Dataset,
    pub kind: ServiceKind,
    /// Index of the LA (in [`Directory::las`]) where the agency sits.
    pub la: usize,
}

/// A local authority of residence, with its region and synthetic postcode area.
#[derive(Debug, Clone)]
pub struct Residence {
    pub code: String,
    pub name: String,
    pub region: usize,
    pub postcode_area: String,
    /// Relative number of residents in treatment.
    pub weight: f64,
    /// Index of the LA whose services its residents use (City of London -> Hackney).
    pub served_by: usize,
}

/// Every agency plus the indexes journeys need to choose services.
#[derive(Debug, Clone)]
pub struct Directory {
    pub agencies: Vec<Agency>,
    pub las: Vec<Residence>,
    /// Community adult agencies serving each LA (main service first).
    pub community: Vec<Vec<usize>>,
    /// The young people's service of each LA.
    pub young_people: Vec<usize>,
    pub inpatient_by_region: Vec<Vec<usize>>,
    pub prisons_by_region: Vec<Vec<usize>>,
    pub residential: Vec<usize>,
    pub secure_yp: Vec<usize>,
    /// An agency code that is not in the directory (for the rejected-extract fault).
    pub unknown_code: String,
}

/// Short display name of an LA ("Bristol, City of" -> "Bristol").
fn short_name(name: &str) -> String {
    name.split(',').next().unwrap_or(name).trim().to_string()
}

/// A two-letter synthetic postcode area from an LA's name.
fn postcode_area(name: &str, rng: &mut Rng) -> String {
    let letters: Vec<char> = name.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let first = letters.first().copied().unwrap_or('X').to_ascii_uppercase();
    let second = letters
        .get(1 + rng.below(letters.len().saturating_sub(1).max(1)))
        .copied()
        .unwrap_or('X')
        .to_ascii_uppercase();
    format!("{first}{second}")
}

fn region_factor(region_name: &str) -> f64 {
    match region_name {
        "North East" => 1.45,
        "North West" => 1.3,
        "Yorkshire and The Humber" => 1.2,
        "London" => 1.05,
        "South West" => 1.0,
        "West Midlands" => 1.0,
        "East Midlands" => 0.95,
        "South East" => 0.85,
        _ => 0.85,
    }
}

pub(super) struct CodeMaker {
    used: BTreeSet<String>,
}

impl CodeMaker {
    /// A fresh agency code (letter and four digits) not used before.
    pub(super) fn next(&mut self, rng: &mut Rng) -> String {
        loop {
            let letter = ['N', 'N', 'N', 'E', 'M', 'S', 'C', 'W'][rng.below(8)];
            let code = format!("{letter}{:04}", rng.range(1, 9999));
            if self.used.insert(code.clone()) {
                return code;
            }
        }
    }
}

impl Directory {
    /// Builds the directory for `seed` from the geography lookup.
    pub fn build(geo: &Geography, seed: u64) -> Directory {
        let mut rng = Rng::derive(seed, 0xA6E7, 0);
        let regions: Vec<String> = geo.regions().map(|(c, _)| c.to_string()).collect();
        let mut las: Vec<Residence> = Vec::new();
        for la in geo.all_las() {
            let base = match &la.code[..3] {
                "E10" => 3.0,
                "E08" => 1.7,
                _ => 1.0,
            };
            let small = if la.reporting_la != la.code {
                0.02
            } else {
                1.0
            };
            las.push(Residence {
                code: la.code.clone(),
                name: short_name(&la.name),
                region: regions
                    .iter()
                    .position(|r| *r == la.region_code)
                    .unwrap_or(0),
                postcode_area: postcode_area(&la.name, &mut rng),
                weight: base * small * region_factor(&la.region_name) * (0.6 + 0.9 * rng.unit()),
                served_by: 0,
            });
        }
        for i in 0..las.len() {
            let reporting = geo
                .reporting_la(&las[i].code)
                .unwrap_or(&las[i].code)
                .to_string();
            las[i].served_by = las.iter().position(|l| l.code == reporting).unwrap_or(i);
        }
        let mut dir = Directory {
            agencies: Vec::new(),
            community: vec![Vec::new(); las.len()],
            young_people: vec![0; las.len()],
            inpatient_by_region: vec![Vec::new(); regions.len()],
            prisons_by_region: vec![Vec::new(); regions.len()],
            residential: Vec::new(),
            secure_yp: Vec::new(),
            unknown_code: String::new(),
            las,
        };
        let mut codes = CodeMaker {
            used: BTreeSet::new(),
        };
        dir.add_community(&mut rng, &mut codes);
        dir.add_young_people(&mut rng, &mut codes);
        dir.add_inpatient_and_rehab(&mut rng, &mut codes, regions.len());
        dir.add_secure(&mut rng, &mut codes);
        dir.unknown_code = format!("Z{:04}", rng.range(1, 9999));
        dir
    }

    /// Adds `agency` with a fresh code; returns its index.
    pub(super) fn push(
        &mut self,
        codes: &mut CodeMaker,
        rng: &mut Rng,
        mut agency: Agency,
    ) -> usize {
        agency.code = codes.next(rng);
        self.agencies.push(agency);
        self.agencies.len() - 1
    }

    /// Indexes of the LAs that report for themselves (not City of London or Isles of Scilly).
    pub(super) fn reporting_las(&self) -> Vec<usize> {
        (0..self.las.len())
            .filter(|&i| self.las[i].served_by == i)
            .collect()
    }

    fn add_community(&mut self, rng: &mut Rng, codes: &mut CodeMaker) {
        for la in self.reporting_las() {
            let provider = rng.pick(COMMUNITY_PROVIDERS);
            let place = self.las[la].name.clone();
            let (name, org) = if provider == "NHS" {
                (
                    format!("{place} Recovery Service"),
                    NHS_TRUSTS[rng.below(NHS_TRUSTS.len())].to_string(),
                )
            } else {
                (format!("{provider} {place}"), provider.to_string())
            };
            let a = self.agency(
                name,
                org,
                la,
                Dataset::CommunityAdult,
                ServiceKind::Community,
            );
            let idx = self.push(codes, rng, a);
            self.community[la].push(idx);
            if rng.chance(0.2) {
                let (name, org) = if rng.chance(0.5) {
                    (
                        format!("{place} Alcohol Service"),
                        NHS_TRUSTS[rng.below(NHS_TRUSTS.len())].to_string(),
                    )
                } else {
                    (
                        format!("{place} Criminal Justice Substance Service"),
                        "Forward Trust".to_string(),
                    )
                };
                let a = self.agency(
                    name,
                    org,
                    la,
                    Dataset::CommunityAdult,
                    ServiceKind::Community,
                );
                let idx = self.push(codes, rng, a);
                self.community[la].push(idx);
            }
        }
        for i in 0..self.las.len() {
            if self.las[i].served_by != i {
                self.community[i] = self.community[self.las[i].served_by].clone();
            }
        }
    }

    fn add_young_people(&mut self, rng: &mut Rng, codes: &mut CodeMaker) {
        let reporting = self.reporting_las();
        let mut done = vec![false; self.las.len()];
        for (k, &la) in reporting.iter().enumerate() {
            if done[la] {
                continue;
            }
            let partner = reporting[k + 1..]
                .iter()
                .copied()
                .find(|&o| !done[o] && self.las[o].region == self.las[la].region)
                .filter(|_| rng.chance(0.08));
            let name = match partner {
                Some(p) => format!(
                    "{} and {} Young People's Service",
                    self.las[la].name, self.las[p].name
                ),
                None => format!("{} Young People's Service", self.las[la].name),
            };
            let org = YP_PROVIDERS[rng.below(YP_PROVIDERS.len())];
            let org = if org == "the local authority" {
                format!("{} Council", self.las[la].name)
            } else {
                org.to_string()
            };
            let a = self.agency(
                name,
                org,
                la,
                Dataset::CommunityYp,
                ServiceKind::YoungPeople,
            );
            let idx = self.push(codes, rng, a);
            for l in std::iter::once(la).chain(partner) {
                done[l] = true;
                self.young_people[l] = idx;
            }
        }
        for i in 0..self.las.len() {
            self.young_people[i] = self.young_people[self.las[i].served_by];
        }
    }

    /// An agency record without its code, commissioned by LA `la`.
    pub(super) fn agency(
        &self,
        name: String,
        provider: String,
        la: usize,
        dataset: Dataset,
        kind: ServiceKind,
    ) -> Agency {
        Agency {
            code: String::new(),
            name,
            provider,
            commissioning_la: self.las[la].code.clone(),
            dataset,
            kind,
            la,
        }
    }

    /// LA weights for choosing where a person lives.
    pub fn residence_weights(&self) -> Vec<f64> {
        self.las.iter().map(|l| l.weight).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_has_every_kind_with_unique_well_formed_codes() {
        let geo = Geography::embedded();
        let dir = Directory::build(&geo, 2025);
        assert!(dir.agencies.len() >= 300, "{} agencies", dir.agencies.len());
        let codes: BTreeSet<&str> = dir.agencies.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes.len(), dir.agencies.len());
        for a in &dir.agencies {
            let b = a.code.as_bytes();
            assert!(
                b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
            );
            assert!(geo.contains(&a.commissioning_la));
            assert!(!a.name.contains(','), "{}", a.name);
        }
        assert!(!codes.contains(dir.unknown_code.as_str()));
        for ds in [
            Dataset::CommunityAdult,
            Dataset::CommunityYp,
            Dataset::SecureAdult,
            Dataset::SecureYp,
        ] {
            assert!(dir.agencies.iter().any(|a| a.dataset == ds));
        }
        let mains = geo.reporting_las().count();
        assert_eq!(
            dir.community.iter().filter(|c| !c.is_empty()).count(),
            dir.las.len()
        );
        assert!(
            dir.agencies
                .iter()
                .filter(|a| a.kind == ServiceKind::Community)
                .count()
                >= mains
        );
        assert!(dir.prisons_by_region.iter().all(|p| !p.is_empty()));
        assert!(dir.inpatient_by_region.iter().all(|p| !p.is_empty()));
    }
}

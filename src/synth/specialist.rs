//! Specialist agencies of the synthetic directory: two inpatient
//! detoxification units per region, fifty residential rehabilitation
//! services, prisons (one or two in most counties, some elsewhere, at least
//! one per region) and five secure settings for young people.

use super::agencies::{CodeMaker, Dataset, Directory, ServiceKind};
use super::names::{NHS_TRUSTS, PRISON_PROVIDERS, REHAB_PROVIDERS, REHAB_STEMS, REHAB_SUFFIXES};
use super::rng::Rng;

impl Directory {
    /// Two inpatient units per region and fifty residential rehabilitation services.
    pub(super) fn add_inpatient_and_rehab(
        &mut self,
        rng: &mut Rng,
        codes: &mut CodeMaker,
        regions: usize,
    ) {
        for region in 0..regions {
            let in_region: Vec<usize> = self
                .reporting_las()
                .into_iter()
                .filter(|&l| self.las[l].region == region)
                .collect();
            for _ in 0..2 {
                let la = in_region[rng.below(in_region.len())];
                let name = format!("{} Inpatient Detoxification Unit", self.las[la].name);
                let org = NHS_TRUSTS[rng.below(NHS_TRUSTS.len())].to_string();
                let a = self.agency(
                    name,
                    org,
                    la,
                    Dataset::CommunityAdult,
                    ServiceKind::Inpatient,
                );
                let idx = self.push(codes, rng, a);
                self.inpatient_by_region[region].push(idx);
            }
        }
        let reporting = self.reporting_las();
        for stem in REHAB_STEMS.iter().take(25) {
            for _ in 0..2 {
                let la = reporting[rng.below(reporting.len())];
                let suffix = REHAB_SUFFIXES[rng.below(REHAB_SUFFIXES.len())];
                let name = format!("{stem} {suffix} {}", self.las[la].name);
                let org = REHAB_PROVIDERS[rng.below(REHAB_PROVIDERS.len())].to_string();
                let a = self.agency(
                    name,
                    org,
                    la,
                    Dataset::CommunityAdult,
                    ServiceKind::Residential,
                );
                let idx = self.push(codes, rng, a);
                self.residential.push(idx);
            }
        }
    }

    /// Prisons (at least one per region) and five secure settings for young people.
    pub(super) fn add_secure(&mut self, rng: &mut Rng, codes: &mut CodeMaker) {
        let reporting = self.reporting_las();
        for &la in &reporting {
            let prisons = match &self.las[la].code[..3] {
                "E10" => 2,
                _ if rng.chance(0.45) => 1,
                _ => 0,
            };
            for k in 0..prisons {
                let name = if k == 0 {
                    format!("HMP {}", self.las[la].name)
                } else {
                    format!("HMP {} North", self.las[la].name)
                };
                let org = PRISON_PROVIDERS[rng.below(PRISON_PROVIDERS.len())].to_string();
                let a = self.agency(name, org, la, Dataset::SecureAdult, ServiceKind::Prison);
                let idx = self.push(codes, rng, a);
                let region = self.las[la].region;
                self.prisons_by_region[region].push(idx);
            }
        }
        for (k, label) in [
            "HMYOI",
            "Secure Training Centre",
            "Secure Children's Home",
            "HMYOI",
            "Secure Children's Home",
        ]
        .iter()
        .enumerate()
        {
            let la = reporting[(k * 37 + rng.below(20)) % reporting.len()];
            let name = if label.starts_with("HM") {
                format!("{label} {}", self.las[la].name)
            } else {
                format!("{} {label}", self.las[la].name)
            };
            let org = PRISON_PROVIDERS[rng.below(PRISON_PROVIDERS.len())].to_string();
            let a = self.agency(
                name,
                org,
                la,
                Dataset::SecureYp,
                ServiceKind::SecureYoungPeople,
            );
            let idx = self.push(codes, rng, a);
            self.secure_yp.push(idx);
        }
        // Every region needs at least one prison for custody transfers.
        for region in 0..self.prisons_by_region.len() {
            if self.prisons_by_region[region].is_empty() {
                let la = reporting
                    .iter()
                    .copied()
                    .find(|&l| self.las[l].region == region)
                    .unwrap_or(0);
                let name = format!("HMP {} Moor", self.las[la].name);
                let a = self.agency(
                    name,
                    PRISON_PROVIDERS[0].to_string(),
                    la,
                    Dataset::SecureAdult,
                    ServiceKind::Prison,
                );
                let idx = self.push(codes, rng, a);
                self.prisons_by_region[region].push(idx);
            }
        }
    }
}

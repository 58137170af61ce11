//! Suppression rule files (`suppression-rules/*.toml`): strict serde raw structs (unknown keys are
//! errors) validated into a typed [`RuleSet`]. Every error names the file, the line and the reason.
//!
//! Format (every table except `[counts]` optional):
//!
//! ```toml
//! name = "official"          # policy name, shown in the audit record
//! mode = "suppress"          # "suppress" or "round"
//! marker = "[c]"             # marker printed for a suppressed cell
//! [counts]
//! sensitive = [[1, 4]]       # inclusive ranges of sensitive counts (>= 1, not overlapping)
//! zeros = "publish"          # "publish" or "suppress" (zero counts primary-sensitive)
//! [magnitudes]
//! min_contributors = 10      # fewer contributors: sensitive
//! dominance = { n = 2, k = 85.0 }  # top n contributors > k% of the total: sensitive
//! p_percent = 10.0           # others' sum < p% of the largest: sensitive
//! protection_percent = 10.0  # interval width required, in % of the cell value
//! [rates]
//! follow_numerator = true    # a rate is suppressed with its numerator (and denominator)
//! min_denominator = 10       # and when its denominator is below this
//! [secondary]
//! enabled = true
//! singleton = true           # protect against a singleton recovering its partner
//! protection_level = 5       # interval width a count needs (default: first safe count)
//! method = "cycles"          # "cycles" (default) or "elimination" (Gaussian elimination first)
//! [cost]                     # complement cost = (1 + per_unit * value + per_total_dimension * level)
//! per_unit = 1.0             #   * per_level_up ^ (steps above the inner cells, summed over dimensions)
//! per_total_dimension = 1000.0
//! per_level_up = 1.0         # e.g. 10: a region's cell costs 10 times an LA's, England's 100 times
//! [rounding]                 # mode = "round" only
//! base = 5
//! note = "Counts are rounded to the nearest 5; totals are rounded independently."
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::sdc::error::SdcError;

/// How the rule file protects cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Suppress,
    Round,
}

/// The first stage of secondary suppression; the exact, singleton and interval checks follow
/// either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondaryMethod {
    /// The cheapest wide-enough cycle (generalised hypercube) for every primary cell.
    Cycles,
    /// Gaussian elimination in publication order (Langsrud, 2024): fewest complements against
    /// exact disclosure, then cycles only where an interval is too narrow.
    Elimination,
    /// Certificates: the cheapest feasible deviation (pattern) for every need of every
    /// protected cell, then a clean-up that publishes complements no certificate needs.
    Patterns,
}

/// Dominance (n, k) rule: the largest `n` contributors must not exceed `k` percent of the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dominance {
    pub n: usize,
    pub k: f64,
}

/// Validated rules for magnitude cells.
#[derive(Debug, Clone, PartialEq)]
pub struct MagnitudeRules {
    pub min_contributors: usize,
    pub dominance: Option<Dominance>,
    pub p_percent: Option<f64>,
    pub protection_percent: f64,
}

/// A validated rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub name: String,
    pub mode: Mode,
    pub marker: String,
    /// Inclusive sensitive count ranges, sorted.
    pub sensitive: Vec<(i64, i64)>,
    pub zeros_sensitive: bool,
    pub magnitudes: Option<MagnitudeRules>,
    pub rates_follow_numerator: bool,
    pub min_denominator: f64,
    pub secondary: bool,
    pub singleton: bool,
    pub protection_level: f64,
    /// How complements are found first (see [`SecondaryMethod`]).
    pub method: SecondaryMethod,
    pub cost_per_unit: f64,
    pub cost_per_total_dimension: f64,
    /// Cost multiplier per step up a hierarchy (LA to region, a category to its total).
    pub cost_per_level_up: f64,
    pub rounding_base: i64,
    pub rounding_note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    name: String,
    mode: Option<Spanned<String>>,
    marker: Option<String>,
    counts: RawCounts,
    magnitudes: Option<RawMagnitudes>,
    rates: Option<RawRates>,
    secondary: Option<RawSecondary>,
    cost: Option<RawCost>,
    rounding: Option<RawRounding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCounts {
    sensitive: Spanned<Vec<Spanned<Vec<i64>>>>,
    zeros: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMagnitudes {
    min_contributors: Option<Spanned<i64>>,
    dominance: Option<Spanned<RawDominance>>,
    p_percent: Option<Spanned<f64>>,
    protection_percent: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDominance {
    n: i64,
    k: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRates {
    follow_numerator: Option<bool>,
    min_denominator: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecondary {
    enabled: Option<bool>,
    singleton: Option<bool>,
    protection_level: Option<Spanned<f64>>,
    method: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCost {
    per_unit: Option<Spanned<f64>>,
    per_total_dimension: Option<Spanned<f64>>,
    per_level_up: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRounding {
    base: Spanned<i64>,
    note: Option<String>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl RuleSet {
    /// Reads and validates a rule file.
    pub fn load(path: &Path) -> Result<RuleSet, SdcError> {
        let text = std::fs::read_to_string(path).map_err(|source| SdcError::RuleFileRead {
            file: path.to_path_buf(),
            source,
        })?;
        RuleSet::parse(&text, path)
    }

    /// Parses and validates rule-file text; `file` is only used in error messages.
    pub fn parse(text: &str, file: &Path) -> Result<RuleSet, SdcError> {
        let err = |span: Range<usize>, reason: String| SdcError::RuleFile {
            file: PathBuf::from(file),
            line: line_of(text, span.start),
            reason,
        };
        let raw: RawRules = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            err(span, e.message().to_string())
        })?;
        let mode = match raw.mode.as_ref() {
            None => Mode::Suppress,
            Some(m) => match m.get_ref().as_str() {
                "suppress" => Mode::Suppress,
                "round" => Mode::Round,
                other => {
                    return Err(err(m.span(), format!("mode must be \"suppress\" or \"round\", not {other:?}")))
                }
            },
        };
        let mut sensitive = Vec::new();
        for range in raw.counts.sensitive.get_ref() {
            let (lo, hi) = match range.get_ref().as_slice() {
                [lo, hi] => (*lo, *hi),
                _ => return Err(err(range.span(), "a sensitive range is [low, high]".into())),
            };
            if lo < 1 {
                return Err(err(range.span(), format!("threshold below 1 in range [{lo}, {hi}]: use zeros = \"suppress\" for zeros")));
            }
            if hi < lo {
                return Err(err(range.span(), format!("range [{lo}, {hi}] is empty (high below low)")));
            }
            if let Some(&(a, b)) = sensitive.iter().find(|&&(a, b)| lo <= b && a <= hi) {
                return Err(err(range.span(), format!("range [{lo}, {hi}] overlaps range [{a}, {b}]")));
            }
            sensitive.push((lo, hi));
        }
        sensitive.sort_unstable();
        let zeros_sensitive = match raw.counts.zeros.as_ref() {
            None => false,
            Some(z) => match z.get_ref().as_str() {
                "publish" => false,
                "suppress" => true,
                other => return Err(err(z.span(), format!("zeros must be \"publish\" or \"suppress\", not {other:?}"))),
            },
        };
        let first_safe = sensitive.last().map_or(1, |&(_, hi)| hi + 1);
        let magnitudes = match raw.magnitudes {
            None => None,
            Some(m) => Some(validate_magnitudes(m, &err)?),
        };
        let rates = raw.rates.unwrap_or(RawRates { follow_numerator: None, min_denominator: None });
        let min_denominator = match rates.min_denominator {
            None => 0.0,
            Some(d) if *d.get_ref() >= 0.0 => *d.get_ref(),
            Some(d) => return Err(err(d.span(), "min_denominator must not be negative".into())),
        };
        let secondary = raw.secondary.unwrap_or(RawSecondary { enabled: None, singleton: None, protection_level: None, method: None });
        let method = match &secondary.method {
            None => SecondaryMethod::Cycles,
            Some(m) => match m.get_ref().as_str() {
                "cycles" => SecondaryMethod::Cycles,
                "elimination" => SecondaryMethod::Elimination,
                "patterns" => SecondaryMethod::Patterns,
                other => return Err(err(m.span(), format!("secondary.method must be \"cycles\", \"elimination\" or \"patterns\", not {other:?}"))),
            },
        };
        let protection_level = match secondary.protection_level {
            None => first_safe as f64,
            Some(p) if *p.get_ref() > 0.0 => *p.get_ref(),
            Some(p) => return Err(err(p.span(), "protection_level must be above 0".into())),
        };
        let cost = raw.cost.unwrap_or(RawCost { per_unit: None, per_total_dimension: None, per_level_up: None });
        let non_negative = |v: Option<Spanned<f64>>, default: f64, key: &str| match v {
            None => Ok(default),
            Some(s) if *s.get_ref() >= 0.0 => Ok(*s.get_ref()),
            Some(s) => Err(err(s.span(), format!("{key} must not be negative"))),
        };
        let cost_per_unit = non_negative(cost.per_unit, 1.0, "cost.per_unit")?;
        let cost_per_total_dimension = non_negative(cost.per_total_dimension, 1000.0, "cost.per_total_dimension")?;
        let cost_per_level_up = match cost.per_level_up {
            None => 1.0,
            Some(s) if (1.0..=1000.0).contains(s.get_ref()) => *s.get_ref(),
            Some(s) => return Err(err(s.span(), "cost.per_level_up must be between 1 and 1000".into())),
        };
        let (rounding_base, rounding_note) = match (mode, raw.rounding) {
            (Mode::Round, None) => return Err(err(0..0, "mode = \"round\" needs a [rounding] table with base".into())),
            (Mode::Suppress, Some(r)) => {
                return Err(err(r.base.span(), "[rounding] is only allowed with mode = \"round\"".into()))
            }
            (Mode::Suppress, None) => (1, String::new()),
            (Mode::Round, Some(r)) => {
                let base = *r.base.get_ref();
                if base < 2 {
                    return Err(err(r.base.span(), format!("rounding base must be at least 2, not {base}")));
                }
                let note = r.note.unwrap_or_else(|| {
                    format!("Counts are rounded to the nearest {base}; totals are rounded independently, so parts may not add up to totals.")
                });
                (base, note)
            }
        };
        Ok(RuleSet {
            name: raw.name,
            mode,
            marker: raw.marker.unwrap_or_else(|| "[c]".to_string()),
            sensitive,
            zeros_sensitive,
            magnitudes,
            rates_follow_numerator: rates.follow_numerator.unwrap_or(true),
            min_denominator,
            secondary: secondary.enabled.unwrap_or(true),
            singleton: secondary.singleton.unwrap_or(true),
            protection_level,
            method,
            cost_per_unit,
            cost_per_total_dimension,
            cost_per_level_up,
            rounding_base,
            rounding_note,
        })
    }

    /// The sensitive range containing `count`, if any.
    pub fn sensitive_range(&self, count: i64) -> Option<(i64, i64)> {
        self.sensitive.iter().copied().find(|&(lo, hi)| lo <= count && count <= hi)
    }

    /// Lowest and highest sensitive count (for the "shown inside the sensitive range" check).
    pub fn sensitive_span(&self) -> Option<(i64, i64)> {
        Some((self.sensitive.first()?.0, self.sensitive.last()?.1))
    }
}

fn validate_magnitudes(
    m: RawMagnitudes,
    err: &dyn Fn(Range<usize>, String) -> SdcError,
) -> Result<MagnitudeRules, SdcError> {
    let min_contributors = match m.min_contributors {
        None => 1,
        Some(s) if *s.get_ref() >= 1 => *s.get_ref() as usize,
        Some(s) => return Err(err(s.span(), "min_contributors must be at least 1".into())),
    };
    let dominance = match m.dominance {
        None => None,
        Some(d) => {
            let raw = d.get_ref();
            if raw.n < 1 || !(raw.k > 0.0 && raw.k <= 100.0) {
                return Err(err(d.span(), format!("dominance needs n >= 1 and 0 < k <= 100, got n = {}, k = {}", raw.n, raw.k)));
            }
            Some(Dominance { n: raw.n as usize, k: raw.k })
        }
    };
    let p_percent = match m.p_percent {
        None => None,
        Some(p) if *p.get_ref() > 0.0 && *p.get_ref() < 100.0 => Some(*p.get_ref()),
        Some(p) => return Err(err(p.span(), "p_percent must be between 0 and 100".into())),
    };
    let protection_percent = match m.protection_percent {
        None => p_percent.unwrap_or(10.0),
        Some(p) if *p.get_ref() > 0.0 => *p.get_ref(),
        Some(p) => return Err(err(p.span(), "protection_percent must be above 0".into())),
    };
    Ok(MagnitudeRules { min_contributors, dominance, p_percent, protection_percent })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleSet, SdcError> {
        RuleSet::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn shipped_rule_files_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suppression-rules");
        for name in ["official", "hes", "round5", "research"] {
            let rules = RuleSet::load(&dir.join(format!("{name}.toml"))).unwrap();
            assert_eq!(rules.name, name);
        }
        let official = RuleSet::load(&dir.join("official.toml")).unwrap();
        assert_eq!(official.sensitive, vec![(1, 4)]);
        assert_eq!(official.protection_level, 5.0);
        assert_eq!(official.min_denominator, 10.0);
        let hes = RuleSet::load(&dir.join("hes.toml")).unwrap();
        assert_eq!(hes.sensitive, vec![(1, 7)]);
        let round = RuleSet::load(&dir.join("round5.toml")).unwrap();
        assert_eq!((round.mode, round.rounding_base), (Mode::Round, 5));
        let research = RuleSet::load(&dir.join("research.toml")).unwrap();
        let m = research.magnitudes.unwrap();
        assert_eq!(m.dominance, Some(Dominance { n: 2, k: 85.0 }));
        assert_eq!(m.p_percent, Some(10.0));
    }

    #[test]
    fn unknown_key_is_rejected_with_its_line() {
        let e = parse("name = \"x\"\n[counts]\nsensitive = [[1, 4]]\nthreshhold = 5\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("test.toml") && msg.contains("line 4") && msg.contains("threshhold"), "{msg}");
    }

    #[test]
    fn threshold_below_one_is_rejected() {
        let e = parse("name = \"x\"\n[counts]\nsensitive = [[0, 4]]\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("below 1"), "{e}");
    }

    #[test]
    fn overlapping_ranges_are_rejected() {
        let e = parse("name = \"x\"\n[counts]\nsensitive = [[1, 4], [3, 6]]\n").unwrap_err().to_string();
        assert!(e.contains("overlaps"), "{e}");
    }

    #[test]
    fn missing_field_is_rejected() {
        let e = parse("name = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("counts"), "{e}");
    }

    #[test]
    fn bad_dominance_is_rejected() {
        let e = parse("name = \"x\"\n[counts]\nsensitive = [[1, 4]]\n[magnitudes]\ndominance = { n = 2, k = 120.0 }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 5") && e.contains("dominance"), "{e}");
    }

    #[test]
    fn protection_level_defaults_to_first_safe_count() {
        let r = parse("name = \"x\"\n[counts]\nsensitive = [[1, 7]]\n").unwrap();
        assert_eq!(r.protection_level, 8.0);
        assert_eq!(r.sensitive_range(7), Some((1, 7)));
        assert_eq!(r.sensitive_range(8), None);
    }
}

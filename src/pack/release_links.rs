//! The release's cells that sum substance groups the packs show one by one (PHOF "non-opiate" =
//! "non-opiate only" + "non-opiate and alcohol", by the release table list's category links).
//!
//! The packs do not show such a cell, but a reader who has the release does: when the release
//! published it, `non-opiate and alcohol` = the release's figure - the packs' `non-opiate only`,
//! so the packs must not hide one part and show the other. Each such cell the ledger holds joins
//! the packs' problem with its relation to the parts: published earlier, it is a known constant;
//! suppressed earlier, it stays suppressed and keeps its protection. Cells the ledger does not
//! hold are left out (an unknown sum adds nothing an attacker could use).

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::cells::{YtdCounts, MEASURES};
use super::protect::{canonical_ytd_key, ytd_key, PackGrid, SERIES};
use crate::release::data::Area;
use crate::release::spec::LinkSpec;
use crate::sdc::{CellId, CellKind, Ledger, ProblemBuilder};

/// Table name of the joined release cells (never rendered; it names them in audit records).
pub const TABLE: &str = "release-category-sums";

/// Every (link, measure, area) where a multi-group category link of the release sums substance
/// groups the packs show, with the packs' cells of those groups (in the link's order).
fn link_sites<'a>(
    grid: &'a PackGrid,
    links: &'a [LinkSpec],
    cells: &'a HashMap<(String, String, String), CellId>,
) -> impl Iterator<Item = (&'a LinkSpec, &'a [String], &'static str, &'a Area, Vec<CellId>)> + 'a {
    links.iter().filter_map(|link| link.equals_substance.as_deref().filter(|g| g.len() > 1).map(|groups| (link, groups))).flat_map(move |(link, groups)| {
        MEASURES.iter().flat_map(move |&measure| {
            grid.areas.iter().filter_map(move |area| {
                let parts: Option<Vec<CellId>> =
                    groups.iter().map(|g| cells.get(&(measure.to_string(), area.code.clone(), g.clone())).copied()).collect();
                parts.map(|parts| (link, groups, measure, area, parts))
            })
        })
    })
}

/// Adds, for every measure, area and multi-group category link, the release's sum cell that the
/// ledger holds, with `sum = parts`.
pub fn add_release_sums(
    builder: &mut ProblemBuilder,
    grid: &PackGrid,
    links: &[LinkSpec],
    ledger: &Ledger,
    cells: &HashMap<(String, String, String), CellId>,
) -> Result<()> {
    for (link, groups, measure, area, parts) in link_sites(grid, links, cells) {
        let key = canonical_ytd_key(&grid.now.period, measure, &area.code, (&link.dimension, &link.category));
        if ledger.get(SERIES, &key).is_none() && !ledger.is_suppressed(SERIES, &key) {
            continue;
        }
        let value: f64 = groups.iter().map(|g| grid.now.get(measure, &area.code, g)).sum();
        let id = builder
            .add_earlier_cell(TABLE, key, value, CellKind::Count)
            .with_context(|| format!("adding the release's {} {} of {measure} in {}", link.dimension, link.category, area.code))?;
        let mut terms = vec![(id, 1)];
        terms.extend(parts.into_iter().map(|p| (p, -1)));
        builder.add_relation(terms).context("linking a release category to its substance groups")?;
    }
    Ok(())
}

/// Table name of the year's cells joined to an earlier month's packs.
pub const YEAR_TABLE: &str = "release-year-end-cells";

/// Adds, for packs of a month before the year's last (February, say) published after the
/// release: the release's sum cells over the *year* that the ledger holds as published, the
/// year's substance-group parts they sum (internal cells with their true values, `year_end`),
/// and each part's tie to this month's cell, `year = this month + the months after` (internal,
/// never negative). A reader of the release and these packs has those relations: the release's
/// PHOF non-opiate of an LA (7) and February's published non-opiate only (5) bound the year's
/// non-opiate and alcohol to at most 2. With the year's parts in the problem, that count is
/// protected here, before March's packs, which show it, have no complement left (issue 17).
pub fn add_year_end_sums(
    builder: &mut ProblemBuilder,
    grid: &PackGrid,
    year_end: &YtdCounts,
    links: &[LinkSpec],
    ledger: &Ledger,
    cells: &HashMap<(String, String, String), CellId>,
) -> Result<()> {
    for (link, groups, measure, area, parts) in link_sites(grid, links, cells) {
        let key = canonical_ytd_key(&year_end.period, measure, &area.code, (&link.dimension, &link.category));
        let Some(published) = ledger.get(SERIES, &key) else { continue };
        let sum = builder.add_internal_cell(YEAR_TABLE, key, published, CellKind::Count).context("adding the release's year cell")?;
        let mut terms = vec![(sum, 1)];
        for (g, now) in groups.iter().zip(parts) {
            let (year_key, now_key) = (ytd_key(&year_end.period, measure, &area.code, g), ytd_key(&grid.now.period, measure, &area.code, g));
            let value = year_end.get(measure, &area.code, g);
            let part = builder.add_internal_cell(YEAR_TABLE, year_key.clone(), value, CellKind::Count).context("adding a year cell")?;
            terms.push((part, -1));
            let later = value - grid.now.get(measure, &area.code, g);
            let (Some(short), Some(long)) = (now_key.period, year_key.period) else { continue };
            let Some(increment) = crate::sdc::nested::increment_key(&now_key, &short, &long).filter(|_| later >= 0.0) else { continue };
            let increment = builder.add_internal_cell(YEAR_TABLE, increment, later, CellKind::Count).context("adding the months after")?;
            builder.add_relation(vec![(part, 1), (now, -1), (increment, -1)]).context("linking the year to this month")?;
        }
        builder.add_relation(terms).context("linking a release category to the year's substance groups")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::geography::ENGLAND_CODE;
    use crate::pack::cells::{YtdCounts, MEASURES};
    use crate::pack::protect::{canonical_ytd_key, protect_packs, PackGrid, ProtectedPack, SERIES};
    use crate::release::data::{Area, TOTAL};
    use crate::sdc::{Ledger, LedgerEntry, RuleSet};

    const GROUPS: [&str; 3] = ["non-opiate only", "non-opiate and alcohol", "alcohol only"];

    fn area(level: &'static str, code: &str, parent: Option<&str>) -> Area {
        Area { level, code: code.into(), name: code.into(), parent: parent.map(str::to_string) }
    }

    /// One region of two LAs: L1 has 2 people with non-opiate only, L2 2 with alcohol only, every
    /// other cell 30, the same for every measure.
    fn grid() -> PackGrid {
        let areas = vec![area("england", ENGLAND_CODE, None), area("region", "R1", Some(ENGLAND_CODE)), area("la", "L1", Some("R1")), area("la", "L2", Some("R1"))];
        let leaves = [("L1", GROUPS[0], 2.0), ("L1", GROUPS[1], 30.0), ("L1", GROUPS[2], 30.0), ("L2", GROUPS[0], 30.0), ("L2", GROUPS[1], 30.0), ("L2", GROUPS[2], 2.0)];
        let mut now = YtdCounts { period: "2025-03".into(), values: HashMap::new() };
        for m in MEASURES {
            for (la, s, v) in leaves {
                for a in [la, "R1", ENGLAND_CODE] {
                    for sub in [s, TOTAL] {
                        *now.values.entry((m.to_string(), a.to_string(), sub.to_string())).or_insert(0.0) += v;
                    }
                }
            }
        }
        let substances = std::iter::once(TOTAL).chain(GROUPS).map(|s| (s.to_string(), None)).collect();
        PackGrid { areas, substances, now, previous: None, year_end: None, providers: vec![], provider_counts: HashMap::new(), months: vec![], trend: HashMap::new() }
    }

    fn rules() -> RuleSet {
        let text = "name = \"t\"\nmode = \"suppress\"\nmarker = \"[c]\"\n[counts]\nsensitive = [[1, 4]]\nzeros = \"publish\"\n[secondary]\nenabled = true\nsingleton = true\nprotection_level = 3\n[cost]\nper_unit = 1.0\nper_total_dimension = 1000.0\n";
        RuleSet::parse(text, std::path::Path::new("test.toml")).unwrap()
    }

    /// L1's "non-opiate only" hidden while its "non-opiate and alcohol" is shown: with the
    /// release's PHOF non-opiate of L1 published, the hidden one is their difference.
    fn differenced(p: &ProtectedPack) -> bool {
        let hidden = |s: &str| p.cell("in_treatment", "L1", s).unwrap().1.is_suppressed();
        hidden(GROUPS[0]) != hidden(GROUPS[1])
    }

    #[test]
    fn a_published_release_sum_of_two_groups_is_a_constant_of_the_packs() {
        let g = grid();
        // Without the release, hiding the two small cells with "alcohol only" and "non-opiate
        // only" of the other LA is the cheapest pattern (it shows L1's non-opiate and alcohol).
        let alone = protect_packs(&g, &rules(), &Ledger::new()).unwrap();
        assert!(differenced(&alone), "the control pattern does not need the link, so the test could not fail");
        let mut ledger = Ledger::new();
        let key = canonical_ytd_key("2025-03", "in_treatment", "L1", ("phof_group", "non-opiate"));
        ledger.record(LedgerEntry { series: SERIES.into(), key: key.clone(), value: 32.0 });
        let after_release = protect_packs(&g, &rules(), &ledger).unwrap();
        assert!(after_release.problem.cell_id(&key).is_some(), "the release's cell joins the problem");
        assert!(!differenced(&after_release), "L1's two non-opiate groups are hidden or shown together");
    }

    /// Issue 17 in small: the release published L1's PHOF non-opiate over the year (62); the
    /// February packs come next. In March L1 gained 2 people with non-opiate and alcohol and
    /// none with non-opiate only, so February's two groups (30 and 30), both published, would
    /// bound March's 2 to [0, 2]. Without the release nothing is small; with it, the months
    /// after February are protected in February's packs.
    #[test]
    fn february_after_the_release_protects_the_months_after_it() {
        let mut feb = grid();
        let counts = |period: &str, extra: f64| {
            let mut c = YtdCounts { period: period.into(), values: HashMap::new() };
            for m in MEASURES {
                for (la, s) in [("L1", GROUPS[0]), ("L1", GROUPS[1]), ("L1", GROUPS[2]), ("L2", GROUPS[0]), ("L2", GROUPS[1]), ("L2", GROUPS[2])] {
                    let v = if (la, s) == ("L1", GROUPS[1]) { 30.0 + extra } else { 30.0 };
                    for a in [la, "R1", ENGLAND_CODE] {
                        for sub in [s, TOTAL] {
                            *c.values.entry((m.to_string(), a.to_string(), sub.to_string())).or_insert(0.0) += v;
                        }
                    }
                }
            }
            c
        };
        feb.now = counts("2025-02", 0.0);
        let alone = protect_packs(&feb, &rules(), &Ledger::new()).unwrap();
        assert_eq!(alone.protection.counts.primary + alone.protection.counts.secondary, 0, "nothing small in February alone");
        let mut ledger = Ledger::new();
        let key = canonical_ytd_key("2025-03", "in_treatment", "L1", ("phof_group", "non-opiate"));
        ledger.record(LedgerEntry { series: SERIES.into(), key, value: 62.0 });
        feb.year_end = Some(counts("2025-03", 2.0));
        let after = protect_packs(&feb, &rules(), &ledger).unwrap();
        let hidden = |s: &str| after.cell("in_treatment", "L1", s).unwrap().1.is_suppressed();
        assert!(hidden(GROUPS[0]) || hidden(GROUPS[1]), "L1's non-opiate groups cannot both be shown");
        let now_key = crate::pack::protect::ytd_key("2025-02", "in_treatment", "L1", GROUPS[1]);
        let year_key = crate::pack::protect::ytd_key("2025-03", "in_treatment", "L1", GROUPS[1]);
        let march = crate::sdc::nested::increment_key(&now_key, &now_key.period.unwrap(), &year_key.period.unwrap()).unwrap();
        let march = after.problem.cell_id(&march).expect("March's own count is a cell of February's problem");
        let interval = after.protection.intervals[march].expect("a protected internal cell has an audit interval");
        assert!(interval.width() >= 3.0 - 1e-6, "{interval:?}");
    }
}

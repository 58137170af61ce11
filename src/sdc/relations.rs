//! The protection model of a publication, derived from the tables and checked against the data.
//!
//! Every table states its dimensions (categories, parents, which measures add up along each)
//! and its cells (keys and true values). The model is every linear relation an attacker who
//! knows the definitions can use:
//!
//! - *declared*: along every dimension a measure adds up on, each parent (or total) equals the
//!   sum of its children, where a child missing from the table is replaced by its own children;
//!   a declared relation the data contradict stops the run (the declaration is wrong);
//! - *coincidental*: the same sums along dimensions declared not to add up (people in several
//!   settings, agencies under their commissioning LA), kept where the data happen to satisfy
//!   them, since an attacker who guesses them would be right;
//! - *over time*: cells that differ only in their period (months, years to date, the year) are
//!   edges between the period's first day and the day after its last; every cycle of that graph
//!   is a candidate relation (year to date of March = February's + March), kept where the data
//!   satisfy it;
//! - *differences*: two nested periods sharing an end (February's and March's year to date)
//!   differ by a count of people no table shows; when it is small it becomes an internal cell
//!   the engine protects like any sensitive count;
//! - *extra*: relations a product declares between tables (a PHOF group as the sum of two
//!   substance groups), checked like declared ones.
//!
//! Cells of several tables with the same key are one cell.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::sdc::error::SdcError;
use crate::sdc::key::{CellKey, Span};
use crate::sdc::model::{Cell, CellId, CellKind, Problem, Relation};

/// Which measures add up along a dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Additivity {
    /// Every measure of the table.
    All,
    /// Only these measures (the others are counts of people who may be in several categories).
    Only(BTreeSet<String>),
}

impl Additivity {
    pub fn holds_for(&self, measure: &str) -> bool {
        match self {
            Additivity::All => true,
            Additivity::Only(set) => set.contains(measure),
        }
    }
}

/// One dimension of a table.
#[derive(Debug, Clone)]
pub struct Dimension {
    pub name: String,
    /// Every category of the dimension the table knows (its total is left out).
    pub categories: Vec<String>,
    /// Category -> parent category; a category without one is a child of the total.
    pub parent: BTreeMap<String, String>,
    /// Categories that do not add into their parent (agencies under their commissioning LA).
    pub apart: BTreeSet<String>,
    pub additive: Additivity,
}

/// One cell of a table.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: CellKey,
    pub value: f64,
    pub kind: CellKind,
    /// Shown by the table (false for cells the product only needs in the model).
    pub publishable: bool,
    /// How aggregated the cell is (totals and parents count): complements prefer low levels.
    pub level: u32,
}

/// A table as the model sees it.
#[derive(Debug, Clone)]
pub struct Table {
    pub id: String,
    pub dimensions: Vec<Dimension>,
    pub entries: Vec<Entry>,
}

/// Where a relation came from (for the audit record and for checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Declared,
    Coincidental,
    OverTime,
    Difference,
    Extra,
    Ledger,
}

/// What the model holds, by origin (for the audit record).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ModelSummary {
    pub cells: usize,
    pub relations: BTreeMap<String, usize>,
    /// Candidate relations the data contradict (left out: not a relation of these cells).
    pub rejected_candidates: usize,
    pub difference_cells: usize,
}

/// Tolerance of the data checks (values are counts or sums of them).
const TOLERANCE: f64 = 1e-6;

/// Builds the model: cells of every table (merged by key), then every relation.
pub struct ModelBuilder {
    pub problem: Problem,
    origin: Vec<Origin>,
    seen: HashSet<Relation>,
    pub summary: ModelSummary,
}

impl ModelBuilder {
    pub fn new(series: &str) -> Self {
        ModelBuilder { problem: Problem::new(series), origin: Vec::new(), seen: HashSet::new(), summary: ModelSummary::default() }
    }

    /// The origin of every relation of the problem, in order.
    pub fn origins(&self) -> &[Origin] {
        &self.origin
    }

    /// Adds a cell (merged with an earlier one of the same key).
    pub fn cell(&mut self, table: &str, entry: &Entry) -> Result<CellId, SdcError> {
        let cell = Cell {
            key: entry.key.clone(),
            value: entry.value,
            kind: entry.kind.clone(),
            publishable: entry.publishable,
            aggregation_level: entry.level,
            tables: vec![],
        };
        let id = self.problem.add_cell(table, cell)?;
        let merged = &mut self.problem.cells[id];
        merged.aggregation_level = merged.aggregation_level.max(entry.level);
        Ok(id)
    }

    /// Adds a relation once; `Ok(false)` when it was there already or is empty.
    fn relation(&mut self, terms: Vec<(CellId, i64)>, origin: Origin) -> bool {
        let rel = Relation::normalised(terms);
        if rel.terms.len() < 2 || !self.seen.insert(rel.clone()) {
            return false;
        }
        self.problem.relations.push(rel);
        self.origin.push(origin);
        *self.summary.relations.entry(format!("{origin:?}").to_lowercase()).or_default() += 1;
        true
    }

    fn holds(&self, terms: &[(CellId, i64)]) -> bool {
        terms.iter().map(|&(c, a)| a as f64 * self.problem.cells[c].value).sum::<f64>().abs() <= TOLERANCE
    }

    fn describe(&self, terms: &[(CellId, i64)]) -> String {
        crate::sdc::complete::describe(&self.problem, terms)
    }

    /// Adds every cell of a table and the relations along its dimensions.
    pub fn table(&mut self, table: &Table) -> Result<(), SdcError> {
        let mut ids = Vec::with_capacity(table.entries.len());
        for e in &table.entries {
            ids.push(self.cell(&table.id, e)?);
        }
        for dim in &table.dimensions {
            self.dimension_relations(table, dim, &ids)?;
        }
        Ok(())
    }

    fn dimension_relations(&mut self, table: &Table, dim: &Dimension, ids: &[CellId]) -> Result<(), SdcError> {
        let mut children: HashMap<Option<&str>, Vec<&str>> = HashMap::new();
        let mut apart: HashMap<Option<&str>, Vec<&str>> = HashMap::new();
        for c in &dim.categories {
            let p = dim.parent.get(c).map(String::as_str);
            let list = if dim.apart.contains(c) { apart.entry(p).or_default() } else { children.entry(p).or_default() };
            list.push(c.as_str());
        }
        // Lines: every other coordinate fixed.
        let mut lines: HashMap<CellKey, HashMap<Option<String>, CellId>> = HashMap::new();
        for (e, &id) in table.entries.iter().zip(ids) {
            let at = e.key.coordinate(&dim.name).map(str::to_string);
            lines.entry(e.key.with_coordinate(&dim.name, None)).or_default().insert(at, id);
        }
        let mut lines: Vec<(CellKey, HashMap<Option<String>, CellId>)> = lines.into_iter().collect();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        for (line, present) in &lines {
            let additive = dim.additive.holds_for(&line.measure);
            let mut nodes: Vec<(Option<String>, CellId)> = present.iter().map(|(k, &v)| (k.clone(), v)).collect();
            nodes.sort();
            for (node, id) in nodes {
                let node = node.as_deref();
                if let Some(parts) = partition(node, &children, present) {
                    let mut terms = vec![(id, 1)];
                    terms.extend(parts.iter().map(|&p| (p, -1)));
                    if additive {
                        if !self.holds(&terms) {
                            return Err(SdcError::ModelContradicted {
                                table: table.id.clone(),
                                dimension: format!("the {} categories are", dim.name),
                                relation: self.describe(&terms),
                            });
                        }
                        self.relation(terms, Origin::Declared);
                    } else {
                        self.candidate(terms, Origin::Coincidental);
                    }
                }
                if let Some(kids) = apart.get(&node) {
                    let parts: Option<Vec<CellId>> = kids.iter().map(|k| present.get(&Some(k.to_string())).copied()).collect();
                    if let Some(parts) = parts.filter(|p| !p.is_empty()) {
                        let mut terms = vec![(id, 1)];
                        terms.extend(parts.iter().map(|&p| (p, -1)));
                        self.candidate(terms, Origin::Coincidental);
                    }
                }
            }
        }
        Ok(())
    }

    /// Keeps a candidate relation when the data satisfy it.
    fn candidate(&mut self, terms: Vec<(CellId, i64)>, origin: Origin) {
        if self.holds(&terms) {
            self.relation(terms, origin);
        } else {
            self.summary.rejected_candidates += 1;
        }
    }

    /// A relation a product declares between cells of its tables (checked against the data).
    pub fn extra(&mut self, terms: Vec<(CellId, i64)>, what: &str) -> Result<(), SdcError> {
        if !self.holds(&terms) {
            return Err(SdcError::ModelContradicted { table: what.to_string(), dimension: "a link between its cells is".into(), relation: self.describe(&terms) });
        }
        self.relation(terms, Origin::Extra);
        Ok(())
    }

    /// A relation recorded by an earlier publication (its cells already added).
    pub fn recorded(&mut self, terms: Vec<(CellId, i64)>) {
        self.relation(terms, Origin::Ledger);
    }

    /// Relations over time and difference cells, over every cell added so far. `small`: the
    /// largest difference worth protecting (0: none); `fixed`: cells whose value is public
    /// already (two of them differ publicly, nothing to protect).
    pub fn over_time(&mut self, small: f64, fixed: &dyn Fn(CellId) -> bool) -> Result<(), SdcError> {
        let mut groups: BTreeMap<(String, Vec<(String, String)>), Vec<(Span, CellId)>> = BTreeMap::new();
        for (id, cell) in self.problem.cells.iter().enumerate() {
            if let (Some(span), true) = (cell.key.period, cell.publishable) {
                groups.entry((cell.key.measure.clone(), cell.key.coords.clone())).or_default().push((span, id));
            }
        }
        for spans in groups.values() {
            if spans.len() < 2 {
                continue;
            }
            for cycle in cycle_basis(spans) {
                self.candidate(cycle, Origin::OverTime);
            }
            if small > 0.0 {
                self.differences(spans, small, fixed)?;
            }
        }
        Ok(())
    }

    fn differences(&mut self, spans: &[(Span, CellId)], small: f64, fixed: &dyn Fn(CellId) -> bool) -> Result<(), SdcError> {
        let present: HashSet<Span> = spans.iter().map(|s| s.0).collect();
        for &(outer, o) in spans {
            for &(inner, i) in spans {
                if outer == inner || !outer.contains(&inner) || (fixed(o) && fixed(i)) {
                    continue;
                }
                let rest = if inner.start == outer.start {
                    inner.end.succ_opt().and_then(|s| Span::new(s, outer.end))
                } else if inner.end == outer.end {
                    inner.start.pred_opt().and_then(|e| Span::new(outer.start, e))
                } else {
                    None
                };
                let Some(rest) = rest.filter(|r| !present.contains(r)) else { continue };
                let d = self.problem.cells[o].value - self.problem.cells[i].value;
                if d <= 0.0 || d > small {
                    continue;
                }
                let base = &self.problem.cells[o].key;
                let mut coords = base.coords.clone();
                coords.push(("derived".into(), "difference of two periods".into()));
                let key = CellKey::with_period(&base.measure, Some(rest), coords);
                if self.problem.cell_id(&key).is_some() {
                    continue;
                }
                let cell = Cell { key, value: d, kind: CellKind::Count, publishable: false, aggregation_level: 0, tables: vec![] };
                let id = self.problem.add_cell("differences", cell)?;
                self.summary.difference_cells += 1;
                self.relation(vec![(o, 1), (i, -1), (id, -1)], Origin::Difference);
            }
        }
        Ok(())
    }

    /// The finished problem.
    pub fn build(mut self) -> (Problem, ModelSummary, Vec<Origin>) {
        self.summary.cells = self.problem.cells.len();
        (self.problem, self.summary, self.origin)
    }
}

/// The cells that make up `node` in a line: its children where present, otherwise their own
/// children; `None` when some part is missing or the node has no children.
fn partition(node: Option<&str>, children: &HashMap<Option<&str>, Vec<&str>>, present: &HashMap<Option<String>, CellId>) -> Option<Vec<CellId>> {
    let kids = children.get(&node)?;
    let mut out = Vec::new();
    for &k in kids {
        match present.get(&Some(k.to_string())) {
            Some(&id) => out.push(id),
            None => out.extend(partition(Some(k), children, present)?),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A cycle basis of the graph whose nodes are days and whose edges are the spans (first day to
/// the day after the last): each cycle, as signed cells, is a candidate relation.
pub(crate) fn cycle_basis(spans: &[(Span, CellId)]) -> Vec<Vec<(CellId, i64)>> {
    let mut nodes: Vec<chrono::NaiveDate> = Vec::new();
    for (s, _) in spans {
        nodes.push(s.start);
        nodes.push(s.end.succ_opt().unwrap_or(s.end));
    }
    nodes.sort_unstable();
    nodes.dedup();
    let at = |d: chrono::NaiveDate| nodes.binary_search(&d).unwrap_or(0);
    // Spanning forest by breadth-first search over tree edges only.
    let mut tree: Vec<Vec<(usize, CellId, i64)>> = vec![Vec::new(); nodes.len()];
    let mut component: Vec<usize> = (0..nodes.len()).collect();
    fn root(c: &mut [usize], mut x: usize) -> usize {
        while c[x] != x {
            c[x] = c[c[x]];
            x = c[x];
        }
        x
    }
    let mut cycles = Vec::new();
    let mut ordered: Vec<&(Span, CellId)> = spans.iter().collect();
    ordered.sort_by_key(|(s, _)| (s.end - s.start, s.start));
    for &&(span, id) in &ordered {
        let (a, b) = (at(span.start), at(span.end.succ_opt().unwrap_or(span.end)));
        let (ra, rb) = (root(&mut component, a), root(&mut component, b));
        if ra != rb {
            component[ra] = rb;
            tree[a].push((b, id, 1));
            tree[b].push((a, id, -1));
            continue;
        }
        // Path a -> b in the forest: the span equals the signed sum along it.
        if let Some(path) = tree_path(&tree, a, b) {
            let mut terms = vec![(id, 1)];
            terms.extend(path.into_iter().map(|(c, s)| (c, -s)));
            cycles.push(terms);
        }
    }
    cycles
}

fn tree_path(tree: &[Vec<(usize, CellId, i64)>], from: usize, to: usize) -> Option<Vec<(CellId, i64)>> {
    let mut prev: Vec<Option<(usize, CellId, i64)>> = vec![None; tree.len()];
    let mut seen = vec![false; tree.len()];
    let mut queue = std::collections::VecDeque::from([from]);
    seen[from] = true;
    while let Some(x) = queue.pop_front() {
        if x == to {
            break;
        }
        for &(y, id, s) in &tree[x] {
            if !seen[y] {
                seen[y] = true;
                prev[y] = Some((x, id, s));
                queue.push_back(y);
            }
        }
    }
    if !seen[to] {
        return None;
    }
    let mut path = Vec::new();
    let mut at = to;
    while at != from {
        let (p, id, s) = prev[at]?;
        path.push((id, s));
        at = p;
    }
    Some(path)
}

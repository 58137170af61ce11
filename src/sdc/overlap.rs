//! Which cells count provably disjoint populations, for the singleton check.
//!
//! A person alone in a suppressed cell knows its value; what they must not learn is the count
//! of *other* people in another protected cell. Two inner cells of one table count different
//! people. Across linked tables (sex by substance in one, age by substance in the other) two
//! inner cells may be the same person: the singleton learning such a cell may only learn about
//! themselves. Cells are taken to be disjoint when they are inner cells of a common table, or
//! when they have the same measure and, on a dimension both have, categories of which neither
//! is an ancestor of the other.

use std::collections::HashMap;

use crate::sdc::model::{CellId, Problem};

/// The parent of every category, per dimension name, over all tables of a problem.
#[derive(Debug, Default, Clone)]
pub struct Ancestry {
    parent: HashMap<(String, String), String>,
}

impl Ancestry {
    pub fn of(problem: &Problem) -> Ancestry {
        let mut parent = HashMap::new();
        for shape in &problem.shapes {
            for (h, name) in shape.hierarchies.iter().zip(&shape.dimension_names) {
                for (i, code) in h.codes.iter().enumerate().skip(1) {
                    if let Some(p) = h.parent[i].filter(|&p| p != 0) {
                        parent.insert((name.clone(), code.clone()), h.codes[p].clone());
                    }
                }
            }
        }
        Ancestry { parent }
    }

    fn is_ancestor(&self, dimension: &str, ancestor: &str, category: &str) -> bool {
        let mut at = category.to_string();
        for _ in 0..=self.parent.len() {
            match self.parent.get(&(dimension.to_string(), at)) {
                Some(p) if p == ancestor => return true,
                Some(p) => at = p.clone(),
                None => return false,
            }
        }
        false
    }

    /// True when cells `a` and `b` cannot share a person.
    pub fn disjoint(&self, problem: &Problem, a: CellId, b: CellId) -> bool {
        let (x, y) = (&problem.cells[a], &problem.cells[b]);
        if a == b {
            return false;
        }
        if x.aggregation_level == 0 && y.aggregation_level == 0 && x.tables.iter().any(|t| y.tables.contains(t)) {
            return true;
        }
        if x.key.measure != y.key.measure {
            return false;
        }
        x.key.coords.iter().any(|(d, c)| {
            y.key.coords.iter().any(|(e, k)| d == e && c != k && !self.is_ancestor(d, c, k) && !self.is_ancestor(d, k, c))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::sdc::tests::{dim, inner};
    use crate::sdc::*;

    #[test]
    fn inner_cells_of_one_table_are_disjoint_and_linked_tables_may_overlap() {
        let mut b = ProblemBuilder::new("s");
        let by_sex = TableDef { id: "t1".into(), measure: "n".into(), dimensions: vec![dim("area", &[("a", None), ("b", None)]), dim("sex", &[("m", None), ("f", None)])] };
        let by_age = TableDef { id: "t2".into(), measure: "n".into(), dimensions: vec![dim("area", &[("a", None), ("b", None)]), dim("age", &[("young", None), ("old", None)])] };
        let rows: Vec<(&[&str], f64)> = vec![(&["a", "m"], 1.0), (&["a", "f"], 6.0), (&["b", "m"], 7.0), (&["b", "f"], 8.0)];
        b.add_table(&by_sex, &aggregate(&by_sex, &inner(&rows)).unwrap()).unwrap();
        let rows: Vec<(&[&str], f64)> = vec![(&["a", "young"], 1.0), (&["a", "old"], 6.0), (&["b", "young"], 7.0), (&["b", "old"], 8.0)];
        b.add_table(&by_age, &aggregate(&by_age, &inner(&rows)).unwrap()).unwrap();
        let p = b.build();
        let id = |coords: &[(&str, &str)]| p.cell_id(&CellKey::new("n", coords.iter().map(|(d, c)| (d.to_string(), c.to_string())).collect())).unwrap();
        let anc = super::Ancestry::of(&p);
        let (am, af, bm) = (id(&[("area", "a"), ("sex", "m")]), id(&[("area", "a"), ("sex", "f")]), id(&[("area", "b"), ("sex", "m")]));
        let (ay, by) = (id(&[("area", "a"), ("age", "young")]), id(&[("area", "b"), ("age", "young")]));
        assert!(anc.disjoint(&p, am, af));
        assert!(anc.disjoint(&p, am, bm));
        assert!(anc.disjoint(&p, am, by), "different areas never share a person");
        assert!(!anc.disjoint(&p, am, ay), "men in a and the young in a may be the same person");
    }

    #[test]
    fn nested_categories_are_not_disjoint() {
        let mut b = ProblemBuilder::new("s");
        let geo = TableDef { id: "t".into(), measure: "n".into(), dimensions: vec![dim("area", &[("r", None), ("a", Some("r")), ("b", Some("r"))])] };
        let other = TableDef { id: "u".into(), measure: "n".into(), dimensions: vec![dim("area", &[("r", None), ("a", Some("r")), ("b", Some("r"))]), dim("sex", &[("m", None), ("f", None)])] };
        let rows: Vec<(&[&str], f64)> = vec![(&["a"], 3.0), (&["b"], 9.0)];
        b.add_table(&geo, &aggregate(&geo, &inner(&rows)).unwrap()).unwrap();
        let rows: Vec<(&[&str], f64)> = vec![(&["a", "m"], 1.0), (&["a", "f"], 2.0), (&["b", "m"], 4.0), (&["b", "f"], 5.0)];
        b.add_table(&other, &aggregate(&other, &inner(&rows)).unwrap()).unwrap();
        let p = b.build();
        let id = |coords: &[(&str, &str)]| p.cell_id(&CellKey::new("n", coords.iter().map(|(d, c)| (d.to_string(), c.to_string())).collect())).unwrap();
        let anc = super::Ancestry::of(&p);
        let (region_m, a_m, b_f) = (id(&[("area", "r"), ("sex", "m")]), id(&[("area", "a"), ("sex", "m")]), id(&[("area", "b"), ("sex", "f")]));
        assert!(!anc.disjoint(&p, region_m, a_m), "a region contains its LAs");
        assert!(anc.disjoint(&p, a_m, b_f));
    }
}

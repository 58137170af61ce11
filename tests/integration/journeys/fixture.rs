//! The journeys fixture: a temporary warehouse into which tests insert
//! episodes (with one intervention each) directly, then build and query.

use ndtms_stats::measures::{self, Period};
use ndtms_stats::warehouse::Warehouse;

pub const MANCHESTER: &str = "E08000003"; // North West
pub const HACKNEY: &str = "E09000012"; // London
pub const CITY_OF_LONDON: &str = "E09000001"; // reported with Hackney
pub const LONDON: &str = "E12000007";
pub const NORTH_WEST: &str = "E12000002";
pub const ENGLAND: &str = "E92000001";

/// A temporary warehouse.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub wh: Warehouse,
}

/// An episode row with test defaults (linked, adult, heroin, Manchester).
pub struct Ep {
    pub agency: &'static str,
    pub client: String,
    pub id: &'static str,
    pub person: Option<String>,
    pub status: &'static str,
    pub refld: &'static str,
    pub disd: Option<&'static str>,
    pub disrsn: Option<&'static str>,
    pub la: Option<&'static str>,
    pub drugs: [Option<&'static str>; 3],
    pub triaged: Option<&'static str>,
    pub age: i32,
    /// Age at referral when it differs from the age at triage and first intervention.
    pub referral_age: Option<i32>,
    pub modst: Option<&'static str>,
    pub setting: &'static str,
}

impl Ep {
    pub fn la(mut self, la: Option<&'static str>) -> Ep {
        self.la = la;
        self
    }
    pub fn drugs(mut self, d1: &'static str, d2: Option<&'static str>, d3: Option<&'static str>) -> Ep {
        self.drugs = [Some(d1), d2, d3];
        self
    }
    pub fn triaged(mut self, on: &'static str, age: i32) -> Ep {
        self.triaged = Some(on);
        self.age = age;
        self
    }
    /// Referred at `referral`, triaged on `on` at `triage` (also the age at first intervention).
    pub fn ages(mut self, referral: i32, on: &'static str, triage: i32) -> Ep {
        self.referral_age = Some(referral);
        self.triaged(on, triage)
    }
    pub fn modst(mut self, on: Option<&'static str>) -> Ep {
        self.modst = on;
        self
    }
    pub fn unlinked(mut self, status: &'static str) -> Ep {
        self.person = None;
        self.status = status;
        self
    }
    pub fn setting(mut self, setting: &'static str) -> Ep {
        self.setting = setting;
        self
    }
}

/// An episode of `person` at `agency`, referred and starting its intervention on `start`.
pub fn ep(
    agency: &'static str,
    person: &str,
    id: &'static str,
    start: &'static str,
    end: Option<(&'static str, &'static str)>,
) -> Ep {
    Ep {
        agency,
        client: format!("{person}@{agency}"),
        id,
        person: Some(person.to_string()),
        status: "linked",
        refld: start,
        disd: end.map(|e| e.0),
        disrsn: end.map(|e| e.1),
        la: Some(MANCHESTER),
        drugs: [Some("1011"), None, None],
        triaged: None,
        age: 30,
        referral_age: None,
        modst: Some(start),
        setting: "1",
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let wh = Warehouse::open_with(&dir.path().join("test.duckdb"), &crate::common::test_warehouse_key()).expect("open warehouse");
        Fixture { _dir: dir, wh }
    }

    pub fn add(&self, e: Ep) -> &Fixture {
        let c = self.wh.conn();
        c.execute(
            "INSERT INTO episode (agency, client_id, episode_id, person_key, link_status, sex, year_of_birth,
                 age_at_referral, age_at_triage, ethnic, la, refld, rfls, triaged, drug1, drug2, drug3,
                 disd, disrsn, submission_id)
             VALUES (?, ?, ?, ?, ?, '1', 1990, ?, ?, 'A', ?, CAST(? AS DATE), '1',
                 CAST(? AS DATE), ?, ?, ?, CAST(? AS DATE), ?, 1)",
            duckdb::params![
                e.agency,
                e.client,
                e.id,
                e.person,
                e.status,
                e.referral_age.unwrap_or(e.age),
                e.triaged.map(|_| e.age),
                e.la,
                e.refld,
                e.triaged,
                e.drugs[0],
                e.drugs[1],
                e.drugs[2],
                e.disd,
                e.disrsn
            ],
        )
        .expect("insert episode");
        c.execute(
            "INSERT INTO intervention VALUES (?, ?, ?, 'M1', '94', ?, CAST(? AS DATE), CAST(? AS DATE), NULL, NULL, ?, 1)",
            duckdb::params![e.agency, e.client, e.id, e.setting, e.refld, e.modst, e.age],
        )
        .expect("insert intervention");
        self
    }

    pub fn build(&self, period: &str) {
        measures::build(&self.wh, &Period::parse(period).expect("period")).expect("build");
    }

    pub fn query_i64(&self, sql: &str, params: &[&dyn duckdb::ToSql]) -> i64 {
        self.wh.conn().query_row(sql, params, |r| r.get(0)).expect(sql)
    }

    /// One cube cell (0 when absent), adults and young people together.
    pub fn cell(
        &self,
        period: &str,
        measure: &str,
        at: (&str, &str),
        substance: &str,
        dimension: &str,
        category: &str,
    ) -> i64 {
        let (level, area) = at;
        self.query_i64(
            "SELECT coalesce(sum(value), 0)::BIGINT FROM cube WHERE period = ? AND measure = ? AND geography_level = ?
               AND area_code = ? AND substance_group = ? AND dimension = ? AND category = ?",
            &[&period, &measure, &level, &area, &substance, &dimension, &category],
        )
    }

    /// The England total of a measure.
    pub fn england(&self, period: &str, measure: &str) -> i64 {
        self.cell(period, measure, ("england", ENGLAND), "Total", "", "Total")
    }

    /// A person's journeys as (start, end, exit reason code, substance group).
    pub fn journeys(&self, person: &str) -> Vec<(String, Option<String>, Option<String>, String)> {
        let mut stmt = self
            .wh
            .conn()
            .prepare(
                "SELECT CAST(journey_start AS VARCHAR), CAST(journey_end AS VARCHAR), exit_reason_code, substance_group
                 FROM journey WHERE person_key = ? ORDER BY journey_no",
            )
            .unwrap();
        stmt.query_map([person], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }
}


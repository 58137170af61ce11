//! `ndtms-stats subject-access`: everything the warehouse holds about one
//! person, for the provider answering a subject access request (within a month),
//! as an owner-only HTML and CSV report. The person is found by agency and
//! CLIENTID, or by attributor (initials, date of birth, sex) at every agency
//! through the attributor key. [`SubjectSelector`] is shared with `erase`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;

use crate::ingest::AttributorKey;
use crate::privacy::subject_access;
use crate::warehouse::selection::Selection;
use crate::warehouse::Warehouse;

/// Who the request is about (printed as `[withheld]` in logs).
#[derive(Clone, clap::Args)]
pub struct SubjectSelector {
    /// The warehouse.
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// The agency code (with --client): that agency's records of the client.
    #[arg(long, requires = "client", conflicts_with = "attributor")]
    pub agency: Option<String>,
    /// The agency's CLIENTID (with --agency).
    #[arg(long, requires = "agency")]
    pub client: Option<String>,
    /// The person's attributor, INITIALS,DD/MM/YYYY,SEX (e.g. AB,01/02/1980,1): the person at
    /// every agency, found through the attributor key.
    #[arg(long, required_unless_present = "agency")]
    pub attributor: Option<String>,
    /// The attributor key file, for --attributor (else the NDTMS_STATS_KEY environment variable).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

impl std::fmt::Debug for SubjectSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let withheld = |v: &Option<String>| v.as_ref().map(|_| "[withheld]");
        f.debug_struct("SubjectSelector")
            .field("warehouse", &self.warehouse)
            .field("agency", &self.agency)
            .field("client", &withheld(&self.client))
            .field("attributor", &withheld(&self.attributor))
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl SubjectSelector {
    /// The rows to take, and what was searched for in words without the identifiers.
    pub fn resolve(&self, wh: &Warehouse) -> Result<(Selection, String)> {
        match (&self.agency, &self.client, &self.attributor) {
            (Some(agency), Some(client), None) => {
                Ok((Selection::Clients(vec![(agency.clone(), client.clone())]), format!("the client named in the request at agency {agency}")))
            }
            (None, None, Some(attributor)) => {
                let key = AttributorKey::resolve(self.key_file.as_deref())?;
                match wh.key_fingerprint()? {
                    Some(f) if f != key.fingerprint() => {
                        bail!("the attributor key is not the one {} was loaded with: person keys would not match", wh.path().display())
                    }
                    _ => {}
                }
                Ok((Selection::Person(person_key(attributor, &key)?), "the person with the attributor in the request, at every agency".into()))
            }
            _ => bail!("name the person with --agency and --client, or with --attributor"),
        }
    }
}

/// The person key of `INITIALS,DD/MM/YYYY,SEX` (errors never repeat the values).
fn person_key(attributor: &str, key: &AttributorKey) -> Result<String> {
    let usage = "--attributor must be INITIALS,DD/MM/YYYY,SEX, e.g. AB,01/02/1980,1";
    let parts: Vec<&str> = attributor.split(',').map(str::trim).collect();
    let [initials, dob, sex] = parts.as_slice() else { bail!("{usage}") };
    if initials.len() != 2 || !initials.bytes().all(|b| b.is_ascii_alphabetic()) {
        bail!("{usage}: the initials are two letters (first name, surname)");
    }
    let date = NaiveDate::parse_from_str(dob, "%d/%m/%Y").ok().filter(|_| dob.len() == 10);
    let Some(date) = date else { bail!("{usage}: the date of birth is DD/MM/YYYY with a four-digit year") };
    if !["1", "2", "9"].contains(sex) {
        bail!("{usage}: sex is 1 (male), 2 (female) or 9 (not known)");
    }
    Ok(key.person_key(&initials[..1], &initials[1..], date, sex))
}

/// Arguments of `ndtms-stats subject-access`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubjectAccessArgs {
    #[command(flatten)]
    pub selector: SubjectSelector,
    /// Folder for the report (created owner-only).
    #[arg(long, default_value = "subject-access")]
    pub out: PathBuf,
}

/// Runs the command; returns the access log's detail (counts only).
pub fn run(args: &SubjectAccessArgs) -> Result<String> {
    let wh = Warehouse::open_read_only(&args.selector.warehouse)?;
    let (selection, search) = args.selector.resolve(&wh)?;
    let report = subject_access::gather(&wh, &selection, &search).context("gathering the subject access report")?;
    drop(wh);
    let (html, csv) = report.write(&args.out)?;
    println!("{} records held about {} person key(s) ({} client record(s) at other agencies not listed)", report.total_rows, report.people, report.other_clients);
    println!("subject access report (personal data, owner-only): {} and {}", html.display(), csv.display());
    Ok(format!("{} records reported", report.total_rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributors_must_be_well_formed() {
        let key = AttributorKey::from_text("a long enough passphrase", "t").unwrap();
        let dob = NaiveDate::from_ymd_opt(1980, 2, 1).unwrap();
        assert_eq!(person_key("ab, 01/02/1980 ,1", &key).unwrap(), key.person_key("A", "B", dob, "1"));
        for bad in ["QZ,01/02/80,1", "Q,01/02/1980,1", "QZ,1980-02-01,1", "QZ,01/02/1980,3", "QZ,01/02/1980"] {
            let err = person_key(bad, &key).unwrap_err().to_string();
            assert!(err.contains("INITIALS,DD/MM/YYYY,SEX") && !err.contains(bad), "{err}");
        }
    }

    #[test]
    fn logs_never_show_who_was_asked_for() {
        let s = SubjectSelector {
            warehouse: "w.duckdb".into(),
            agency: Some("N0001".into()),
            client: Some("CLIENT77".into()),
            attributor: Some("QZ,25/12/1971,2".into()),
            key_file: None,
        };
        let shown = format!("{s:?}");
        assert!(shown.contains("N0001") && !shown.contains("CLIENT77") && !shown.contains("1971"), "{shown}");
    }
}

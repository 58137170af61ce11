//! `ndtms-stats log`: prints the warehouse's access log (who ran which command
//! on it, when, with which inputs and outputs), oldest first.

use std::path::PathBuf;

use anyhow::Result;

use crate::warehouse::access_log::AccessEntry;
use crate::warehouse::Warehouse;

/// Arguments of `ndtms-stats log`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// The warehouse.
    #[arg(long, default_value = "ndtms.duckdb")]
    pub warehouse: PathBuf,
    /// Only the latest N entries.
    #[arg(long)]
    pub latest: Option<u64>,
    /// Print CSV (one line per entry; inputs and outputs as JSON) instead of text.
    #[arg(long)]
    pub csv: bool,
}

/// Runs the command.
pub fn run(args: &LogArgs) -> Result<String> {
    let wh = Warehouse::open_read_only(&args.warehouse)?;
    let entries = wh.access_log(args.latest)?;
    drop(wh);
    if args.csv {
        print!("{}", csv(&entries));
    } else {
        for e in &entries {
            print!("{}", text(e));
        }
        if entries.is_empty() {
            println!("the access log of {} is empty", args.warehouse.display());
        }
    }
    Ok(format!("{} entries shown", entries.len()))
}

/// One entry as text: a heading line and indented details.
pub fn text(e: &AccessEntry) -> String {
    let mut s = format!("{}  {}  {}  {}\n    arguments: {}\n", e.logged_at, e.os_user, e.command, e.outcome, e.arguments);
    if !e.inputs.is_empty() {
        s.push_str(&format!("    inputs ({}):\n", e.inputs.len()));
        for i in &e.inputs {
            s.push_str(&format!("      {}  sha256 {}\n", i.file, i.sha256));
        }
    }
    if !e.outputs.is_empty() {
        s.push_str(&format!("    outputs ({}):\n", e.outputs.len()));
        for o in &e.outputs {
            s.push_str(&format!("      {o}\n"));
        }
    }
    if !e.detail.is_empty() {
        s.push_str(&format!("    detail: {}\n", e.detail));
    }
    s
}

/// The entries as CSV.
pub fn csv(entries: &[AccessEntry]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["logged_at", "os_user", "command", "arguments", "inputs", "outputs", "outcome", "detail"]);
    for e in entries {
        let inputs = serde_json::to_string(&e.inputs).unwrap_or_default();
        let outputs = serde_json::to_string(&e.outputs).unwrap_or_default();
        let _ = w.write_record([&e.logged_at, &e.os_user, &e.command, &e.arguments, &inputs, &outputs, &e.outcome, &e.detail]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

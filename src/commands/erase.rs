//! `ndtms-stats erase`: removes one person (by agency and CLIENTID, or by
//! attributor at every agency) from every table of the warehouse in one
//! transaction, then rewrites the file so no page keeps their bytes.

use anyhow::{Context, Result};

use crate::commands::subject_access::SubjectSelector;
use crate::warehouse::erase::{self, Removed};
use crate::warehouse::selection::Selection;
use crate::warehouse::Warehouse;

/// Arguments of `ndtms-stats erase`.
#[derive(Debug, Clone, clap::Args)]
pub struct EraseArgs {
    #[command(flatten)]
    pub selector: SubjectSelector,
    /// Count what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the command; returns the access log's detail (counts only).
pub fn run(args: &EraseArgs) -> Result<String> {
    let wh = open_existing(&args.selector.warehouse)?;
    let (selection, _) = args.selector.resolve(&wh)?;
    let removed = remove_and_compact(wh, &selection, args.dry_run)?;
    print_removed(&removed, args.dry_run);
    Ok(removed.summary())
}

/// Opens a warehouse that must exist already.
pub fn open_existing(path: &std::path::Path) -> Result<Warehouse> {
    if !path.is_file() {
        anyhow::bail!("warehouse {} does not exist (pass --warehouse)", path.display());
    }
    Ok(Warehouse::open(path)?)
}

/// Removes the selection in one transaction (rolled back for a dry run), then compacts the
/// file when anything went.
pub fn remove_and_compact(mut wh: Warehouse, selection: &Selection, dry_run: bool) -> Result<Removed> {
    let tx = wh.conn_mut().transaction().context("starting the transaction")?;
    let removed = erase::remove(&tx, selection)?;
    if dry_run {
        tx.rollback().context("rolling back the dry run")?;
        return Ok(removed);
    }
    tx.commit().context("committing the removal")?;
    if removed.total() > 0 {
        let path = wh.path().to_path_buf();
        wh.compact().with_context(|| format!("rewriting {} without the removed rows", path.display()))?;
    }
    Ok(removed)
}

/// Prints what was (or would be) removed.
pub fn print_removed(removed: &Removed, dry_run: bool) {
    let verb = if dry_run { "would remove (dry run, nothing removed)" } else { "removed" };
    println!("{verb}: {}", removed.summary());
    if !dry_run && !removed.periods.is_empty() {
        println!("build these periods again to count from what remains: {}", removed.periods.join(", "));
    }
}

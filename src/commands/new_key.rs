//! `ndtms-stats new-key --out FILE`: writes a new random warehouse key (32
//! bytes as hex) to a new owner-only file. It never overwrites a file: that
//! would lose the key of the warehouse the file's key encrypts.

use std::path::PathBuf;

use anyhow::Result;

use crate::warehouse::WarehouseKey;

/// Arguments of `ndtms-stats new-key`.
#[derive(Debug, Clone, clap::Args)]
pub struct NewKeyArgs {
    /// The key file to create (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the command.
pub fn run(args: &NewKeyArgs) -> Result<()> {
    WarehouseKey::generate()?.write_new_file(&args.out)?;
    println!("new warehouse key written to {} (owner-only)", args.out.display());
    println!("keep a copy apart from the warehouse and its backups: without the key the warehouse cannot be opened");
    Ok(())
}

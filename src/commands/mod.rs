//! One module per subcommand (as xsv does): each has its clap `Args` and a `run`.

pub mod build;
pub mod demo;
pub mod erase;
pub mod extract;
pub mod load;
pub mod log;
pub mod new_key;
pub mod pack;
pub mod protect;
pub mod provider_report;
pub mod purge;
pub mod release;
pub mod subject_access;
pub mod synth;

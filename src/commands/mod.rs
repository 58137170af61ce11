//! One module per subcommand (as xsv does): each has its clap `Args` and a `run`.

pub mod build;
pub mod demo;
pub mod extract;
pub mod load;
pub mod pack;
pub mod protect;
pub mod provider_report;
pub mod release;
pub mod synth;

//! One module per subcommand (as xsv does): each has its clap `Args` and a `run`.

pub mod build;
pub mod demo;
pub mod load;
pub mod release;
pub mod synth;

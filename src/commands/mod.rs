//! One module per subcommand (as xsv does): each has its clap `Args` and a `run`.

pub mod load;
pub mod synth;

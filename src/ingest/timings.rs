//! Where a load run's time goes, per phase: reading the files, validating
//! them, staging their records for the warehouse, applying them (one
//! transaction per file) and the final checkpoint. `load --timings` prints
//! it; `examples/bench_ingest` prints it with its throughput figures.
//!
//! Reading and validation run on several threads at once, overlapped with
//! the warehouse writes: their figures are thread time summed over threads,
//! so the phases can add up to more than the wall-clock total.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A phase of a load run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Read,
    Validate,
    Stage,
    Apply,
    Checkpoint,
}

impl Phase {
    pub const ALL: [Phase; 5] = [Phase::Read, Phase::Validate, Phase::Stage, Phase::Apply, Phase::Checkpoint];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Read => "read",
            Phase::Validate => "validate",
            Phase::Stage => "stage",
            Phase::Apply => "apply",
            Phase::Checkpoint => "checkpoint",
        }
    }

    /// Whether the phase runs on several threads (its figure is summed thread time).
    pub fn parallel(self) -> bool {
        matches!(self, Phase::Read | Phase::Validate)
    }
}

/// Time spent per phase; safe to add to from several threads.
#[derive(Debug)]
pub struct Timings {
    nanos: [AtomicU64; 5],
    started: Instant,
}

impl Default for Timings {
    fn default() -> Self {
        Timings::new()
    }
}

impl Timings {
    /// Starts the wall clock of the run.
    pub fn new() -> Timings {
        Timings { nanos: Default::default(), started: Instant::now() }
    }

    /// Adds `d` to `phase`.
    pub fn add(&self, phase: Phase, d: Duration) {
        self.nanos[phase as usize].fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Runs `f`, counting its time to `phase`.
    pub fn time<T>(&self, phase: Phase, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.add(phase, t.elapsed());
        out
    }

    /// Seconds spent in `phase`.
    pub fn seconds(&self, phase: Phase) -> f64 {
        self.nanos[phase as usize].load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Wall-clock seconds since the run started.
    pub fn total_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// One line per phase and the total, with rows per second of the whole run.
    pub fn report(&self, rows: u64) -> String {
        let total = self.total_seconds();
        let mut out = String::new();
        for p in Phase::ALL {
            let note = if p.parallel() { "  (thread time, overlapped)" } else { "" };
            out.push_str(&format!("  {:<10} {:>8.2} s{note}\n", p.as_str(), self.seconds(p)));
        }
        let rate = if total > 0.0 { rows as f64 / total } else { 0.0 };
        out.push_str(&format!("  {:<10} {:>8.2} s  ({rows} rows, {rate:.0} rows/s)\n", "total", total));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_accumulate_and_report_every_phase() {
        let t = Timings::new();
        t.add(Phase::Apply, Duration::from_millis(1500));
        t.add(Phase::Apply, Duration::from_millis(500));
        assert!((t.seconds(Phase::Apply) - 2.0).abs() < 1e-9);
        assert_eq!(t.time(Phase::Read, || 7), 7);
        let r = t.report(10);
        for p in Phase::ALL {
            assert!(r.contains(p.as_str()), "{r}");
        }
        assert!(r.contains("2.00 s") && r.contains("10 rows"), "{r}");
    }
}

//! Helpers for the `examples/bench_*` programs: peak memory from
//! `/proc/self/status` and a way to reset it between stages.

/// Peak resident memory of this process (VmHWM) in MiB, if the platform reports it.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak-memory mark (Linux `clear_refs` 5) so the next stage is measured alone.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// "123.4 MiB" or "n/a".
pub fn format_mib(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.0} MiB")).unwrap_or_else(|| "n/a".into())
}

/// Whether the example was asked for its quick (test-sized) run.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
}

/// `--people N` from the command line, or `default` (`quick_default` with `--quick`); a value
/// that is not a number is ignored.
pub fn people(quick_default: usize, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--people")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(if quick() { quick_default } else { default })
}

//! Every program in `examples/` runs as a test, in its quick mode (`--quick`), one test per
//! example so they run in parallel. `cargo test` builds the examples before the tests, so the
//! binaries exist; a test checks that the list below names every file in `examples/`.

use std::path::PathBuf;
use std::process::Command;

/// The examples, by file stem.
const EXAMPLES: [&str; 6] = ["bench_build", "bench_demo", "bench_ingest", "bench_pack", "bench_reference", "bench_sdc"];

fn examples_dir() -> PathBuf {
    // target/<profile>/deps/integration-<hash> -> target/<profile>/examples
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(|p| p.parent()).expect("target dir").join("examples")
}

fn run_quick(name: &str) {
    let bin = examples_dir().join(name);
    assert!(bin.exists(), "example {name} was not built at {}", bin.display());
    let out = Command::new(&bin).arg("--quick").output().expect("run example");
    assert!(
        out.status.success(),
        "example {name} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_list_names_every_example() {
    let mut found: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
        .expect("examples folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("rs"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(found, EXAMPLES, "tests/integration/examples.rs must run every example");
}

#[test]
fn bench_build_runs_in_quick_mode() {
    run_quick("bench_build");
}

#[test]
fn bench_demo_runs_in_quick_mode() {
    run_quick("bench_demo");
}

#[test]
fn bench_ingest_runs_in_quick_mode() {
    run_quick("bench_ingest");
}

#[test]
fn bench_pack_runs_in_quick_mode() {
    run_quick("bench_pack");
}

#[test]
fn bench_reference_runs_in_quick_mode() {
    run_quick("bench_reference");
}

#[test]
fn bench_sdc_runs_in_quick_mode() {
    run_quick("bench_sdc");
}

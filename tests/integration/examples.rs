//! Every program in `examples/` runs as a test, in its quick mode (`--quick`).
//! `cargo test` builds the examples before the tests, so the binaries exist.

use std::path::PathBuf;
use std::process::Command;

fn examples_dir() -> PathBuf {
    // target/<profile>/deps/integration-<hash> -> target/<profile>/examples
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(|p| p.parent()).expect("target dir").join("examples")
}

#[test]
fn every_example_runs_in_quick_mode() {
    let sources = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).expect("examples folder");
    let mut ran = 0;
    for entry in sources {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let bin = examples_dir().join(&name);
        assert!(bin.exists(), "example {name} was not built at {}", bin.display());
        let out = Command::new(&bin).arg("--quick").output().expect("run example");
        assert!(
            out.status.success(),
            "example {name} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran > 0, "no examples found");
}

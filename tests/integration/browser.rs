//! Headless-browser checks of the HTML report: a rendered page is opened
//! from disk in Chromium (`--dump-dom` to see what loaded, `--screenshot`
//! for a picture). Skipped, with a printed message, when no Chromium is
//! installed; CI installs it with `.ci/install-browser.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ndtms_stats::output::{DimensionMeta, GeographyLevel, Marker, OutputTable, TidyRow};
use ndtms_stats::render::{bar_chart, pivot, Axis, BarChart, HtmlRenderer, PageLink, PivotSpec, ReportPage, Section};

/// Browser executables tried in order (after `$CHROMIUM`).
const CANDIDATES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
/// Longest a browser run may take before it is killed.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The Chromium executable, if one is installed.
pub fn chromium() -> Option<PathBuf> {
    let from_env = std::env::var_os("CHROMIUM").map(PathBuf::from).filter(|p| p.is_file());
    from_env.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).flat_map(|dir| CANDIDATES.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
    })
}

/// Runs headless Chromium on `page` with `extra` arguments, returning stdout.
fn run_chromium(browser: &Path, page: &Path, profile: &Path, extra: &[String]) -> Result<String, String> {
    let url = format!("file://{}", page.canonicalize().map_err(|e| format!("{}: {e}", page.display()))?.display());
    let mut command = Command::new(browser);
    command
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1280,2000")
        .args(extra)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().map_err(|e| format!("starting {}: {e}", browser.display()))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let started = Instant::now();
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) if status.success() => break,
            Some(status) => return Err(format!("chromium exited with {status}")),
            None if started.elapsed() > BROWSER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("chromium took longer than {BROWSER_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    reader.join().map_err(|_| "reader thread panicked".to_string())?.map_err(|e| e.to_string())
}

/// The DOM of `page` after it loaded.
pub fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> Result<String, String> {
    run_chromium(browser, page, profile, &["--dump-dom".to_string()])
}

/// Writes a 1280-pixel-wide screenshot of `page` to `png`.
pub fn screenshot(browser: &Path, page: &Path, profile: &Path, png: &Path) -> Result<(), String> {
    run_chromium(browser, page, profile, &[format!("--screenshot={}", png.display())])?;
    let bytes = std::fs::read(png).map_err(|e| format!("{}: {e}", png.display()))?;
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(())
    } else {
        Err(format!("{} is not a PNG", png.display()))
    }
}

const INJECTED: &str = "<script>document.body.setAttribute('data-injected','yes')</script>";

fn sample_table() -> OutputTable {
    let row = |code: &str, name: &str, sex: &str, value: Option<f64>| TidyRow {
        period: "2024-25".into(),
        geography_level: GeographyLevel::Region,
        area_code: code.into(),
        area_name: name.into(),
        categories: vec![sex.into()],
        measure: "in_treatment".into(),
        value,
        marker: if value.is_some() { Marker::None } else { Marker::Confidential },
    };
    OutputTable {
        id: "t01".into(),
        title: "People in treatment by sex".into(),
        measures: vec!["in_treatment".into()],
        dimensions: vec![DimensionMeta::new("sex", ["male", "female"])],
        geography_levels: vec![GeographyLevel::Region],
        additive_geography: true,
        population: "adult".into(),
        notes: vec![],
        rows: vec![
            row("E12000001", "North East", "male", Some(1200.0)),
            row("E12000001", "North East", "female", Some(640.0)),
            row("E12000001", "North East", "Total", Some(1840.0)),
            row("E12000002", INJECTED, "male", Some(3.0 * 1000.0)),
            row("E12000002", INJECTED, "female", None),
            row("E12000002", INJECTED, "Total", None),
        ],
    }
}

fn sample_page() -> ReportPage {
    let spec = PivotSpec {
        caption: "People in treatment by region and sex".into(),
        rows: Axis::Areas(GeographyLevel::Region),
        columns: Axis::Dimension("sex".into()),
        area_code: None,
        measure: Some("in_treatment".into()),
        fixed: BTreeMap::new(),
        measure_labels: BTreeMap::new(),
    };
    let view = pivot(&sample_table(), &spec).expect("view of the sample table");
    let chart = bar_chart(&BarChart {
        id: "by-region".into(),
        title: "Men in treatment by region".into(),
        category_label: "Region".into(),
        value_label: "People in treatment".into(),
        bars: view.column_values(0),
        horizontal: true,
    })
    .expect("chart");
    ReportPage {
        title: "Adult substance misuse treatment statistics".into(),
        kicker: "Official statistics".into(),
        period: "April 2024 to March 2025".into(),
        coverage: "England".into(),
        summary: vec!["A page rendered for the headless-browser test.".into()],
        headlines: vec![],
        sections: vec![Section { id: "regions".into(), heading: "By region".into(), paragraphs: vec![], chart: Some(chart), table: Some(view) }],
        links: vec![PageLink { text: INJECTED.into(), href: "areas/E12000002.html".into() }],
        links_heading: "Figures by region".into(),
        back: None,
        notes: vec![],
        source: "Source: synthetic data.".into(),
        contact: String::new(),
    }
}

#[test]
fn report_page_loads_in_a_headless_browser_with_markup_shown_as_text() {
    let Some(browser) = chromium() else {
        println!("SKIPPED report_page_loads_in_a_headless_browser: no chromium on PATH (run .ci/install-browser.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("index.html");
    let html = HtmlRenderer::embedded().and_then(|r| r.render_index(&sample_page())).expect("rendered page");
    std::fs::write(&page, html).expect("page written");

    let dom = dump_dom(&browser, &page, &dir.path().join("profile")).expect("dump-dom");
    assert!(dom.contains("<table id=\"table-t01\">"), "table missing from DOM");
    assert!(dom.contains("<caption>"), "caption missing");
    assert!(dom.contains("role=\"img\""), "chart missing");
    assert!(dom.contains("[c]"), "marker missing");
    assert!(!dom.contains("data-injected=\"yes\""), "an area name ran as script");
    assert!(dom.contains("&lt;script&gt;"), "the area name is shown as text");

    let png = std::env::var_os("NDTMS_SCREENSHOT").map(PathBuf::from).unwrap_or_else(|| dir.path().join("index.png"));
    screenshot(&browser, &page, &dir.path().join("profile"), &png).expect("screenshot");
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "screenshot suspiciously small: {size} bytes");
}

//! `coroner analyze --format html` in a real browser: headless Chromium loads the page of several
//! dumps with no console errors, shows each dump's verdict, keeps a screenshot in the test output
//! (`target/tmp/analyze-html.png`), and prints each dump from a new page. Skips, saying why, when
//! Chromium is not installed.

use coroner_devdata::browser;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

const DUMPS: [&str; 3] = [
    "examples/reference/w3wp-abcupload-1.dmp",
    "examples/reference/w3wp-abcupload-2.dmp",
    "fixtures/lab/nullwrite-x64.dmp",
];

fn analyze_html(out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .current_dir(root())
        .args(["analyze", "--format", "html", "--no-network", "-o"])
        .arg(out)
        .args(DUMPS)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn analyze_html_renders_and_prints_a_page_per_dump() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("analysis.html");
    analyze_html(&page);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert_eq!(
        html.matches("<section class=\"dump\">").count(),
        DUMPS.len()
    );
    let r = match browser::render(&page) {
        Ok(r) => r,
        Err(why) => {
            eprintln!("SKIP: {why}");
            return;
        }
    };
    assert!(r.console_errors.is_empty(), "{:?}", r.console_errors);
    assert!(r.dom.contains("3 of 3 dumps analysed"), "{}", &r.dom[..500]);
    assert!(r
        .dom
        .contains("INVALID_POINTER_READ_c0000005_ABCUpload4.dll+0x39bf4"));
    assert!(r
        .dom
        .contains("ABCUpload4.dll used a heap that had already been destroyed"));
    assert!(r.dom.contains("Stack (kb)") && r.dom.contains("ntdll!RtlAllocateHeap+0x24"));
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("analyze-html.png");
    browser::screenshot(&page, &shot, 1280, 1600).unwrap();
    eprintln!("screenshot: {}", shot.display());
    let pages = browser::print_pages(&page, &dir.path().join("analysis.pdf")).unwrap();
    assert!(
        pages >= DUMPS.len(),
        "{pages} printed pages for {} dumps",
        DUMPS.len()
    );
}

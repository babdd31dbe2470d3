//! The HTML report in a real browser: headless Chromium loads the page with no console errors
//! and shows the verdict. Skips (with a printed reason) when Chromium is not installed.

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let c = dir.join(name);
            if c.is_file() {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn html_loads_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIP: chromium not found on PATH (apt-get install chromium to run this test)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = coroner_devdata::incident::ExampleParams::default();
    coroner_devdata::incident::write(&dir.path().join("incident"), &p).unwrap();
    let inv = coroner_investigate::investigate(&[dir.path().join("incident")], &Default::default())
        .unwrap();
    let html = coroner_report::investigate::html::render(&inv);
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let profile = dir.path().join("profile");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIP: cannot run {}: {e}", browser.display());
            return;
        }
    };
    let dom = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    if dom.trim().is_empty() {
        eprintln!(
            "SKIP: {} produced no DOM (stderr: {})",
            browser.display(),
            err.lines().last().unwrap_or("")
        );
        return;
    }
    let console: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect();
    assert!(console.is_empty(), "console errors: {console:?}");
    assert!(dom.contains("Analysis summary"));
    assert!(dom.contains(&format!("application pool '{}'", p.pool)));
    assert!(dom.contains("<svg"));
    assert!(dom.contains(&p.upload_url));
}

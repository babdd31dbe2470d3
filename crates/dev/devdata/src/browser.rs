//! Headless Chromium for the HTML reports' tests: load a page, return its DOM and console
//! errors, optionally keep a screenshot. Tests skip (with the reason) when no browser runs here.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the browser made of a page.
pub struct Rendered {
    /// The DOM after load (`--dump-dom`).
    pub dom: String,
    /// Console errors, refused loads and uncaught exceptions from the browser's log.
    pub console_errors: Vec<String>,
}

/// The first Chromium or Chrome on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    names
        .iter()
        .flat_map(|n| dirs.iter().map(move |d| d.join(n)))
        .find(|c| c.is_file())
}

/// Runs headless Chromium on `page` with `args` and a throw-away profile; `Err` says why the
/// browser could not be run.
fn headless(page: &Path, args: &[String]) -> Result<std::process::Output, String> {
    let browser = chromium()
        .ok_or("chromium not found on PATH (apt-get install chromium to run this test)")?;
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", browser.display()))
}

/// The last line the browser wrote to stderr (why it made nothing).
fn last_line(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

/// Loads `page` (a file) in headless Chromium. `Err` says why the browser could not be used
/// (not installed, would not start, printed no DOM): the caller skips with that reason.
pub fn render(page: &Path) -> Result<Rendered, String> {
    let out = headless(page, &["--dump-dom".into()])?;
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    if dom.trim().is_empty() {
        return Err(format!(
            "the browser produced no DOM (stderr: {})",
            last_line(&out)
        ));
    }
    let console_errors = err
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .map(str::to_string)
        .collect();
    Ok(Rendered {
        dom,
        console_errors,
    })
}

/// Saves a screenshot of `page` at `png` (width × height CSS pixels); `Err` as for [`render`].
pub fn screenshot(page: &Path, png: &Path, width: u32, height: u32) -> Result<(), String> {
    let out = headless(
        page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
        ],
    )?;
    match std::fs::metadata(png) {
        Ok(m) if m.len() > 0 => Ok(()),
        _ => Err(format!(
            "no screenshot written (stderr: {})",
            last_line(&out)
        )),
    }
}

/// Prints `page` to the PDF `pdf` as Chromium prints it (A4/Letter default, no header or
/// footer) and returns its page count; `Err` as for [`render`].
pub fn print_pages(page: &Path, pdf: &Path) -> Result<usize, String> {
    let out = headless(
        page,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    )?;
    let bytes = std::fs::read(pdf)
        .map_err(|e| format!("no PDF written ({e}; stderr: {})", last_line(&out)))?;
    // Page objects are `/Type /Page`; the page tree nodes are `/Type /Pages`.
    let all = count(&bytes, b"/Type /Page");
    Ok(all - count(&bytes, b"/Type /Pages"))
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

//! The HTML report in a real browser: headless Chromium loads the page with no console errors
//! and shows the verdict. Skips (with a printed reason) when Chromium is not installed.

use coroner_devdata::browser;

#[test]
fn html_loads_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let p = coroner_devdata::incident::ExampleParams::default();
    coroner_devdata::incident::write(&dir.path().join("incident"), &p).unwrap();
    let inv = coroner_investigate::investigate(&[dir.path().join("incident")], &Default::default())
        .unwrap();
    let html = coroner_report::investigate::html::render(&inv, coroner_report::phrase::Lang::En);
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let r = match browser::render(&page) {
        Ok(r) => r,
        Err(why) => {
            eprintln!("SKIP: {why}");
            return;
        }
    };
    assert!(
        r.console_errors.is_empty(),
        "console errors: {:?}",
        r.console_errors
    );
    assert!(r.dom.contains("Analysis summary"));
    assert!(r.dom.contains(&format!("application pool '{}'", p.pool)));
    assert!(r.dom.contains("<svg"));
    assert!(r.dom.contains(&p.upload_url));
}

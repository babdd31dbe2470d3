//! Writes the bundled example incident: `coroner-incident-example [DIR]` (default
//! `examples/incident`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("examples/incident"));
    let params = coroner_devdata::incident::ExampleParams::default();
    match coroner_devdata::incident::write(&dir, &params) {
        Ok(t) => {
            println!(
                "wrote {}: {} dumps, {} event records, {} W3C requests, {} × 503 AppOffline",
                dir.display(),
                t.dumps.len() + 2 + t.hang_dumps.len(),
                t.event_records + t.app_records,
                t.w3c_requests,
                t.http_503_app_offline
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coroner-incident-example: {e}");
            ExitCode::FAILURE
        }
    }
}

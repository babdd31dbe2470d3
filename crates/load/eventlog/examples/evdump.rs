//! Prints a summary of each event log given on the command line:
//! `cargo run --example evdump -- FILE... [-v]`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    for path in args.iter().filter(|a| *a != "-v") {
        let t = std::time::Instant::now();
        match coroner_eventlog::load(path) {
            Ok(log) => {
                let secs = t.elapsed().as_secs_f64();
                println!(
                    "{path}: {} events, declared {:?}, {} problems, {:.3}s ({:.0} events/s)",
                    log.events.len(),
                    log.records_declared,
                    log.skipped_total,
                    secs,
                    log.events.len() as f64 / secs.max(1e-9)
                );
                for p in log.skipped.iter().take(10) {
                    println!("  problem @{:#x}: {}", p.offset, p.what);
                }
                for e in &log.events {
                    let m = coroner_eventlog::interpret(e);
                    if verbose || m.is_some() {
                        println!("  {:?}", e);
                        if let Some(m) = m {
                            println!("    => {m:?}");
                        }
                    }
                }
            }
            Err(e) => println!("{e}"),
        }
    }
}

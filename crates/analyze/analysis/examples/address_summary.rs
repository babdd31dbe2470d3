//! Benchmark (run by hand): `!address -summary` over a synthetic address space of 100,000
//! regions (`cargo run --release -p coroner-analysis --example address_summary [REGIONS]`).
//! Prints the median and the fastest of 21 runs; the goal is under 20 ms.

#[path = "../tests/common/many_regions.rs"]
mod many;

use coroner_analysis::memory::address_summary;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let snap = many::many_regions(n);
    let mut times: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let s = address_summary(&snap);
            let dt = t.elapsed().as_secs_f64() * 1000.0;
            assert!(s.is_some_and(|s| s.regions == n as u64));
            dt
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "!address -summary over {n} regions: median {:.2} ms, fastest {:.2} ms",
        times[times.len() / 2],
        times[0]
    );
}

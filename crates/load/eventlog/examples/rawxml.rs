//! Prints the evtx crate's XML for record ids given after the file (debug helper).
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let ids: Vec<u64> = a[1..].iter().filter_map(|s| s.parse().ok()).collect();
    let mut p = evtx::EvtxParser::from_path(&a[0]).unwrap();
    for r in p.records().flatten() {
        if ids.is_empty() || ids.contains(&r.event_record_id) {
            println!("{}", r.data);
        }
    }
}

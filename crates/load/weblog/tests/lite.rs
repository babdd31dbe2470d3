//! `Detail::Correlation` keeps the same facts as a full parse, in 32 bytes per request.

use coroner_weblog::{load, load_with, Detail};
use std::path::PathBuf;

#[test]
fn reduced_requests_agree_with_full_ones() {
    let log = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../examples/incident/LogFiles/W3SVC1/ex060314.log");
    let full = load(&log).unwrap();
    let lite = load_with(&log, Detail::Correlation).unwrap();
    assert!(full.requests.len() > 1000);
    assert_eq!(lite.lite.len(), full.requests.len());
    for (f, l) in full.requests.iter().zip(&lite.lite) {
        assert_eq!((f.line, f.time), (l.line, l.time));
        assert_eq!(f.status.unwrap_or(0), l.status);
        assert_eq!(f.substatus.unwrap_or(0), l.substatus);
        assert_eq!(f.win32_status.unwrap_or(0), l.win32_status);
        assert_eq!(f.time_taken_ms, l.time_taken());
        assert_eq!(
            f.site.as_deref(),
            lite.sites.get(usize::from(l.site)).map(String::as_str)
        );
    }
    // Only the broken connections and the slow requests are kept whole, with the fields
    // correlation reports.
    let slow = |r: &coroner_weblog::Request| {
        r.time_taken_ms
            .is_some_and(|t| t >= coroner_weblog::SLOW_REQUEST_MS)
    };
    let notable: Vec<_> = full
        .requests
        .iter()
        .filter(|r| matches!(r.win32_status, Some(64 | 1236)) || slow(r))
        .collect();
    assert!(!notable.is_empty());
    assert_eq!(lite.requests.len(), notable.len());
    for (n, l) in notable.iter().zip(&lite.requests) {
        assert_eq!(
            (&n.method, &n.uri_stem, &n.client_ip),
            (&l.method, &l.uri_stem, &l.client_ip)
        );
    }
    assert_eq!(std::mem::size_of::<coroner_weblog::RequestLite>(), 32);
}

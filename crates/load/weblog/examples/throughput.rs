//! Ingestion throughput on a generated W3C log: `cargo run --release --example throughput [MB]`.
//! (Measurement only; no timed assertions anywhere.)
use coroner_devdata::weblog::{w3c_header, w3c_line, IIS_FIELDS};
use coroner_weblog::{count_statuses, for_each_line, Request};

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let mut text = String::new();
    w3c_header(
        &mut text,
        "Microsoft Internet Information Services 10.0",
        1_614_816_000,
        IIS_FIELDS,
    );
    let mut i = 0u64;
    while text.len() < mb << 20 {
        let r = Request {
            time: 1_614_816_000 + (i / 50) as i64,
            server_ip: Some("10.0.0.5".into()),
            method: Some("GET".into()),
            uri_stem: Some(format!("/shop/item/{}", i % 977)),
            uri_query: i.is_multiple_of(3).then(|| format!("id={i}")),
            port: Some(443),
            client_ip: Some(format!("192.0.2.{}", i % 250)),
            user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36".into()),
            referer: i.is_multiple_of(5).then(|| "https://www.example.com/".into()),
            status: Some([200, 200, 304, 404, 500, 503][(i % 6) as usize]),
            substatus: Some(0),
            win32_status: Some(0),
            sc_bytes: Some(1000 + i % 5000),
            cs_bytes: Some(300 + i % 700),
            time_taken_ms: Some(i % 1500),
            ..Request::default()
        };
        w3c_line(&mut text, IIS_FIELDS, &r);
        i += 1;
    }
    let bytes = text.into_bytes();
    let size = bytes.len() as f64 / 1e6;
    let mut best = [f64::MAX; 3];
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let c = count_statuses(&bytes);
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        assert_eq!(c.requests, i);
        let t = std::time::Instant::now();
        let mut acc = 0i64;
        for_each_line(&bytes, |r| {
            acc = acc.wrapping_add(
                r.time().unwrap_or(0)
                    + i64::from(r.status().unwrap_or(0))
                    + r.time_taken_ms().unwrap_or(0) as i64,
            );
            acc = acc.wrapping_add(
                r.str(coroner_weblog::Field::UriStem)
                    .map_or(0, |s| s.len() as i64),
            );
        });
        best[1] = best[1].min(t.elapsed().as_secs_f64());
        std::hint::black_box(acc);
        let t = std::time::Instant::now();
        let log = coroner_weblog::parse("gen.log".into(), &bytes).unwrap();
        best[2] = best[2].min(t.elapsed().as_secs_f64());
        assert_eq!(log.requests.len() as u64, i);
    }
    println!("{size:.0} MB, {i} lines");
    println!("count_statuses:               {:.0} MB/s", size / best[0]);
    println!(
        "for_each_line + time/status/uri: {:.0} MB/s",
        size / best[1]
    );
    println!("parse (owning Requests):      {:.0} MB/s", size / best[2]);
}

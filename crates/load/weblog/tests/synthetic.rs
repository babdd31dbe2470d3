//! Generated logs: the writer/reader round trip, a ~10 MB log, layout changes, junk.

use std::path::PathBuf;

use coroner_devdata::weblog::{
    httperr_header, httperr_line, w3c_header, w3c_line, HTTPERR_FIELDS, IIS_FIELDS,
};
use coroner_weblog::{
    classify, count_statuses, for_each_line, load, parse, sniff, Error, Field, HttpErr, Kind,
    Request,
};

const T0: i64 = 1_614_816_000; // 2021-03-04 00:00:00 UTC

fn request(i: u64) -> Request {
    let statuses = [200u16, 200, 200, 304, 404, 500, 503, 200, 302, 401];
    let status = statuses[(i % statuses.len() as u64) as usize];
    Request {
        line: 0,
        time: T0 + (i / 50) as i64,
        server_ip: Some("10.0.0.5".into()),
        method: Some(if i.is_multiple_of(7) { "POST" } else { "GET" }.into()),
        uri_stem: Some(format!("/shop/item/{}", i % 977)),
        uri_query: i.is_multiple_of(3).then(|| format!("id={i}&ref=abc")),
        port: Some(443),
        user: i.is_multiple_of(11).then(|| "CONTOSO\\alice".into()),
        client_ip: Some(format!("192.0.2.{}", i % 250)),
        user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36".into()),
        referer: i.is_multiple_of(5).then(|| "https://www.example.com/".into()),
        status: Some(status),
        substatus: Some(if status == 401 { 2 } else { 0 }),
        win32_status: Some(if i.is_multiple_of(97) { 64 } else { 0 }),
        sc_bytes: Some(1000 + i % 5000),
        cs_bytes: Some(300 + i % 700),
        time_taken_ms: Some(i % 1500),
        ..Request::default()
    }
}

/// What the reader gives back for a written request (`+` for spaces, line number set).
fn as_read(mut r: Request, line: u64) -> Request {
    r.line = line;
    r.user_agent = r.user_agent.map(|u| u.replace(' ', "+"));
    r
}

#[test]
fn generated_10mb_log_round_trips() {
    let mut text = String::new();
    w3c_header(
        &mut text,
        "Microsoft Internet Information Services 10.0",
        T0,
        IIS_FIELDS,
    );
    let mut expected = Vec::new();
    let mut i = 0u64;
    while text.len() < 10 << 20 {
        let line = 5 + i;
        w3c_line(&mut text, IIS_FIELDS, &request(i));
        expected.push(as_read(request(i), line));
        i += 1;
    }
    let bytes = text.into_bytes();
    assert_eq!(sniff(&bytes), Some(Kind::W3c));
    let log = parse(PathBuf::from("gen.log"), &bytes).unwrap();
    assert_eq!(log.problems_total, 0);
    assert_eq!(log.requests.len(), expected.len());
    assert_eq!(log.requests, expected);
    let counts = count_statuses(&bytes);
    assert_eq!(counts.requests, i);
    let n503 = expected.iter().filter(|r| r.status == Some(503)).count() as u64;
    assert!(counts.by_status.contains(&(503, n503)));
    println!("generated {} MB, {} requests", bytes.len() >> 20, i);
}

#[test]
fn httperr_round_trip() {
    let mut text = String::new();
    httperr_header(&mut text, T0);
    let e = HttpErr {
        line: 5,
        time: T0 + 61,
        client_ip: Some("fe80::1%12".into()),
        client_port: Some(50123),
        server_ip: Some("10.0.0.5".into()),
        server_port: Some(443),
        version: Some("HTTP/1.1".into()),
        method: Some("GET".into()),
        uri: Some("/shop/".into()),
        stream_id: None,
        status: Some(503),
        site_id: Some(2),
        reason: "AppOffline".into(),
        queue_name: Some("Shop Pool #2".into()),
        queue_name_logged: Some("Shop+Pool+#2".into()),
    };
    httperr_line(&mut text, &e);
    // HTTP.sys's `+` encoding of spaces in the queue name.
    assert!(text.ends_with(" AppOffline Shop+Pool+#2\r\n"), "{text}");
    let log = parse(PathBuf::from("httperr1.log"), text.as_bytes()).unwrap();
    assert_eq!(log.kind, Kind::HttpErr);
    assert_eq!(log.errors, vec![e]);
    // A pool name in Korean, with a '+' of its own: decoded as spaces, matched exactly.
    let mut text = String::new();
    httperr_header(&mut text, T0);
    text.push_str("2006-01-01 00:01:00 10.0.0.9 4000 10.0.0.5 80 HTTP/1.1 GET /pay 503 4 QueueFull 결제+환불+풀\r\n");
    let log = parse(PathBuf::from("httperr2.log"), text.as_bytes()).unwrap();
    let q = &log.errors[0];
    assert_eq!(q.queue_name.as_deref(), Some("결제 환불 풀"));
    assert_eq!(q.queue_name_logged.as_deref(), Some("결제+환불+풀"));
    assert!(coroner_weblog::plus::same_name(
        "결제+환불+풀",
        "결제+환불 풀"
    ));
    assert_eq!(HTTPERR_FIELDS.len(), 13);
}

#[test]
fn header_change_without_date_and_streaming_api() {
    let log = "#Software: Microsoft Internet Information Services 6.0\n#Version: 1.0\n#Date: 2006-01-01 00:00:00\n\
#Fields: time c-ip cs-method cs-uri-stem sc-status\n\
00:00:01 1.2.3.4 GET /a 200\n\
00:00:02 1.2.3.4 GET /b 503\n\
#Date: 2006-01-02 00:00:00\n\
#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-substatus x-custom\n\
2006-01-02 00:00:03 1.2.3.4 GET /c 503 0 hello\n\
garbage\n\
2006-01-02 99:00:03 1.2.3.4 GET /d 500 0 -\n";
    let w = parse(PathBuf::from("x"), log.as_bytes()).unwrap();
    assert_eq!(w.layouts, 2);
    assert_eq!(w.requests.len(), 3);
    assert_eq!(w.requests[0].time, 1_136_073_601);
    assert_eq!(w.requests[2].time, 1_136_160_003);
    assert_eq!(
        w.requests[2].extra,
        vec![("x-custom".to_string(), "hello".to_string())]
    );
    assert_eq!(w.problems_total, 2);
    assert_eq!(w.problems[0].line, 10);
    assert_eq!(w.problems[1].line, 11);
    assert!(w.problems[1].what.contains("date/time"));
    // Streaming: borrowed views, unknown fields by name.
    let mut seen = Vec::new();
    let sum = for_each_line(log.as_bytes(), |r| {
        seen.push((
            r.line,
            r.status(),
            r.str(Field::UriStem).map(str::to_string),
            r.field("X-Custom").map(<[u8]>::to_vec),
        ));
    });
    assert_eq!(sum.records, 4);
    assert_eq!(sum.problems_total, 1);
    assert_eq!(
        seen[2],
        (
            9,
            Some(503),
            Some("/c".to_string()),
            Some(b"hello".to_vec())
        )
    );
    assert_eq!(seen[3].3, None);
}

#[test]
fn junk_and_edge_inputs_are_rejected_or_reported() {
    let dir = std::env::temp_dir().join(format!("coroner-weblog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("u_ex210304.log");
    let mut bin = vec![0x4d, 0x5a, 0x90, 0];
    bin.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(&junk, &bin).unwrap();
    let err = load(&junk).unwrap_err();
    assert!(
        matches!(&err, Error::NotALog { why, .. } if why.to_string().contains("binary")),
        "{err}"
    );
    println!("{err}");
    for (bytes, why) in [
        (&b""[..], "empty"),
        (b"hello world\nthis is text\n", "not a W3C directive"),
        (
            b"#include <stdio.h>\nint main(){}\n",
            "not with a W3C directive",
        ),
        (b"\xff\xfe#\x00S\x00", "UTF-16"),
    ] {
        let e = classify(bytes).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
    // A text log can still be partly broken: one good file next to the junk is fine.
    let good = dir.join("renamed.bin");
    std::fs::write(
        &good,
        "#Fields: date time sc-status\r\n2021-03-04 00:00:00 200\r\n2021-03-04 00:00:01\r\n",
    )
    .unwrap();
    let log = load(&good).unwrap();
    assert_eq!((log.requests.len(), log.problems_total), (1, 1));
    assert!(matches!(
        load(dir.join("missing.log")),
        Err(Error::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
    // Data before any #Fields, too many fields, no trailing newline, BOM.
    let w = parse(
        PathBuf::from("x"),
        "\u{feff}#Version: 1.0\nfoo bar\n#Fields: date time\n2021-03-04 00:00:00".as_bytes(),
    )
    .unwrap();
    assert_eq!((w.requests.len(), w.problems_total, w.lines), (1, 1, 4));
    let many = format!("#Fields: date time\n{}\n", "x ".repeat(100));
    let w = parse(PathBuf::from("x"), many.as_bytes()).unwrap();
    assert!(w.problems[0].what.contains("more than 64"));
}

#[test]
fn mutated_logs_never_panic() {
    let mut text = String::new();
    w3c_header(&mut text, "IIS", T0, IIS_FIELDS);
    for i in 0..20 {
        w3c_line(&mut text, IIS_FIELDS, &request(i));
    }
    let base = text.into_bytes();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let mut b = base.clone();
        for _ in 0..(1 + rnd() % 10) {
            let i = (rnd() as usize) % b.len();
            b[i] = [b' ', b'\n', b'"', b'#', b'-', b'9', rnd() as u8][(rnd() % 7) as usize];
        }
        let _ = parse(PathBuf::from("fuzz"), &b);
        let _ = count_statuses(&b);
    }
}

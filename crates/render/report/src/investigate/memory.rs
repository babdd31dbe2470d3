//! A pool's memory in the incident report: a worker's series of dumps as table rows and an SVG
//! chart of private bytes and heaps over time with the limit drawn across (HTML). The words are
//! the phrasing module's (`phrase::investigate::memory`).

use crate::investigate::html::esc;
use crate::phrase::investigate::memory::chart_labels;
use crate::phrase::Lang;
use coroner_incident::model::{MemorySample, Pool};
use coroner_incident::time::Time;
use std::fmt::Write;

/// `620.9 MB`, `1.08 GB`: sizes as a reader of a memory report wants them (binary units).
pub fn size(n: u64) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    let v = n as f64;
    if v >= 1024.0 * MB {
        format!("{:.2} GB", v / (1024.0 * MB))
    } else if v >= MB {
        format!("{:.1} MB", v / MB)
    } else {
        format!("{:.1} KB", v / 1024.0)
    }
}

/// `1,228,800`: thousands grouped as IIS Manager shows memory limits.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// One row per dump of the series.
pub fn series_rows(p: &Pool) -> Vec<[String; 6]> {
    let opt = |v: Option<u64>| v.map(size).unwrap_or_else(|| "?".into());
    p.memory
        .series
        .iter()
        .map(|x: &MemorySample| {
            [
                x.time.to_string(),
                x.pid.to_string(),
                opt(x.private_bytes),
                opt(x.heap_bytes),
                x.handles
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "?".into()),
                x.finding.unwrap_or("").to_string(),
            ]
        })
        .collect()
}

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 30.0;

/// The SVG chart of a worker's private bytes and heaps over its dumps, with the private-bytes
/// limit as a dashed line and the recycles as ticks (empty without a series).
pub fn svg(p: &Pool, l: Lang) -> String {
    let [private_label, heaps_label, limit_label, recycled_label, aria] = chart_labels(l);
    let m = &p.memory;
    let pts: Vec<(i64, u64, Option<u64>)> = m
        .series
        .iter()
        .filter_map(|x| Some((x.time.0, x.private_bytes?, x.heap_bytes)))
        .collect();
    if pts.len() < 2 {
        return String::new();
    }
    let limit = m.private_limit_kb.map(|k| k.saturating_mul(1024));
    let recycles: Vec<i64> = m.recycles.iter().map(|r| r.time.0).collect();
    let t0 = pts[0]
        .0
        .min(recycles.iter().copied().min().unwrap_or(i64::MAX));
    let t1 = pts[pts.len() - 1]
        .0
        .max(recycles.iter().copied().max().unwrap_or(i64::MIN));
    let top = pts
        .iter()
        .map(|p| p.1.max(p.2.unwrap_or(0)))
        .chain(limit)
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let x = |t: i64| LEFT + (t - t0) as f64 / ((t1 - t0).max(1) as f64) * (W - LEFT - RIGHT);
    let y = |v: u64| TOP + (1.0 - v as f64 / top) * (H - TOP - BOTTOM);
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{aria} {} ({})\" viewBox=\"0 0 {W} {H}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\" font-size=\"11\">\n",
        m.series[0].pid,
        esc(&p.name)
    );
    axes(&mut s, top, t0, t1, &y);
    if let Some(l) = limit {
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c0392b\">{limit_label} {}</text>",
            W - RIGHT,
            y(l),
            y(l),
            W - RIGHT,
            y(l) - 4.0,
            size(l)
        );
    }
    for &t in &recycles {
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#c0392b\" stroke-width=\"1\"><title>{recycled_label} {}</title></line>",
            x(t),
            x(t),
            H - BOTTOM,
            Time(t)
        );
    }
    let line = |vals: Vec<(i64, u64)>, colour: &str, name: &str| -> String {
        let d: Vec<String> = vals
            .iter()
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect();
        let dots: String = vals
            .iter()
            .map(|&(t, v)| {
                format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{name} {} at {}</title></circle>",
                    x(t),
                    y(v),
                    size(v),
                    Time(t)
                )
            })
            .collect();
        format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>{dots}\n",
            d.join(" ")
        )
    };
    s.push_str(&line(
        pts.iter().map(|p| (p.0, p.1)).collect(),
        "#1f5fa8",
        private_label,
    ));
    let heaps: Vec<(i64, u64)> = pts.iter().filter_map(|p| Some((p.0, p.2?))).collect();
    if heaps.len() >= 2 {
        s.push_str(&line(heaps, "#7f8c8d", heaps_label));
    }
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"{}\" fill=\"#1f5fa8\">— {private_label}</text><text x=\"{}\" y=\"{}\" fill=\"#7f8c8d\">— {heaps_label}</text>",
        H - 4.0,
        LEFT + 110.0,
        H - 4.0
    );
    s.push_str("</svg>\n");
    s
}

/// The frame, the value scale and the first and last time.
fn axes(s: &mut String, top: f64, t0: i64, t1: i64, y: &dyn Fn(u64) -> f64) {
    let _ = writeln!(
        s,
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM,
        H - BOTTOM
    );
    for i in 0..=4u64 {
        let v = (top / 1.1 * i as f64 / 4.0) as u64;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y(v) + 4.0,
            size(v)
        );
    }
    let hm = |t: i64| Time(t).to_string().get(11..16).unwrap_or("").to_string();
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} UTC</text>",
        H - BOTTOM + 14.0,
        hm(t0),
        W - RIGHT,
        H - BOTTOM + 14.0,
        hm(t1)
    );
}

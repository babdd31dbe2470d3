//! Colour for the text report on a terminal: dump headings bold, finding severities red, yellow
//! or blue, warnings yellow. Off when stdout is not a terminal or `NO_COLOR` is set to anything
//! (no-color.org). Presentation only: the words are the renderer's, unchanged.

use anstyle::{AnsiColor, Style};
use std::io::IsTerminal;

/// Whether to colour what goes to stdout.
pub fn wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// The text report with ANSI colours on the lines whose shape the text renderer fixes.
pub fn text(report: &str) -> String {
    let mut out = String::with_capacity(report.len() + report.len() / 16);
    for line in report.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match style_of(body) {
            Some((style, n)) => {
                let (head, rest) = body.split_at(n);
                out.push_str(&format!("{style}{head}{style:#}{rest}{nl}"));
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The style of a line and how many of its leading bytes take it.
fn style_of(line: &str) -> Option<(Style, usize)> {
    let color = |c: AnsiColor| Style::new().fg_color(Some(c.into())).bold();
    if line.starts_with("== ") && line.ends_with(" ==") {
        return Some((Style::new().bold(), line.len()));
    }
    if ["WARNING:", "*** WARNING", "경고:"]
        .iter()
        .any(|w| line.starts_with(w))
    {
        return Some((color(AnsiColor::Yellow), line.len()));
    }
    let tags = [
        ("[error]", AnsiColor::Red),
        ("[warning]", AnsiColor::Yellow),
        ("[info]", AnsiColor::Blue),
    ];
    tags.iter()
        .find(|(t, _)| line.starts_with(t))
        .map(|(t, c)| (color(*c), t.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_the_fixed_shapes_and_keeps_the_words() {
        let report = "== a.dmp ==\n[error] x — y\n    [error] inside\nplain\n[info] z";
        let painted = text(report);
        assert!(
            painted.contains("\x1b[1m== a.dmp ==\x1b[0m\n"),
            "{painted:?}"
        );
        assert!(
            painted.contains("\x1b[1m\x1b[31m[error]\x1b[0m x — y\n"),
            "{painted:?}"
        );
        assert!(painted.contains("\n    [error] inside\nplain\n"));
        assert!(painted.ends_with("[info]\x1b[0m z"));
        let stripped: String = painted
            .split('\x1b')
            .enumerate()
            .map(|(i, p)| {
                if i == 0 {
                    p
                } else {
                    p.split_once('m').map_or(p, |x| x.1)
                }
            })
            .collect();
        assert_eq!(stripped, report);
    }
}

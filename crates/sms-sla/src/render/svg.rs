//! Small inline SVG charts, hand-written so the page needs nothing else.

use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn open(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/><text x="{LEFT}" y="18" font-size="13" font-family="sans-serif">{t}</text>"##,
        t = esc(title)
    );
}

/// One line series: name, colour, value per x position (`None` = gap).
pub(crate) struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub values: Vec<Option<f64>>,
}

/// A horizontal reference line.
pub(crate) struct RefLine<'a> {
    pub label: String,
    pub color: &'a str,
    pub value: f64,
}

fn y_axis(out: &mut String, lo: f64, hi: f64, unit: &str) {
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * (H - TOP - BOTTOM);
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" font-family="sans-serif">{v:.2}{unit}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y(v) + 3.0,
            y = y(v)
        );
    }
}

/// Daily rates (percent) against target lines.
pub(crate) fn lines(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    refs: &[RefLine],
) -> String {
    let mut out = String::new();
    open(&mut out, title);
    let values = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(refs.iter().map(|r| r.value));
    let lo = values.fold(100.0_f64, f64::min);
    let lo = ((lo - 0.5).floor()).clamp(0.0, 99.0);
    let hi = 100.0;
    y_axis(&mut out, lo, hi, "%");
    let n = x_labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            LEFT + (W - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + (hi - v.clamp(lo, hi)) / (hi - lo) * (H - TOP - BOTTOM);
    let step = n.div_ceil(10).max(1);
    for (i, l) in x_labels.iter().enumerate().step_by(step) {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" font-family="sans-serif">{}</text>"#,
            x(i),
            H - BOTTOM + 14.0,
            esc(l)
        );
    }
    for r in refs {
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{c}" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="{c}" font-family="sans-serif">{}</text>"#,
            W - RIGHT,
            W - RIGHT,
            y(r.value) - 3.0,
            esc(&r.label),
            y = y(r.value),
            c = r.color
        );
    }
    for (k, s) in series.iter().enumerate() {
        let pts: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if pts.len() > 1 {
            let _ = write!(
                out,
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                s.color,
                pts.join(" ")
            );
        }
        for p in &pts {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                out,
                r#"<circle cx="{px}" cy="{py}" r="2.5" fill="{}"/>"#,
                s.color
            );
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-size="11" fill="{}" font-family="sans-serif">{}</text>"#,
            LEFT + 10.0 + 160.0 * k as f64,
            H - 8.0,
            s.color,
            esc(s.name)
        );
    }
    out.push_str("</svg>");
    out
}

/// Cumulative share (0–100%) against latency in seconds, with a vertical threshold line.
pub(crate) fn cdf(title: &str, points: &[(f64, f64)], threshold_s: f64, max_s: f64) -> String {
    let mut out = String::new();
    open(&mut out, title);
    y_axis(&mut out, 0.0, 100.0, "%");
    let max_s = max_s.max(threshold_s * 1.5).max(1.0);
    let x = |s: f64| LEFT + (W - LEFT - RIGHT) * (s.min(max_s) / max_s);
    let y = |v: f64| TOP + (100.0 - v.clamp(0.0, 100.0)) / 100.0 * (H - TOP - BOTTOM);
    for i in 0..=5 {
        let s = max_s * f64::from(i) / 5.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" font-family="sans-serif">{s:.1} s</text>"#,
            x(s),
            H - BOTTOM + 14.0
        );
    }
    let mut pts = vec![format!("{:.1},{:.1}", x(0.0), y(0.0))];
    pts.extend(
        points
            .iter()
            .filter(|(s, _)| *s <= max_s)
            .map(|(s, v)| format!("{:.1},{:.1}", x(*s), y(*v))),
    );
    let _ = write!(
        out,
        r##"<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{}"/>"##,
        pts.join(" ")
    );
    let tx = x(threshold_s);
    let _ = write!(
        out,
        r##"<line x1="{tx:.1}" x2="{tx:.1}" y1="{TOP}" y2="{}" stroke="#d62728" stroke-dasharray="6 4"/><text x="{:.1}" y="{}" font-size="10" fill="#d62728" font-family="sans-serif">{threshold_s} s threshold</text>"##,
        H - BOTTOM,
        tx + 4.0,
        TOP + 12.0
    );
    out.push_str("</svg>");
    out
}

/// Horizontal bars: label and count.
pub(crate) fn bars(title: &str, bars: &[(String, u64)]) -> String {
    let mut out = String::new();
    open(&mut out, title);
    if bars.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{}" font-size="12" font-family="sans-serif">no failures</text>"#,
            H / 2.0
        );
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let label_w = 200.0;
    let rows = bars.len().clamp(1, 10);
    let row_h = (H - TOP - 12.0) / rows as f64;
    for (i, (label, n)) in bars.iter().take(10).enumerate() {
        let y = TOP + row_h * i as f64;
        let w = (W - RIGHT - label_w - 60.0) * (*n as f64 / max);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text><rect x="{label_w}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="#ff7f0e"/><text x="{:.1}" y="{:.1}" font-size="11" font-family="sans-serif">{n}</text>"##,
            label_w - 6.0,
            y + row_h * 0.6,
            esc(label),
            y + row_h * 0.15,
            row_h * 0.7,
            label_w + w + 4.0,
            y + row_h * 0.6
        );
    }
    out.push_str("</svg>");
    out
}

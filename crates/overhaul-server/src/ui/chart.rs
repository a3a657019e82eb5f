//! Charts drawn on the server as SVG, so the pages need no charting script: line and step plots,
//! a Pareto bar chart with its cumulative line, a Weibull probability plot (log time against
//! ln(−ln(1−F))), and survival curves with a confidence band.
//!
//! Every coordinate written out passes through [`Scale::map`], which refuses values the axis
//! cannot show (≤ 0 on a log axis, F outside (0, 1) on a Weibull axis, NaN, ∞); a chart with
//! nothing left to draw says "not enough data" instead of drawing an empty or broken frame.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 52.0;
/// Line colours, distinguishable for the common forms of colour blindness (Okabe–Ito).
const PALETTE: [&str; 6] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
];

/// How values are placed along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Linear,
    /// Base-10 logarithm; only positive values.
    Log,
    /// Weibull probability paper: F in (0, 1) placed at ln(−ln(1 − F)).
    Weibull,
}

impl Axis {
    /// The value's position before scaling, or `None` when this axis cannot show it.
    pub fn transform(self, v: f64) -> Option<f64> {
        let t = match self {
            Axis::Linear => v,
            Axis::Log if v > 0.0 => v.log10(),
            Axis::Weibull if v > 0.0 && v < 1.0 => (-(1.0 - v).ln()).ln(),
            _ => return None,
        };
        t.is_finite().then_some(t)
    }
}

/// Maps a data range onto a pixel range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    axis: Axis,
    t0: f64,
    t1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    /// `None` when the domain is empty, inverted or not showable on this axis.
    pub fn new(axis: Axis, d0: f64, d1: f64, r0: f64, r1: f64) -> Option<Scale> {
        let (t0, t1) = (axis.transform(d0)?, axis.transform(d1)?);
        (t1 > t0 && r0.is_finite() && r1.is_finite()).then_some(Scale {
            axis,
            t0,
            t1,
            r0,
            r1,
        })
    }

    /// Pixel position of `v`, or `None` when it cannot be shown. Values outside the domain are
    /// placed outside the range (the plot area clips them).
    pub fn map(&self, v: f64) -> Option<f64> {
        let t = self.axis.transform(v)?;
        let p = self.r0 + (t - self.t0) / (self.t1 - self.t0) * (self.r1 - self.r0);
        p.is_finite().then_some(p)
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) that cuts `span` into about `target` pieces.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if !span.is_finite() || span <= 0.0 || target == 0 {
        return 1.0;
    }
    let raw = span / target as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Ticks at multiples of a nice step, from the multiple at or below `min` to the one at or
/// above `max` (so the ends of the axis are ticks).
pub fn linear_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite()) || max < min {
        return vec![];
    }
    let (min, max) = if max == min {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        (min - pad, max + pad)
    } else {
        (min, max)
    };
    let step = nice_step(max - min, target);
    let first = (min / step).floor() as i64;
    let last = (max / step).ceil() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            // 0.1 * 3 = 0.30000000000000004: round to the step's precision.
            let digits = (-step.log10().floor()).max(0.0) as i32;
            let p = 10f64.powi(digits);
            (v * p).round() / p
        })
        .collect()
}

/// Decades covering `[min, max]` (both > 0); with fewer than three decades, 2 and 5 within each
/// decade too.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max >= min && max.is_finite()) {
        return vec![];
    }
    let lo = min.log10().floor() as i32;
    let hi = (max.log10().ceil() as i32).max(lo + 1);
    let mut out = Vec::new();
    for e in lo..=hi {
        let base = 10f64.powi(e);
        out.push(base);
        if hi - lo < 3 && e < hi {
            out.push(2.0 * base);
            out.push(5.0 * base);
        }
    }
    out
}

/// Fractions failed marked on Weibull paper, 0.1 % to 99.9 %.
const WEIBULL_TICKS: [f64; 14] = [
    0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.632, 0.8, 0.9, 0.95, 0.99, 0.999,
];

/// Ticks of a Weibull probability axis covering `[min, max]`: the marked fractions inside,
/// plus the nearest marked fraction on each side.
pub fn weibull_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max < 1.0 && max >= min) {
        return vec![];
    }
    let lo = WEIBULL_TICKS.iter().rposition(|t| *t <= min).unwrap_or(0);
    let hi = WEIBULL_TICKS
        .iter()
        .position(|t| *t >= max)
        .unwrap_or(WEIBULL_TICKS.len() - 1);
    WEIBULL_TICKS[lo..=hi.max(lo + 1).min(WEIBULL_TICKS.len() - 1)].to_vec()
}

/// How a series is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    Line,
    /// Holds each value until the next point (survival curves, cumulative counts).
    Step,
    Points,
    /// A shaded band between the series' points (lower) and these upper values, stepwise.
    StepBand(Vec<f64>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub mark: Mark,
    pub points: Vec<(f64, f64)>,
    /// Dashed line (fits and bounds, as opposed to observations).
    pub dashed: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, mark: Mark, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            mark,
            points,
            dashed: false,
        }
    }
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// An x–y chart.
#[derive(Debug, Clone)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    /// A fixed y range (e.g. 0–1 for survival); otherwise from the data.
    pub y_range: Option<(f64, f64)>,
    /// Names for x = 0, 1, 2, … (periods); replaces numeric x ticks.
    pub x_names: Option<Vec<String>>,
    pub series: Vec<Series>,
}

impl Plot {
    pub fn new(title: impl Into<String>, x_label: &str, y_label: &str) -> Self {
        Plot {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_axis: Axis::Linear,
            y_axis: Axis::Linear,
            y_range: None,
            x_names: None,
            series: vec![],
        }
    }
}

/// Escapes text for SVG/XML content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A tick label: short, no needless zeros ("0.5", "20", "1.5k", "2M").
pub fn tick_label(v: f64, axis: Axis) -> String {
    if axis == Axis::Weibull {
        let p = v * 100.0;
        return if (p - p.round()).abs() < 1e-9 {
            format!("{p:.0}%")
        } else {
            format!("{}%", trim(format!("{p:.1}")))
        };
    }
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.1}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 1.0 || a == 0.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.4}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// One decimal is enough for pixels.
fn px(v: f64) -> String {
    format!("{v:.1}")
}

fn open_svg(out: &mut String, id: &str, title: &str, summary: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc><text x="{cx}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="currentColor">{t}</text>"#,
        w = WIDTH,
        h = HEIGHT,
        id = esc(id),
        t = esc(title),
        d = esc(summary),
        cx = px(WIDTH / 2.0),
    );
}

/// The chart's frame with a message in place of data.
pub fn not_enough_data(id: &str, title: &str, why: &str) -> String {
    let mut out = String::new();
    open_svg(&mut out, id, title, &format!("Not enough data: {why}"));
    let _ = write!(
        out,
        r##"<rect x="{l}" y="{t}" width="{w}" height="{h}" fill="none" stroke="#bbb" stroke-dasharray="4 4"/><text x="{cx}" y="{cy}" text-anchor="middle" font-size="14" fill="#666">Not enough data</text><text x="{cx}" y="{cy2}" text-anchor="middle" font-size="12" fill="#666">{why}</text></svg>"##,
        l = LEFT,
        t = TOP,
        w = WIDTH - LEFT - RIGHT,
        h = HEIGHT - TOP - BOTTOM,
        cx = px(WIDTH / 2.0),
        cy = px(HEIGHT / 2.0),
        cy2 = px(HEIGHT / 2.0 + 20.0),
        why = esc(why),
    );
    out
}

/// The domain and ticks of an axis for the given data values.
fn axis_ticks(axis: Axis, vals: &[f64], fixed: Option<(f64, f64)>) -> Option<(f64, f64, Vec<f64>)> {
    let shown: Vec<f64> = vals
        .iter()
        .copied()
        .filter(|v| axis.transform(*v).is_some())
        .collect();
    let (min, max) = match fixed {
        Some(r) => r,
        None => {
            let min = shown.iter().copied().fold(f64::INFINITY, f64::min);
            let max = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !(min.is_finite() && max.is_finite()) {
                return None;
            }
            (min, max)
        }
    };
    let ticks = match axis {
        Axis::Linear => linear_ticks(min, max, 5),
        Axis::Log => log_ticks(min, max),
        Axis::Weibull => weibull_ticks(min, max),
    };
    let (lo, hi) = match fixed {
        Some(r) => r,
        None => (
            ticks.first().copied().unwrap_or(min).min(min),
            ticks.last().copied().unwrap_or(max).max(max),
        ),
    };
    (axis.transform(lo).is_some() && axis.transform(hi).is_some() && hi > lo)
        .then_some((lo, hi, ticks))
}

/// Renders an x–y plot; `id` must be unique on the page (it names the title for screen readers).
pub fn plot(id: &str, p: &Plot) -> String {
    let xs: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|q| q.0))
        .collect();
    let mut ys: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|q| q.1))
        .collect();
    for s in &p.series {
        if let Mark::StepBand(up) = &s.mark {
            ys.extend(up);
        }
    }
    let drawable = p.series.iter().any(|s| {
        s.points
            .iter()
            .any(|(x, y)| p.x_axis.transform(*x).is_some() && p.y_axis.transform(*y).is_some())
    });
    if !drawable {
        return not_enough_data(id, &p.title, "no values to plot");
    }
    let x_fixed = p
        .x_names
        .as_ref()
        .map(|n| (-0.5, n.len().max(1) as f64 - 0.5));
    let (Some((x0, x1, xt)), Some((y0, y1, yt))) = (
        axis_ticks(p.x_axis, &xs, x_fixed),
        axis_ticks(p.y_axis, &ys, p.y_range),
    ) else {
        return not_enough_data(id, &p.title, "the values span no range");
    };
    let (pl, pr, pt, pb) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
    let (Some(sx), Some(sy)) = (
        Scale::new(p.x_axis, x0, x1, pl, pr),
        Scale::new(p.y_axis, y0, y1, pb, pt),
    ) else {
        return not_enough_data(id, &p.title, "the values span no range");
    };
    let summary = format!(
        "{} against {}; {}. The numbers are in the table below the chart.",
        p.y_label,
        p.x_label,
        p.series
            .iter()
            .map(|s| format!("{} ({} points)", s.name, s.points.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out = String::new();
    open_svg(&mut out, id, &p.title, &summary);
    let clip = format!("{}-clip", esc(id));
    let _ = write!(
        out,
        r#"<defs><clipPath id="{clip}"><rect x="{l}" y="{t}" width="{w}" height="{h}"/></clipPath></defs>"#,
        l = px(pl),
        t = px(pt),
        w = px(pr - pl),
        h = px(pb - pt),
    );
    // grid and ticks
    out.push_str(r##"<g font-size="11" fill="#555">"##);
    for v in &yt {
        if let Some(y) = sy.map(*v).filter(|y| *y >= pt - 0.5 && *y <= pb + 0.5) {
            let _ = write!(
                out,
                r##"<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="#e3e3e3"/><text x="{tx}" y="{ty}" text-anchor="end">{lab}</text>"##,
                l = px(pl),
                r = px(pr),
                y = px(y),
                tx = px(pl - 6.0),
                ty = px(y + 4.0),
                lab = esc(&tick_label(*v, p.y_axis)),
            );
        }
    }
    let x_ticks: Vec<(f64, String)> = match &p.x_names {
        Some(names) => {
            let every = names.len().div_ceil(12).max(1);
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(i, n)| (i as f64, n.clone()))
                .collect()
        }
        None => xt.iter().map(|v| (*v, tick_label(*v, p.x_axis))).collect(),
    };
    for (v, lab) in &x_ticks {
        if let Some(x) = sx.map(*v).filter(|x| *x >= pl - 0.5 && *x <= pr + 0.5) {
            let _ = write!(
                out,
                r##"<line x1="{x}" x2="{x}" y1="{t}" y2="{b}" stroke="#eee"/><text x="{x}" y="{ty}" text-anchor="middle">{lab}</text>"##,
                x = px(x),
                t = px(pt),
                b = px(pb),
                ty = px(pb + 16.0),
                lab = esc(lab),
            );
        }
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r##"<rect x="{l}" y="{t}" width="{w}" height="{h}" fill="none" stroke="#888"/><text x="{cx}" y="{by}" text-anchor="middle" font-size="12" fill="currentColor">{xl}</text><text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" font-size="12" fill="currentColor">{yl}</text>"##,
        l = px(pl),
        t = px(pt),
        w = px(pr - pl),
        h = px(pb - pt),
        cx = px((pl + pr) / 2.0),
        by = px(HEIGHT - 10.0),
        cy = px((pt + pb) / 2.0),
        xl = esc(&p.x_label),
        yl = esc(&p.y_label),
    );
    let _ = write!(out, r#"<g clip-path="url(#{clip})">"#);
    for (i, s) in p.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|(x, y)| Some((sx.map(*x)?, sy.map(*y)?)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let dash = if s.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        match &s.mark {
            Mark::Line => {
                let d: Vec<String> = pts
                    .iter()
                    .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                    .collect();
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                    d.join(" ")
                );
                if pts.len() == 1 {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3" fill="{colour}"/>"#,
                        px(pts[0].0),
                        px(pts[0].1)
                    );
                }
            }
            Mark::Step => {
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                    step_points(&pts).join(" ")
                );
            }
            Mark::Points => {
                for (x, y) in &pts {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3.5" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
                        px(*x),
                        px(*y)
                    );
                }
            }
            Mark::StepBand(upper) => {
                let lower: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .zip(upper)
                    .filter_map(|((x, lo), up)| Some((sx.map(*x)?, sy.map(*lo)?, sy.map(*up)?)))
                    .map(|(x, lo, _)| (x, lo))
                    .collect();
                let upper: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .zip(upper)
                    .filter_map(|((x, lo), up)| Some((sx.map(*x)?, sy.map(*lo)?, sy.map(*up)?)))
                    .map(|(x, _, up)| (x, up))
                    .collect();
                if lower.is_empty() {
                    continue;
                }
                let mut ring = step_points(&lower);
                let mut top = step_points(&upper);
                top.reverse();
                ring.extend(top);
                let _ = write!(
                    out,
                    r#"<polygon points="{}" fill="{colour}" fill-opacity="0.18" stroke="none"/>"#,
                    ring.join(" ")
                );
            }
        }
    }
    out.push_str("</g>");
    legend(&mut out, p.series.iter().map(|s| s.name.as_str()));
    out.push_str("</svg>");
    out
}

fn step_points(pts: &[(f64, f64)]) -> Vec<String> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, (x, y)) in pts.iter().enumerate() {
        if i > 0 {
            out.push(format!("{},{}", px(*x), px(pts[i - 1].1)));
        }
        out.push(format!("{},{}", px(*x), px(*y)));
    }
    out
}

fn legend<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    let mut x = LEFT;
    for (i, name) in names.enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/><text x="{tx}" y="{ty}" font-size="11" fill="currentColor">{n}</text>"#,
            x = px(x),
            y = px(TOP - 14.0),
            tx = px(x + 14.0),
            ty = px(TOP - 5.0),
            n = esc(name),
        );
        x += 22.0 + 6.5 * name.chars().count() as f64;
    }
}

/// A Pareto chart: bars largest first (as given), a cumulative-percentage line on a right-hand
/// 0–100 % axis.
pub fn pareto(id: &str, title: &str, value_label: &str, bars: &[(String, f64)]) -> String {
    let bars: Vec<&(String, f64)> = bars
        .iter()
        .filter(|(_, v)| v.is_finite() && *v >= 0.0)
        .collect();
    let total: f64 = bars.iter().map(|b| b.1).sum();
    if bars.is_empty() || total <= 0.0 {
        return not_enough_data(id, title, "nothing to rank in this period");
    }
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let ticks = linear_ticks(0.0, max, 5);
    let top = ticks.last().copied().unwrap_or(max).max(max);
    let (pl, pr, pt, pb) = (LEFT, WIDTH - 48.0, TOP, HEIGHT - BOTTOM - 20.0);
    let (Some(sy), Some(sp)) = (
        Scale::new(Axis::Linear, 0.0, top, pb, pt),
        Scale::new(Axis::Linear, 0.0, 100.0, pb, pt),
    ) else {
        return not_enough_data(id, title, "nothing to rank in this period");
    };
    let mut out = String::new();
    open_svg(
        &mut out,
        id,
        title,
        &format!(
            "{} bars of {value_label}, largest first, with the cumulative share; the numbers are in the table below the chart.",
            bars.len()
        ),
    );
    out.push_str(r##"<g font-size="11" fill="#555">"##);
    for v in &ticks {
        if let Some(y) = sy.map(*v) {
            let _ = write!(
                out,
                r##"<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="#e3e3e3"/><text x="{tx}" y="{ty}" text-anchor="end">{lab}</text>"##,
                l = px(pl),
                r = px(pr),
                y = px(y),
                tx = px(pl - 6.0),
                ty = px(y + 4.0),
                lab = esc(&tick_label(*v, Axis::Linear)),
            );
        }
    }
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        if let Some(y) = sp.map(v) {
            let _ = write!(
                out,
                r#"<text x="{tx}" y="{ty}">{v:.0}%</text>"#,
                tx = px(pr + 6.0),
                ty = px(y + 4.0),
            );
        }
    }
    out.push_str("</g>");
    let slot = (pr - pl) / bars.len() as f64;
    let mut cum = 0.0;
    let mut line = Vec::new();
    for (i, (name, v)) in bars.iter().enumerate() {
        let x = pl + slot * i as f64;
        let (Some(y), Some(y_zero)) = (sy.map(*v), sy.map(0.0)) else {
            continue;
        };
        cum += v;
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"><title>{n}: {val}</title></rect>"##,
            x = px(x + slot * 0.15),
            y = px(y),
            w = px(slot * 0.7),
            h = px((y_zero - y).max(0.0)),
            c = PALETTE[0],
            n = esc(name),
            val = esc(&tick_label(*v, Axis::Linear)),
        );
        if let Some(yc) = sp.map(cum / total * 100.0) {
            line.push(format!("{},{}", px(x + slot / 2.0), px(yc)));
        }
        if bars.len() <= 15 {
            let short: String = name.chars().take(14).collect();
            let _ = write!(
                out,
                r##"<text transform="translate({x} {y}) rotate(-35)" text-anchor="end" font-size="10" fill="#555">{n}</text>"##,
                x = px(x + slot / 2.0),
                y = px(pb + 12.0),
                n = esc(&short),
            );
        }
    }
    let _ = write!(
        out,
        r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/><rect x="{l}" y="{t}" width="{w}" height="{h}" fill="none" stroke="#888"/><text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" font-size="12" fill="currentColor">{yl}</text>"##,
        line.join(" "),
        PALETTE[1],
        l = px(pl),
        t = px(pt),
        w = px(pr - pl),
        h = px(pb - pt),
        cy = px((pt + pb) / 2.0),
        yl = esc(value_label),
    );
    legend(&mut out, [value_label, "cumulative share"].iter().copied());
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        // span / target → raw step → nice step
        let cases = [
            (97.0, 5, 20.0),     // 19.4 → 2 × 10
            (10.0, 5, 2.0),      // 2 → 2
            (1.0, 4, 0.2),       // 0.25 → 2 × 0.1
            (7000.0, 5, 1000.0), // 1400 → 1 × 1000
            (0.03, 3, 0.01),     // 0.01
            (45.0, 5, 10.0),     // 9 → 10
            (35.0, 10, 5.0),     // 3.5 → 5
        ];
        for (span, target, want) in cases {
            assert!(close(nice_step(span, target), want), "{span}/{target}");
        }
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(nice_step(f64::NAN, 5), 1.0);
    }

    #[test]
    fn linear_ticks_cover_the_data_with_round_ends() {
        assert_eq!(
            linear_ticks(0.0, 97.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            linear_ticks(3.0, 17.0, 5),
            vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
        );
        // 0.1 steps come out exact, not 0.30000000000000004
        assert_eq!(
            linear_ticks(0.0, 0.5, 5),
            vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
        );
        // a single value gets a range around it
        // 5 ± 0.5 cut into steps of 0.2
        assert_eq!(
            linear_ticks(5.0, 5.0, 4),
            vec![4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]
        );
        assert_eq!(linear_ticks(0.0, 0.0, 2), vec![-1.0, 0.0, 1.0]);
        assert!(linear_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(linear_ticks(2.0, 1.0, 5).is_empty());
    }

    #[test]
    fn log_ticks_are_decades_with_two_and_five_when_few() {
        assert_eq!(
            log_ticks(3.0, 4500.0),
            vec![1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
        assert_eq!(
            log_ticks(20.0, 300.0),
            vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        );
        // a single value still gets a decade
        assert_eq!(log_ticks(100.0, 100.0), vec![100.0, 200.0, 500.0, 1000.0]);
        assert!(log_ticks(0.0, 10.0).is_empty());
        assert!(log_ticks(-1.0, 10.0).is_empty());
    }

    #[test]
    fn weibull_axis_places_the_characteristic_life_at_zero() {
        // ln(−ln(1 − 0.632)) = ln(−ln 0.368) = ln(0.99967…) ≈ −0.0003
        assert!(
            Axis::Weibull
                .transform(1.0 - (-1.0f64).exp())
                .unwrap()
                .abs()
                < 1e-12
        );
        // F = 0.5: ln(ln 2) = −0.36651
        assert!((Axis::Weibull.transform(0.5).unwrap() + 0.366_512_920_6).abs() < 1e-9);
        assert_eq!(Axis::Weibull.transform(0.0), None);
        assert_eq!(Axis::Weibull.transform(1.0), None);
        assert_eq!(Axis::Log.transform(0.0), None);
        assert_eq!(Axis::Linear.transform(f64::INFINITY), None);
        assert_eq!(
            weibull_ticks(0.04, 0.7),
            vec![0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.632, 0.8]
        );
        assert_eq!(weibull_ticks(0.5, 0.5), vec![0.5, 0.632]);
        assert!(weibull_ticks(0.0, 0.5).is_empty());
    }

    #[test]
    fn scales_map_ends_to_ends_and_refuse_what_they_cannot_show() {
        let s = Scale::new(Axis::Linear, 0.0, 100.0, 300.0, 40.0).unwrap();
        assert!(close(s.map(0.0).unwrap(), 300.0));
        assert!(close(s.map(100.0).unwrap(), 40.0));
        assert!(close(s.map(25.0).unwrap(), 235.0));
        let l = Scale::new(Axis::Log, 1.0, 1000.0, 0.0, 300.0).unwrap();
        assert!(close(l.map(10.0).unwrap(), 100.0));
        assert!(close(l.map(100.0).unwrap(), 200.0));
        assert_eq!(l.map(0.0), None);
        assert_eq!(l.map(f64::NAN), None);
        assert_eq!(Scale::new(Axis::Linear, 1.0, 1.0, 0.0, 1.0), None);
        assert_eq!(Scale::new(Axis::Log, 0.0, 10.0, 0.0, 1.0), None);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.0, Axis::Linear), "0");
        assert_eq!(tick_label(20.0, Axis::Linear), "20");
        assert_eq!(tick_label(2.5, Axis::Linear), "2.5");
        assert_eq!(tick_label(0.25, Axis::Linear), "0.25");
        assert_eq!(tick_label(15000.0, Axis::Log), "15k");
        assert_eq!(tick_label(2_000_000.0, Axis::Linear), "2M");
        assert_eq!(tick_label(0.632, Axis::Weibull), "63.2%");
        assert_eq!(tick_label(0.05, Axis::Weibull), "5%");
    }

    fn assert_clean(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        for bad in ["NaN", "inf", "undefined"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
    }

    #[test]
    fn plots_never_write_nan_and_say_when_there_is_nothing() {
        let mut p = Plot::new("MTBF <trend>", "period", "hours");
        let empty = plot("a", &p);
        assert_clean(&empty);
        assert!(empty.contains("Not enough data"));
        assert!(empty.contains("MTBF &lt;trend&gt;"));
        // only unplottable values on a log axis
        p.x_axis = Axis::Log;
        p.series = vec![Series::new(
            "bad",
            Mark::Line,
            vec![(0.0, 1.0), (f64::NAN, 2.0), (-3.0, f64::INFINITY)],
        )];
        let bad = plot("b", &p);
        assert_clean(&bad);
        assert!(bad.contains("Not enough data"));
        // one good point among bad ones is drawn, the bad ones dropped
        p.series[0].points.push((10.0, 5.0));
        let one = plot("c", &p);
        assert_clean(&one);
        assert!(!one.contains("Not enough data"));
        assert!(one.contains("<circle"));
        assert!(one.contains(r#"aria-labelledby="c-t c-d""#));
    }

    #[test]
    fn step_and_band_draw_corners() {
        // points (0,1) (10,0.5): the step goes across at 1 then down
        let pts = [(0.0, 1.0), (10.0, 0.5)];
        assert_eq!(step_points(&pts), vec!["0.0,1.0", "10.0,1.0", "10.0,0.5"]);
        let mut p = Plot::new("Survival", "hours", "R");
        p.y_range = Some((0.0, 1.0));
        p.series = vec![
            Series::new(
                "band",
                Mark::StepBand(vec![1.0, 0.8]),
                vec![(0.0, 1.0), (10.0, 0.2)],
            ),
            Series::new("KM", Mark::Step, vec![(0.0, 1.0), (10.0, 0.5)]),
        ];
        let svg = plot("s", &p);
        assert_clean(&svg);
        assert!(svg.contains("<polygon") && svg.contains("<polyline"));
    }

    #[test]
    fn pareto_needs_something_to_rank() {
        assert!(pareto("p", "Bad actors", "hours", &[]).contains("Not enough data"));
        let zero = pareto("p", "Bad actors", "hours", &[("A".into(), 0.0)]);
        assert!(zero.contains("Not enough data"));
        let svg = pareto(
            "p",
            "Bad actors",
            "hours",
            &[
                ("P-101".into(), 30.0),
                ("P-102".into(), 10.0),
                ("x".into(), f64::NAN),
            ],
        );
        assert_clean(&svg);
        assert_eq!(svg.matches("<rect x=").count(), 2 + 1 + 2); // 2 bars, frame, 2 legend keys
        assert!(svg.contains("P-101: 30"));
    }
}

//! The report's charts, drawn with plotters' SVG backend.
//!
//! No font backend is compiled in (plotters without `ttf`/`ab_glyph`): text is written as
//! SVG `<text>` elements in the generic `sans-serif` family and laid out by whatever opens
//! the file, so nothing depends on the fonts of the machine that drew it. plotters only
//! estimates text extents for its own layout (label areas are sized generously for that).

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ReportError, ReportInput, Result};
use crate::format::format_tick;
use crate::metrics::{Metric, MetricHistogram};
use crate::store::StoredRun;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 360;
pub(super) const FONT: &str = "sans-serif";
pub(super) const NEW: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
pub(super) const BASE: RGBColor = RGBColor(0xe6, 0x7e, 0x22);
const E2E: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
pub(super) const FAIL: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// One chart: a stable name (also its file stem), a title, a caption and the SVG document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Stable name: `ttft`, `e2e`, `itl`, `latency-over-time`, `schedule-lag`,
    /// `token-timelines`, `errors`; on a sweep's page `sweep-ttft` and `sweep-tpot`.
    pub name: &'static str,
    /// Title shown above it.
    pub title: String,
    /// What it shows, in one or two sentences.
    pub caption: String,
    /// A complete SVG document (`<svg xmlns=…>…</svg>`).
    pub svg: String,
}

/// Every chart of one scenario, in display order. Charts with no data are left out (no
/// errors chart when nothing failed, no timelines when no arrivals were kept, no schedule
/// lag in closed loop).
pub fn scenario_charts(input: &ReportInput<'_>) -> Result<Vec<Chart>> {
    let run = input.run;
    let base = input.baseline;
    let base_name = input
        .comparison
        .map(|c| c.baseline.as_str())
        .unwrap_or("baseline");
    let mut out = Vec::new();
    for (name, metric, what) in [
        ("ttft", Metric::Ttft, "time to first token"),
        ("e2e", Metric::E2e, "end-to-end latency"),
    ] {
        let new_ms = values_ms(run, metric);
        let base_ms = base.map(|b| values_ms(b, metric));
        if let Some(chart) = distribution(
            name,
            &format!("{} distribution", metric.label()),
            &format!("{what} (ms)"),
            &new_ms,
            base_ms.as_deref().map(|v| (base_name, v)),
        )? {
            out.push(chart);
        }
    }
    if let Some(chart) = itl(run)? {
        out.push(chart);
    }
    if let Some(chart) = latency_over_time(run)? {
        out.push(chart);
    }
    if let Some(chart) = super::load_charts::schedule_lag(run)? {
        out.push(chart);
    }
    if let Some(chart) = token_timelines(run)? {
        out.push(chart);
    }
    if let Some(chart) = errors(run)? {
        out.push(chart);
    }
    Ok(out)
}

/// Values of a per-request metric over the successful requests, in milliseconds.
fn values_ms(run: &StoredRun, metric: Metric) -> Vec<f64> {
    run.samples
        .iter()
        .filter_map(|s| metric.of(s))
        .map(|ns| ns / 1e6)
        .filter(|v| v.is_finite())
        .collect()
}

/// Renders into an SVG string; `draw` gets the root area.
pub(super) fn render(
    chart: &'static str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let fail = |e: DrawError| ReportError::Chart {
            chart,
            message: e.to_string(),
        };
        root.fill(&WHITE).map_err(fail)?;
        draw(&root).map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// What plotters reports when drawing into the SVG string fails.
pub(super) type DrawError = DrawingAreaErrorKind<std::io::Error>;

/// The outcome of drawing a chart's parts.
pub(super) type Drawn = std::result::Result<(), DrawError>;

/// The coordinates of every chart but the errors one: numbers on both axes.
pub(super) type Plane<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What the axes of a [`plane`] show.
pub(super) struct Axes<'t> {
    pub(super) x: std::ops::Range<f64>,
    pub(super) y: std::ops::Range<f64>,
    /// The x axis label, with its unit.
    pub(super) x_desc: &'t str,
    /// The y axis label, with its unit.
    pub(super) y_desc: &'t str,
    /// Vertical grid lines (off for histograms, whose bars are the grid).
    pub(super) x_grid: bool,
}

/// A chart on `root` in the report's style: caption, margins, labelled axes with compact
/// ticks, no light grid lines.
pub(super) fn plane<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    axes: Axes<'_>,
) -> std::result::Result<Plane<'a, 'b>, DrawError> {
    let mut chart = ChartBuilder::on(root)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(axes.x, axes.y)?;
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(TRANSPARENT)
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick);
    if !axes.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    Ok(chart)
}

/// Draws the legend of the series that have labels, at `position`.
pub(super) fn legend<'a, 'b: 'a>(
    chart: &mut Plane<'a, 'b>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 13))
        .draw()
}

/// A compact axis label (plotters hands the value by reference).
fn tick(v: &f64) -> String {
    format_tick(*v)
}

/// `[lo, hi]` widened when it is a single point.
pub(super) fn span(lo: f64, hi: f64) -> (f64, f64) {
    if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
        (lo, hi)
    } else {
        let pad = (lo.abs() * 0.05).max(0.001);
        ((lo - pad).max(0.0), hi + pad)
    }
}

/// Bins weighted values into `n` equal bins over `[lo, hi]`; returns shares in percent.
fn bin(values: impl Iterator<Item = (f64, u64)>, lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let mut counts = vec![0u64; n];
    let mut total = 0u64;
    let width = (hi - lo) / n as f64;
    for (v, c) in values {
        let i = (((v - lo) / width).floor().max(0.0) as usize).min(n - 1);
        counts[i] += c;
        total += c;
    }
    counts
        .into_iter()
        .map(|c| {
            if total == 0 {
                0.0
            } else {
                c as f64 * 100.0 / total as f64
            }
        })
        .collect()
}

/// A histogram of `new` (filled bars) with the baseline's (outlined bars) overlaid, as the
/// share of requests per bin so that runs of different sizes compare.
fn distribution(
    name: &'static str,
    title: &str,
    x_desc: &str,
    new: &[f64],
    base: Option<(&str, &[f64])>,
) -> Result<Option<Chart>> {
    if new.is_empty() {
        return Ok(None);
    }
    let all = new.iter().chain(base.iter().flat_map(|(_, b)| b.iter()));
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = span(lo, hi);
    let n_total = new.len().max(base.map_or(0, |(_, b)| b.len()));
    let nbins = ((n_total as f64).sqrt() * 2.0).round().clamp(8.0, 40.0) as usize;
    let width = (hi - lo) / nbins as f64;
    let new_bins = bin(new.iter().map(|&v| (v, 1)), lo, hi, nbins);
    let base_bins = base.map(|(label, b)| (label, bin(b.iter().map(|&v| (v, 1)), lo, hi, nbins)));
    let ymax = new_bins
        .iter()
        .chain(base_bins.iter().flat_map(|(_, b)| b.iter()))
        .fold(0.0f64, |m, &v| m.max(v));
    let svg = render(name, |root| {
        let mut chart = plane(
            root,
            title,
            Axes {
                x: lo..hi,
                y: 0.0..(ymax * 1.15).max(1.0),
                x_desc,
                y_desc: "share of requests (%)",
                x_grid: false,
            },
        )?;
        let bars = new_bins.iter().enumerate().map(|(i, &share)| {
            let x0 = lo + width * i as f64;
            Rectangle::new([(x0, 0.0), (x0 + width, share)], NEW.mix(0.55).filled())
        });
        chart
            .draw_series(bars)?
            .label(format!("this run (n = {})", new.len()))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], NEW.mix(0.55).filled()));
        if let Some((label, bins)) = &base_bins {
            let n_base = base.map_or(0, |(_, b)| b.len());
            let outlines = bins.iter().enumerate().map(|(i, &share)| {
                let x0 = lo + width * i as f64;
                Rectangle::new([(x0, 0.0), (x0 + width, share)], BASE.stroke_width(2))
            });
            chart
                .draw_series(outlines)?
                .label(format!("baseline {label} (n = {n_base})"))
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], BASE.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })?;
    let caption = match base {
        Some((label, b)) => format!(
            "Share of successful requests per bin: this run ({} requests, filled) and baseline \
             {label} ({} requests, outlined).",
            new.len(),
            b.len()
        ),
        None => format!(
            "Share of successful requests per bin ({} requests).",
            new.len()
        ),
    };
    Ok(Some(Chart {
        name,
        title: title.to_string(),
        caption,
        svg,
    }))
}

/// The ITL distribution from the run's ITL histogram buckets (every gap of every
/// successful request). A long tail beyond 4× the p99 is cut off and counted in the caption.
fn itl(run: &StoredRun) -> Result<Option<Chart>> {
    let buckets: Vec<(f64, u64)> = run
        .itl_histogram
        .iter()
        .filter(|(_, c)| *c > 0)
        .map(|&(v, c)| (v as f64 / 1e6, c))
        .collect();
    let total: u64 = buckets.iter().map(|(_, c)| c).sum();
    if total == 0 {
        return Ok(None);
    }
    let mut sorted = buckets.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The p99 as the report states ITL percentiles: type 7 over the bucketed values.
    let mut hist = MetricHistogram::new(Metric::Itl);
    for &(v, c) in &run.itl_histogram {
        hist.record_raw(v, c);
    }
    let p99_ms = hist.quantile(0.99).map_or(0.0, |ns| ns / 1e6);
    let min = sorted.first().map_or(0.0, |x| x.0);
    let max = sorted.last().map_or(0.0, |x| x.0);
    let cut = p99_ms * 4.0;
    let hi_raw = if max > cut { cut } else { max };
    let (lo, hi) = span(min, hi_raw);
    let shown: Vec<(f64, u64)> = sorted.iter().copied().filter(|(v, _)| *v <= hi).collect();
    let hidden: u64 = total - shown.iter().map(|(_, c)| c).sum::<u64>();
    let nbins = 40;
    let width = (hi - lo) / nbins as f64;
    // Shares of all gaps, hidden ones included, so the bars do not overstate the body.
    let shown_total: u64 = shown.iter().map(|(_, c)| c).sum();
    let bins: Vec<f64> = bin(shown.into_iter(), lo, hi, nbins)
        .into_iter()
        .map(|s| s * shown_total as f64 / total as f64)
        .collect();
    let ymax = bins.iter().fold(0.0f64, |m, &v| m.max(v));
    let svg = render("itl", |root| {
        let mut chart = plane(
            root,
            "ITL distribution",
            Axes {
                x: lo..hi,
                y: 0.0..(ymax * 1.15).max(1.0),
                x_desc: "gap between consecutive output events (ms)",
                y_desc: "share of gaps (%)",
                x_grid: false,
            },
        )?;
        chart.draw_series(bins.iter().enumerate().map(|(i, &share)| {
            let x0 = lo + width * i as f64;
            Rectangle::new([(x0, 0.0), (x0 + width, share)], NEW.mix(0.55).filled())
        }))?;
        Ok(())
    })?;
    let mut caption = format!("All {total} inter-token gaps of the successful requests.");
    if hidden > 0 {
        caption.push_str(&format!(
            " {hidden} gaps longer than {} ms (4× the p99) are beyond the right edge.",
            tick(&hi)
        ));
    }
    Ok(Some(Chart {
        name: "itl",
        title: "ITL distribution".into(),
        caption,
        svg,
    }))
}

/// TTFT and E2E of each request against the time it started; failed requests as red
/// crosses on the time axis.
fn latency_over_time(run: &StoredRun) -> Result<Option<Chart>> {
    if run.samples.is_empty() {
        return Ok(None);
    }
    let t = |ns: u64| ns as f64 / 1e9;
    let ok: Vec<(f64, Option<f64>, Option<f64>)> = run
        .samples
        .iter()
        .filter(|s| s.is_ok())
        .map(|s| {
            (
                t(s.started_at_ns),
                Metric::Ttft.of(s).map(|v| v / 1e6),
                Metric::E2e.of(s).map(|v| v / 1e6),
            )
        })
        .collect();
    let failed: Vec<f64> = run
        .samples
        .iter()
        .filter(|s| !s.is_ok())
        .map(|s| t(s.started_at_ns))
        .collect();
    let xmax = run
        .samples
        .iter()
        .map(|s| t(s.started_at_ns))
        .fold(0.0f64, f64::max);
    let ymax = ok
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .flatten()
        .fold(0.0f64, f64::max);
    let (x0, x1) = span(0.0, xmax * 1.02);
    let svg = render("latency-over-time", |root| {
        let mut chart = plane(
            root,
            "Latency over the run",
            Axes {
                x: x0..x1,
                y: 0.0..(ymax * 1.1).max(1.0),
                x_desc: "request start, since the run started (s)",
                y_desc: "latency (ms)",
                x_grid: true,
            },
        )?;
        chart
            .draw_series(
                ok.iter()
                    .filter_map(|(x, _, e2e)| e2e.map(|y| Circle::new((*x, y), 3, E2E.filled()))),
            )?
            .label("E2E")
            .legend(|(x, y)| Circle::new((x + 6, y), 4, E2E.filled()));
        chart
            .draw_series(
                ok.iter()
                    .filter_map(|(x, ttft, _)| ttft.map(|y| Circle::new((*x, y), 3, NEW.filled()))),
            )?
            .label("TTFT")
            .legend(|(x, y)| Circle::new((x + 6, y), 4, NEW.filled()));
        if !failed.is_empty() {
            chart
                .draw_series(
                    failed
                        .iter()
                        .map(|x| Cross::new((*x, 0.0), 5, FAIL.stroke_width(2))),
                )?
                .label("failed")
                .legend(|(x, y)| Cross::new((x + 6, y), 5, FAIL.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })?;
    let mut caption = "TTFT and E2E of each successful request, by when it started: drift, \
                       throttling and warm-up show here."
        .to_string();
    if !failed.is_empty() {
        caption.push_str(&format!(
            " {} failed requests are the crosses on the time axis.",
            failed.len()
        ));
    }
    Ok(Some(Chart {
        name: "latency-over-time",
        title: "Latency over the run".into(),
        caption,
        svg,
    }))
}

/// Cumulative output events against time since the request started, for the requests whose
/// arrivals were kept.
fn token_timelines(run: &StoredRun) -> Result<Option<Chart>> {
    let kept: Vec<(u32, Vec<(f64, f64)>)> = run
        .samples
        .iter()
        .filter_map(|s| {
            let arrivals = s.arrivals_ns.as_ref().filter(|a| !a.is_empty())?;
            let points = arrivals
                .iter()
                .enumerate()
                .map(|(i, &ns)| (ns as f64 / 1e6, (i + 1) as f64))
                .collect();
            Some((s.index, points))
        })
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let xmax = kept
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .fold(0.0f64, f64::max);
    let ymax = kept.iter().map(|(_, p)| p.len()).max().unwrap_or(1) as f64;
    let (x0, x1) = span(0.0, xmax * 1.02);
    let svg = render("token-timelines", |root| {
        let mut chart = plane(
            root,
            "Token arrival timelines",
            Axes {
                x: x0..x1,
                y: 0.0..(ymax * 1.05).max(1.0),
                x_desc: "time since the request started (ms)",
                y_desc: "output events received",
                x_grid: true,
            },
        )?;
        for (k, (index, points)) in kept.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            // A step line: the count stays flat until the next event arrives.
            let mut steps = Vec::with_capacity(points.len() * 2);
            let mut prev = 0.0;
            for &(x, y) in points {
                steps.push((x, prev));
                steps.push((x, y));
                prev = y;
            }
            chart
                .draw_series(LineSeries::new(steps, color.stroke_width(2)))?
                .label(format!("request #{index}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })?;
    Ok(Some(Chart {
        name: "token-timelines",
        title: "Token arrival timelines".into(),
        caption: format!(
            "Output events received against time since the request started, for the {} \
             requests whose arrivals were kept (the first of the run).",
            kept.len()
        ),
        svg,
    }))
}

/// Failed requests per class, as bars.
fn errors(run: &StoredRun) -> Result<Option<Chart>> {
    let classes: Vec<(String, u64)> = run
        .errors
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(c, &n)| (c.as_str().to_string(), n))
        .collect();
    if classes.is_empty() {
        return Ok(None);
    }
    let ymax = classes.iter().map(|(_, n)| *n).max().unwrap_or(1);
    let total: u64 = classes.iter().map(|(_, n)| n).sum();
    let names: Vec<String> = classes.iter().map(|(c, _)| c.clone()).collect();
    let svg = render("errors", |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Errors by class", (FONT, 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (0..classes.len() as u32).into_segmented(),
                0u64..(ymax + ymax / 5 + 1),
            )?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                names.get(*i as usize).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .x_desc("error class")
            .y_desc("failed requests")
            .x_labels(classes.len())
            .x_label_formatter(&label)
            .draw()?;
        chart.draw_series(classes.iter().enumerate().map(|(i, (_, n))| {
            let i = i as u32;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0),
                    (SegmentValue::Exact(i + 1), *n),
                ],
                FAIL.mix(0.7).filled(),
            );
            bar.set_margin(0, 0, 12, 12);
            bar
        }))?;
        Ok(())
    })?;
    Ok(Some(Chart {
        name: "errors",
        title: "Errors by class".into(),
        caption: format!("{total} failed requests, by class (never counted in latency figures)."),
        svg,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_puts_the_maximum_in_the_last_bin() {
        let shares = bin([(0.0, 1), (5.0, 1), (10.0, 2)].into_iter(), 0.0, 10.0, 2);
        assert_eq!(shares, vec![25.0, 75.0]);
    }
}

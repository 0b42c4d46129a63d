//! The charts of load: an open-loop run's schedule lag over the run, and a sweep's
//! latency–throughput curves (TTFT and TPOT percentiles against achieved throughput, the
//! objectives as dashed lines, the knee marked). Same style as [`super::charts`].

use plotters::prelude::*;

use super::charts::{
    legend, plane, render, span, Axes, Chart, Drawn, Plane, BASE, FAIL, FONT, NEW,
};
use super::sweeps::is_knee;
use super::Result;
use crate::format::{format_ms, format_num};
use crate::rules::slo::parse_slos;
use crate::store::{StoredRun, StoredSweep, SweepStep};

/// Colour of the knee marker and its label.
const KNEE: RGBColor = RGBColor(0x20, 0x20, 0x20);

/// Each open-loop request's lag from its intended to its actual start, against when it
/// started, with the client-bound limit as a dashed line when the run was client-bound;
/// `None` when no request has a lag (closed loop).
pub(super) fn schedule_lag(run: &StoredRun) -> Result<Option<Chart>> {
    let points: Vec<(f64, f64)> = run
        .samples
        .iter()
        .filter_map(|s| {
            Some((
                s.started_at_ns as f64 / 1e9,
                s.schedule_lag_ns? as f64 / 1e6,
            ))
        })
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let limit_ms = super::load::client_bound(run)
        .map(|b| b.limit_ns / 1e6)
        .filter(|v| v.is_finite() && *v > 0.0);
    let xmax = points.iter().map(|p| p.0).fold(0.0f64, f64::max);
    let ymax = points
        .iter()
        .map(|p| p.1)
        .chain(limit_ms)
        .fold(0.0f64, f64::max);
    let (x0, x1) = span(0.0, xmax * 1.02);
    let (_, y1) = span(0.0, ymax * 1.15);
    let svg = render("schedule-lag", |root| {
        let mut chart = plane(
            root,
            "Schedule lag over the run",
            Axes {
                x: x0..x1,
                y: 0.0..y1,
                x_desc: "request start, since the run started (s)",
                y_desc: "schedule lag (ms)",
                x_grid: true,
            },
        )?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, NEW.filled())))?
            .label("schedule lag")
            .legend(|(x, y)| Circle::new((x + 6, y), 4, NEW.filled()));
        if let Some(limit) = limit_ms {
            level(&mut chart, (x0, x1), limit, "client-bound limit")?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })?;
    let mut caption = format!(
        "Lag from each request's intended start to its actual start ({} requests, open \
         loop). Latencies count from the intended start, so a lag is in them too.",
        points.len()
    );
    if let Some(limit) = limit_ms {
        caption.push_str(&format!(
            " The dashed line is the client-bound limit ({}).",
            format_ms(limit * 1e6)
        ));
    }
    Ok(Some(Chart {
        name: "schedule-lag",
        title: "Schedule lag over the run".into(),
        caption,
        svg,
    }))
}

/// A horizontal dashed line at `y` across `x`, in the legend as `label`.
fn level<'a, 'b: 'a>(chart: &mut Plane<'a, 'b>, x: (f64, f64), y: f64, label: &str) -> Drawn {
    let style = FAIL.stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new([(x.0, y), (x.1, y)], 8, 5, style))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], style));
    Ok(())
}

/// One metric of a sweep's chart: its name in the objectives, its label, and how to read
/// its p50 and p99 from a step.
struct SweepMetric {
    name: &'static str,
    chart: &'static str,
    label: &'static str,
    p50: fn(&SweepStep) -> Option<f64>,
    p99: fn(&SweepStep) -> Option<f64>,
}

const SWEEP_METRICS: [SweepMetric; 2] = [
    SweepMetric {
        name: "ttft",
        chart: "sweep-ttft",
        label: "TTFT",
        p50: |s| s.ttft_p50_ns,
        p99: |s| s.ttft_p99_ns,
    },
    SweepMetric {
        name: "tpot",
        chart: "sweep-tpot",
        label: "TPOT",
        p50: |s| s.tpot_p50_ns,
        p99: |s| s.tpot_p99_ns,
    },
];

/// The latency–throughput charts of a sweep or a search: TTFT, then TPOT. A chart whose
/// metric no step has is left out.
pub(super) fn sweep_charts(sweep: &StoredSweep) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    for metric in &SWEEP_METRICS {
        if let Some(chart) = sweep_chart(sweep, metric)? {
            out.push(chart);
        }
    }
    Ok(out)
}

/// `(throughput, ms)` of each step that has a value, in step order (lowest load first).
fn curve(steps: &[&SweepStep], value: fn(&SweepStep) -> Option<f64>) -> Vec<(f64, f64)> {
    steps
        .iter()
        .filter_map(|s| Some((s.throughput_rps, value(s)? / 1e6)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// The bounds (ms) and texts of the sweep's objectives on `metric` (unparseable ones are
/// left out: the table still lists them).
fn objective_levels(sweep: &StoredSweep, metric: &str) -> Vec<(f64, String)> {
    sweep
        .objectives
        .iter()
        .filter_map(|text| parse_slos(text).ok())
        .flatten()
        .filter(|o| o.metric == metric && o.bound_ns.is_finite())
        .map(|o| (o.bound_ns / 1e6, format!("objective {}", o.text)))
        .collect()
}

/// One latency–throughput chart of a sweep.
fn sweep_chart(sweep: &StoredSweep, metric: &SweepMetric) -> Result<Option<Chart>> {
    let mut steps: Vec<&SweepStep> = sweep.steps.iter().collect();
    steps.sort_by(|a, b| a.value.total_cmp(&b.value));
    let p50 = curve(&steps, metric.p50);
    let p99 = curve(&steps, metric.p99);
    if p50.is_empty() && p99.is_empty() {
        return Ok(None);
    }
    let levels = objective_levels(sweep, metric.name);
    let knee: Vec<(f64, f64)> = steps
        .iter()
        .filter(|s| is_knee(sweep, s))
        .flat_map(|s| [(metric.p50)(s), (metric.p99)(s)].map(|v| (s.throughput_rps, v)))
        .filter_map(|(x, v)| Some((x, v? / 1e6)))
        .collect();
    let xmax = p50.iter().chain(&p99).map(|p| p.0).fold(0.0f64, f64::max);
    let ymax = p50
        .iter()
        .chain(&p99)
        .map(|p| p.1)
        .chain(levels.iter().map(|l| l.0))
        .fold(0.0f64, f64::max);
    let (x0, x1) = span(0.0, xmax * 1.08);
    let (_, y1) = span(0.0, ymax * 1.15);
    let title = format!("{} against throughput", metric.label);
    let knee_label = sweep
        .knee
        .map(|k| format!("knee ({} {})", sweep.dimension, format_num(k)));
    let svg = render(metric.chart, |root| {
        let mut chart = plane(
            root,
            &title,
            Axes {
                x: x0..x1,
                y: 0.0..y1,
                x_desc: "achieved throughput (successful requests/s)",
                y_desc: &format!("{} (ms)", metric.label),
                x_grid: true,
            },
        )?;
        line(&mut chart, &p50, NEW, &format!("{} p50", metric.label))?;
        line(&mut chart, &p99, BASE, &format!("{} p99", metric.label))?;
        for (bound, text) in &levels {
            level(&mut chart, (x0, x1), *bound, text)?;
        }
        if let Some(label) = &knee_label {
            mark_knee(&mut chart, &knee, label)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })?;
    Ok(Some(Chart {
        name: metric.chart,
        title,
        caption: sweep_caption(sweep, metric.label, !levels.is_empty()),
        svg,
    }))
}

/// A percentile's curve: a line through the steps with a marker at each.
fn line<'a, 'b: 'a>(
    chart: &mut Plane<'a, 'b>,
    points: &[(f64, f64)],
    color: RGBColor,
    label: &str,
) -> Drawn {
    if points.is_empty() {
        return Ok(());
    }
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    Ok(())
}

/// The knee: a triangle on each of its points and its label beside the highest.
fn mark_knee<'a, 'b: 'a>(chart: &mut Plane<'a, 'b>, points: &[(f64, f64)], label: &str) -> Drawn {
    let Some(top) = points.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return Ok(());
    };
    chart
        .draw_series(
            points
                .iter()
                .map(|&p| TriangleMarker::new(p, 9, KNEE.stroke_width(2))),
        )?
        .label(label)
        .legend(|(x, y)| TriangleMarker::new((x + 6, y), 6, KNEE.stroke_width(2)));
    let style = TextStyle::from((FONT, 13).into_font()).color(&KNEE);
    chart.draw_series(std::iter::once(
        EmptyElement::at(top) + Text::new(label.to_string(), (8, -18), style),
    ))?;
    Ok(())
}

/// What a sweep chart shows.
fn sweep_caption(sweep: &StoredSweep, label: &str, objectives: bool) -> String {
    let mut caption = format!(
        "{label} p50 and p99 of each {} step against the successful requests per second it \
         achieved, lowest {} first.",
        sweep.dimension, sweep.dimension
    );
    if sweep.knee.is_some() {
        caption.push_str(
            " The triangles mark the knee: the last step whose throughput kept up with the load.",
        );
    }
    if objectives {
        caption.push_str(" Dashed lines are the objectives on this metric.");
    }
    caption
}

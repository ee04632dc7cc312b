//! The timeline chart of the HTML report, as geometry for an inline SVG:
//! the `timeline.requests` histogram as bars, one horizontal bar per
//! malicious source from first to last seen, and a marker per ghost call.
//! The template draws it; every label goes through its escaping.

use std::fmt;

use ghostguard_engine::Analysis;
use ghostguard_engine::analysis::format_ts;
use ghostguard_packet::Timestamp;

use crate::Lang;
use crate::i18n::{tr, tr_args};
use crate::view::caller_id;

pub(crate) const WIDTH: f64 = 800.0;
const LEFT: f64 = 120.0;
const RIGHT: f64 = 790.0;
const HIST_TOP: f64 = 16.0;
const HIST_H: f64 = 70.0;
const ROW_TOP: f64 = 100.0;
const ROW_H: f64 = 18.0;
/// DoS: a capture with thousands of sources still draws a readable chart.
const MAX_ROWS: usize = 16;
const MAX_MARKS: usize = 200;
const NS: i64 = 1_000_000_000;

/// A coordinate, printed with one decimal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Px(pub f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

#[derive(Debug)]
pub(crate) struct Bar {
    pub x: Px,
    pub y: Px,
    pub w: Px,
    pub h: Px,
    pub tip: String,
}

/// A source's line, with its label left of the plot.
#[derive(Debug)]
pub(crate) struct Row {
    pub bar: Bar,
    pub label: String,
    pub label_y: Px,
}

#[derive(Debug)]
pub(crate) struct Mark {
    pub x: Px,
    pub tip: String,
}

#[derive(Debug)]
pub(crate) struct Tick {
    pub x: Px,
    pub label: String,
    /// `middle`, or `end` for the last one so it stays inside the chart.
    pub anchor: &'static str,
}

#[derive(Debug)]
pub(crate) struct Chart {
    pub width: Px,
    pub height: Px,
    pub left: Px,
    pub right: Px,
    pub hist_top: Px,
    pub hist_bottom: Px,
    pub axis_y: Px,
    pub label_y: Px,
    pub peak: String,
    pub bars: Vec<Bar>,
    pub rows: Vec<Row>,
    pub marks: Vec<Mark>,
    pub ticks: Vec<Tick>,
}

fn clock(t: Timestamp) -> String {
    let s = format_ts(t);
    s.get(11..19).unwrap_or(&s).to_string()
}

/// The chart, or `None` when there is nothing on a time axis.
pub(crate) fn build(a: &Analysis, lang: Lang) -> Option<Chart> {
    let tl = &a.timeline;
    let bucket = i64::try_from(tl.bucket_secs.max(1))
        .unwrap_or(i64::MAX / NS)
        .saturating_mul(NS);
    let hist_end = tl
        .start
        .as_nanos()
        .saturating_add(bucket.saturating_mul(tl.requests.len() as i64));
    let bad: Vec<_> = a
        .sources
        .iter()
        .filter(|s| s.malicious)
        .take(MAX_ROWS)
        .collect();
    let mut times: Vec<i64> = a.ghost_calls.iter().map(|g| g.time.as_nanos()).collect();
    times.extend(
        bad.iter()
            .flat_map(|s| [s.first_seen.as_nanos(), s.last_seen.as_nanos()]),
    );
    if !tl.requests.is_empty() {
        times.extend([tl.start.as_nanos(), hist_end]);
    }
    let (t0, t1) = (*times.iter().min()?, *times.iter().max()?);
    let span = t1.saturating_sub(t0).max(NS) as f64;
    let x = |t: i64| LEFT + t.saturating_sub(t0) as f64 / span * (RIGHT - LEFT);

    let peak = tl.requests.iter().copied().max().unwrap_or(0).max(1);
    let bars = tl
        .requests
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, &n)| {
            let start = tl
                .start
                .as_nanos()
                .saturating_add(bucket.saturating_mul(i as i64));
            let h = HIST_H * n as f64 / peak as f64;
            Bar {
                x: Px(x(start)),
                y: Px(HIST_TOP + HIST_H - h),
                w: Px((x(start.saturating_add(bucket)) - x(start) - 0.5).max(1.0)),
                h: Px(h),
                tip: format!(
                    "{} {}",
                    clock(Timestamp::from_nanos(start)),
                    tr_args(lang, "chart-request-count", &[("count", n.to_string())])
                ),
            }
        })
        .collect();

    let rows = bad
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = ROW_TOP + ROW_H * i as f64;
            let (x0, x1) = (x(s.first_seen.as_nanos()), x(s.last_seen.as_nanos()));
            let tip = format!(
                "{} {} – {}",
                s.address,
                clock(s.first_seen),
                clock(s.last_seen)
            );
            let bar = Bar {
                x: Px(x0),
                y: Px(y + 3.0),
                w: Px((x1 - x0).max(3.0)),
                h: Px(ROW_H - 6.0),
                tip,
            };
            Row {
                bar,
                label: s.address.to_string(),
                label_y: Px(y + ROW_H - 5.0),
            }
        })
        .collect::<Vec<_>>();
    let ghost = tr(lang, "chart-ghost-call");
    let marks = a
        .ghost_calls
        .iter()
        .take(MAX_MARKS)
        .map(|g| Mark {
            x: Px(x(g.time.as_nanos())),
            tip: format!(
                "{ghost} {} {} → {}: {}",
                clock(g.time),
                g.source,
                g.phone,
                caller_id(g)
            ),
        })
        .collect();
    let axis_y = ROW_TOP + ROW_H * rows.len() as f64 + 6.0;
    let ticks = (0..=4)
        .map(|i| {
            let t = t0.saturating_add((t1.saturating_sub(t0) as f64 * f64::from(i) / 4.0) as i64);
            Tick {
                x: Px(x(t)),
                label: clock(Timestamp::from_nanos(t)),
                anchor: if i == 4 { "end" } else { "middle" },
            }
        })
        .collect();
    Some(Chart {
        width: Px(WIDTH),
        height: Px(axis_y + 22.0),
        left: Px(LEFT),
        right: Px(RIGHT),
        hist_top: Px(HIST_TOP),
        hist_bottom: Px(HIST_TOP + HIST_H),
        axis_y: Px(axis_y),
        label_y: Px(axis_y + 16.0),
        peak: tr_args(lang, "chart-request-count", &[("count", peak.to_string())]),
        bars,
        rows,
        marks,
        ticks,
    })
}

#[cfg(test)]
mod tests {
    use ghostguard_engine::analysis::{Summary, Timeline};

    use super::*;

    fn analysis(timeline: Timeline) -> Analysis {
        Analysis {
            summary: Summary::default(),
            timeline,
            sources: Vec::new(),
            ghost_calls: Vec::new(),
            causes: Vec::new(),
            phones: Vec::new(),
            trusted: Vec::new(),
        }
    }

    #[test]
    fn extreme_times_do_not_panic() {
        for (start, bucket) in [(i64::MIN, u64::MAX), (i64::MAX, 1), (0, u64::MAX)] {
            let tl = Timeline {
                start: Timestamp::from_nanos(start),
                bucket_secs: bucket,
                requests: vec![1, 0, 5],
            };
            let c = build(&analysis(tl), Lang::En);
            assert!(c.is_some_and(|c| c.bars.len() == 2));
        }
        assert!(build(&analysis(Timeline::default()), Lang::En).is_none());
    }
}

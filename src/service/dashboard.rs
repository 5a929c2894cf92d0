//! The SLA dashboard's numbers and charts: the period's report (the gap headline, per-team
//! figures, the backlog), each team's first-response time distribution, the weekly median and
//! attainment trend, and the breaches to drill into. Charts are SVG drawn on the server
//! (plotters), each with a table of the same numbers for those who cannot see it.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use plotters::prelude::*;

use super::digest::{IsoWeek, Item, TrendWeek, trend_point, worst_breaches};
use super::notify::Notifier;
use super::reports::{Period, SlaReport, report_within};
use crate::db::AnyConnection;
use crate::domain::metrics::{Facts, stats};
use crate::service::Error;

/// First-response buckets, in business minutes: (upper bound, label).
pub const BUCKETS: [(i64, &str); 7] = [
    (60, "< 1 h"),
    (120, "1-2 h"),
    (240, "2-4 h"),
    (480, "4-8 h"),
    (960, "8-16 h"),
    (2400, "16-40 h"),
    (i64::MAX, "40 h +"),
];

/// Weeks charted at most (the most recent ones of a long period).
pub const MAX_WEEKS: usize = 26;
/// Breaches listed at most, furthest over target first.
pub const MAX_BREACHES: usize = 100;

pub struct Dashboard {
    pub report: SlaReport,
    /// Per team, how many first responses fell in each of `BUCKETS`.
    pub distribution: BTreeMap<String, [usize; BUCKETS.len()]>,
    pub trend: Vec<TrendWeek>,
    pub breaches: Vec<Item>,
}

pub fn build(
    conn: &mut AnyConnection,
    period: Period,
    gap_teams: (&str, &str),
    notifier: &Notifier,
    now: DateTime<Utc>,
) -> Result<Dashboard, Error> {
    // The trend covers whole ISO weeks (at most MAX_WEEKS, the latest) around the period: one
    // derivation of every request created in either serves the report and the trend.
    let mut weeks = Vec::new();
    let mut week = IsoWeek::containing(period.to);
    while week.sunday() >= period.from && weeks.len() < MAX_WEEKS {
        weeks.push(week);
        week = week.previous();
    }
    weeks.reverse();
    let first = weeks.first().map_or(period.from, |w| w.monday.min(period.from));
    let last = weeks.last().map_or(period.to, |w| w.sunday().max(period.to));
    let wider = Period::new(first, last, period.timezone)?;
    let (report, facts) = report_within(conn, period, wider, None, gap_teams, now)?;
    let (start, end) = (period.start(), period.end());
    let mut distribution: BTreeMap<String, [usize; BUCKETS.len()]> =
        report.teams.iter().map(|t| (t.team.clone(), [0; BUCKETS.len()])).collect();
    for f in facts.iter().filter(|f| f.created_at >= start && f.created_at < end) {
        if let (Some((business, _)), Some(counts)) = (f.first_response, distribution.get_mut(&f.team)) {
            let bucket = BUCKETS.iter().position(|(upper, _)| business < *upper).unwrap_or(BUCKETS.len() - 1);
            counts[bucket] += 1;
        }
    }
    let team_keys: Vec<&str> = report.teams.iter().map(|t| t.team.as_str()).collect();
    let trend = weeks
        .into_iter()
        .map(|w| {
            let in_week =
                |f: &&Facts| IsoWeek::containing(f.created_at.with_timezone(&period.timezone).date_naive()) == w;
            let teams = team_keys
                .iter()
                .map(|team| trend_point(team, &stats(facts.iter().filter(in_week).filter(|f| f.team == *team))))
                .collect();
            TrendWeek { week: w.to_string(), teams }
        })
        .collect();
    let breaches = worst_breaches(conn, notifier, period.start(), period.end(), now, MAX_BREACHES)?;
    Ok(Dashboard { report, distribution, trend, breaches })
}

/// Series styles: teams differ by colour AND by marker shape, so colour is never the only cue.
const COLOURS: [RGBColor; 4] =
    [RGBColor(11, 87, 208), RGBColor(179, 38, 30), RGBColor(20, 108, 46), RGBColor(122, 77, 0)];

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("drawing a chart: {e}"))
}

/// Grouped bars: for each bucket, one bar per team, hatched by position in the legend.
pub fn distribution_svg(distribution: &BTreeMap<String, [usize; BUCKETS.len()]>) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let top = distribution.values().flat_map(|c| c.iter()).copied().max().unwrap_or(0).max(1);
        let teams = distribution.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .caption("First responses by business time taken", ("sans-serif", 18))
            .build_cartesian_2d(0f64..BUCKETS.len() as f64, 0f64..(top as f64 * 1.15).ceil())
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(BUCKETS.len() * 2)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 0.01 {
                    BUCKETS.get(i).map_or("", |b| b.1).to_owned()
                } else {
                    String::new()
                }
            })
            .y_desc("requests")
            .draw()
            .map_err(chart_error)?;
        for (t, (team, counts)) in distribution.iter().enumerate() {
            let colour = COLOURS[t % COLOURS.len()];
            let width = 0.8 / teams;
            let bars = counts.iter().enumerate().map(move |(b, n)| {
                let x0 = b as f64 + 0.1 + t as f64 * width;
                Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.9, *n as f64)],
                    colour.mix(0.35 + 0.45 * (t % 2) as f64).filled(),
                )
            });
            chart
                .draw_series(bars)
                .map_err(chart_error)?
                .label(team.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE).draw().map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// One line per team across the weeks: `value` of each team's trend point.
pub fn trend_svg(
    trend: &[TrendWeek],
    caption: &str,
    y_range: std::ops::Range<f64>,
    value: impl Fn(&super::digest::TrendPoint) -> Option<f64>,
) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let weeks = trend.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .caption(caption, ("sans-serif", 18))
            .build_cartesian_2d(-0.5f64..weeks as f64 - 0.5, y_range)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_labels(weeks.min(13))
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && i >= 0.0 {
                    trend.get(i as usize).map_or(String::new(), |w| w.week[5..].to_owned())
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(chart_error)?;
        let teams: Vec<String> =
            trend.first().map(|w| w.teams.iter().map(|p| p.team.clone()).collect()).unwrap_or_default();
        for (t, team) in teams.iter().enumerate() {
            let colour = COLOURS[t % COLOURS.len()];
            let points: Vec<(f64, f64)> = trend
                .iter()
                .enumerate()
                .filter_map(|(i, w)| w.teams.iter().find(|p| p.team == *team).and_then(&value).map(|v| (i as f64, v)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(chart_error)?
                .label(team.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2)));
            if t % 2 == 0 {
                chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, colour.filled()))).map_err(chart_error)?;
            } else {
                chart
                    .draw_series(points.iter().map(|p| TriangleMarker::new(*p, 5, colour.filled())))
                    .map_err(chart_error)?;
            }
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE).draw().map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// The default period: the 28 days up to today in `tz`.
pub fn default_period(now: DateTime<Utc>, tz: chrono_tz::Tz) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let today = now.with_timezone(&tz).date_naive();
    (today - TimeDelta::days(27), today)
}

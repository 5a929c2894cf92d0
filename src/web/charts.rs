//! The dashboard's charts: SVG drawn on the server (plotters), each shown with a table of the
//! same numbers for those who cannot see it.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::read::dashboard::BUCKETS;
use crate::read::digest::TrendWeek;
use crate::service::Error;

/// Series styles: teams differ by colour AND by marker shape, so colour is never the only cue.
const COLOURS: [RGBColor; 4] =
    [RGBColor(11, 87, 208), RGBColor(179, 38, 30), RGBColor(20, 108, 46), RGBColor(122, 77, 0)];

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("drawing a chart: {e}"))
}

/// Grouped bars: for each bucket, one bar per team, shaded by position in the legend; whole
/// numbers on the count axis, each bucket's name under its group.
pub fn distribution_svg(
    distribution: &BTreeMap<String, [usize; BUCKETS.len()]>,
    name: &dyn Fn(&str) -> String,
) -> Result<String, Error> {
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
            // Groups centred on whole numbers, where the axis puts its labels.
            .build_cartesian_2d(-0.5f64..BUCKETS.len() as f64 - 0.5, 0f64..(top as f64 * 1.15).ceil())
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(BUCKETS.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && i >= 0.0 {
                    BUCKETS.get(i as usize).map_or("", |b| b.1).to_owned()
                } else {
                    String::new()
                }
            })
            .y_labels(top.min(10) + 1)
            .y_label_formatter(&|y| if y.fract().abs() < 0.01 { format!("{y:.0}") } else { String::new() })
            .y_desc("requests")
            .draw()
            .map_err(chart_error)?;
        for (t, (team, counts)) in distribution.iter().enumerate() {
            // The legend's swatch is the bars' own shade.
            let shade = COLOURS[t % COLOURS.len()].mix(0.55 + 0.45 * (t % 2) as f64).filled();
            let width = 0.8 / teams;
            let bars = counts.iter().enumerate().map(move |(b, n)| {
                let x0 = b as f64 - 0.4 + t as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.9, *n as f64)], shade)
            });
            chart
                .draw_series(bars)
                .map_err(chart_error)?
                .label(name(team))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], shade));
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE).draw().map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// One line per team across the weeks: `value` of each team's trend point; each week labelled
/// with the date of its Monday.
pub fn trend_svg(
    trend: &[TrendWeek],
    name: &dyn Fn(&str) -> String,
    caption: &str,
    y_range: std::ops::Range<f64>,
    value: impl Fn(&crate::read::digest::TrendPoint) -> Option<f64>,
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
                    trend.get(i as usize).map_or(String::new(), |w| week_start(&w.week))
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
                .label(name(team))
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

/// "16 Nov" for "2026-W47": the Monday the ISO week starts on.
fn week_start(week: &str) -> String {
    let parsed = week.split_once("-W").and_then(|(y, w)| Some((y.parse().ok()?, w.parse().ok()?)));
    parsed
        .and_then(|(y, w)| chrono::NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon))
        .map_or_else(|| week.to_owned(), |d| d.format("%-d %b").to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_week_reads_as_the_date_of_its_monday() {
        assert_eq!(super::week_start("2026-W47"), "16 Nov");
        assert_eq!(super::week_start("2026-W01"), "29 Dec");
        assert_eq!(super::week_start("nonsense"), "nonsense");
    }
}

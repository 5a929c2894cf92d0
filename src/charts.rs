//! Charts drawn on the server (plotters): SVG for the dashboard, each shown with a table of the
//! same numbers for those who cannot see it, and a PNG of the trend for the digest mail (mail
//! clients do not render SVG). Text is laid out with the bundled DejaVu Sans subset, so neither
//! backend needs fontconfig or a system font.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::read::dashboard::BUCKETS;
use crate::read::digest::{TrendPoint, TrendWeek};
use crate::service::Error;

/// Series styles: teams differ by colour AND by marker shape, so colour is never the only cue.
const COLOURS: [RGBColor; 4] =
    [RGBColor(11, 87, 208), RGBColor(179, 38, 30), RGBColor(20, 108, 46), RGBColor(122, 77, 0)];

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("drawing a chart: {e}"))
}

/// DejaVu Sans, Latin-1 and a few punctuation marks (26 KiB; licence beside it).
static FONT: &[u8] = include_bytes!("mail/font/DejaVuSans-subset.ttf");

/// Registers the bundled font as "sans-serif", once, before any chart lays out text.
fn fonts() -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, FONT).is_ok()
    });
    if ok { Ok(()) } else { Err(chart_error("the bundled font does not load")) }
}

/// Grouped bars: for each bucket, one bar per team, shaded by position in the legend; whole
/// numbers on the count axis, each bucket's name under its group.
pub fn distribution_svg(
    distribution: &BTreeMap<String, [usize; BUCKETS.len()]>,
    name: &dyn Fn(&str) -> String,
) -> Result<String, Error> {
    fonts()?;
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

/// A trend chart: one line per team across the weeks, `value` of each team's point, each week
/// labelled with the date of its Monday, and an optional dashed goal line.
pub struct Trend<'a, V: Fn(&TrendPoint) -> Option<f64>> {
    pub trend: &'a [TrendWeek],
    pub name: &'a dyn Fn(&str) -> String,
    pub caption: &'a str,
    pub y_range: std::ops::Range<f64>,
    /// Written after each value on the y axis: "%", " h".
    pub y_unit: &'a str,
    pub value: V,
    /// A horizontal line and its legend label, e.g. (90.0, "goal: 90%").
    pub goal: Option<(f64, String)>,
}

/// Each team's share of first responses within target per week, in percent, with `goal` (a
/// share, e.g. 0.9) as the dashed line: the dashboard's chart and the digest's.
pub fn attainment<'a>(
    trend: &'a [TrendWeek],
    name: &'a dyn Fn(&str) -> String,
    goal: f64,
) -> Trend<'a, impl Fn(&TrendPoint) -> Option<f64>> {
    Trend {
        trend,
        name,
        caption: "First responses within target per week (%)",
        y_range: 0.0..105.0,
        y_unit: "%",
        value: |p: &TrendPoint| p.first_response_attainment.map(|a| a * 100.0),
        goal: Some((goal * 100.0, format!("goal: {:.0}%", goal * 100.0))),
    }
}

/// Each team's median first response per week, in business hours, the axis a little above the
/// slowest week: the dashboard's chart and the audit's.
pub fn median_first_response<'a>(
    trend: &'a [TrendWeek],
    name: &'a dyn Fn(&str) -> String,
    caption: &'a str,
) -> Trend<'a, impl Fn(&TrendPoint) -> Option<f64>> {
    let top = trend
        .iter()
        .flat_map(|w| w.teams.iter().filter_map(|p| p.median_first_response_business_minutes))
        .max()
        .unwrap_or(60) as f64
        / 60.0;
    Trend {
        trend,
        name,
        caption,
        y_range: 0.0..(top * 1.15).max(1.0),
        y_unit: " h",
        value: |p: &TrendPoint| p.median_first_response_business_minutes.map(|m| m as f64 / 60.0),
        goal: None,
    }
}

impl<V: Fn(&TrendPoint) -> Option<f64>> Trend<'_, V> {
    pub fn svg(&self) -> Result<String, Error> {
        fonts()?;
        let mut svg = String::new();
        self.draw(SVGBackend::with_string(&mut svg, (720, 300)).into_drawing_area())?;
        Ok(svg)
    }

    /// A PNG of `width` × `height` pixels, for mail.
    pub fn png(&self, width: u32, height: u32) -> Result<Vec<u8>, Error> {
        fonts()?;
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        self.draw(BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area())?;
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(chart_error)?;
        writer.write_image_data(&rgb).map_err(chart_error)?;
        writer.finish().map_err(chart_error)?;
        Ok(png)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), Error>
    where
        DB::ErrorType: 'static,
    {
        let trend = self.trend;
        root.fill(&WHITE).map_err(chart_error)?;
        let weeks = trend.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .caption(self.caption, ("sans-serif", 16))
            .build_cartesian_2d(-0.5f64..weeks as f64 - 0.5, self.y_range.clone())
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .y_labels(6)
            .y_label_formatter(&|y| format!("{y:.0}{}", self.y_unit))
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
                .filter_map(|(i, w)| {
                    w.teams.iter().find(|p| p.team == *team).and_then(&self.value).map(|v| (i as f64, v))
                })
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(chart_error)?
                .label((self.name)(team))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2)));
            if t % 2 == 0 {
                chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, colour.filled()))).map_err(chart_error)?;
            } else {
                chart
                    .draw_series(points.iter().map(|p| TriangleMarker::new(*p, 5, colour.filled())))
                    .map_err(chart_error)?;
            }
        }
        if let Some((at, label)) = &self.goal {
            let grey = RGBColor(85, 85, 85);
            let dashes = DashedLineSeries::new(
                [(-0.5, *at), (weeks as f64 - 0.5, *at)],
                6,
                4,
                ShapeStyle { color: grey.to_rgba(), filled: false, stroke_width: 2 },
            );
            chart
                .draw_series(dashes)
                .map_err(chart_error)?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], grey.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
        Ok(())
    }
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

//! The weekly digest as mail: its subject, text and HTML parts (askama templates), and the
//! trend as a PNG the HTML part shows by Content-ID (mail clients do not render SVG).

use std::collections::BTreeMap;

use askama::Template;

use super::message::Rendered;
use crate::read::digest::Digest;
use crate::service::Error;
use crate::words;

/// What every digest is rendered with besides its numbers.
pub struct Context<'a> {
    pub org: &'a str,
    /// Team names by key.
    pub names: &'a BTreeMap<String, String>,
    /// The share of first-response targets each team aims to meet (the chart's goal line).
    pub goal: f64,
    /// Where a reader turns the digest off.
    pub account_link: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt", config = "config/askama.toml")]
struct DigestText<'a> {
    d: &'a Digest,
    c: &'a Context<'a>,
}

#[derive(Template)]
#[template(path = "mail/digest.html", config = "config/askama.toml")]
struct DigestHtml<'a> {
    d: &'a Digest,
    c: &'a Context<'a>,
    chart: &'a str,
}

/// Names and number formats shared by both digest templates.
trait Formats {
    fn context(&self) -> &Context<'_>;

    fn name<'s>(&'s self, key: &'s str) -> &'s str {
        self.context().names.get(key).map_or(key, String::as_str)
    }

    /// Business minutes as "3 h 20 m"; "–" when there is nothing to measure.
    fn hm(&self, minutes: &Option<i64>) -> String {
        minutes.map_or("–".into(), words::hm)
    }

    fn pct(&self, share: &Option<f64>) -> String {
        share.as_ref().map_or("–".into(), |s| self.share(s))
    }

    fn share(&self, share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }

    /// Desired-date attainment in words: "3 of 4 (75%)", or "–" when none was due.
    fn wanted(&self, d: &crate::read::reports::DesiredDates) -> String {
        match d.attainment {
            Some(a) => format!("{} of {} ({})", d.met, d.met + d.missed, self.share(&a)),
            None => "–".into(),
        }
    }

    fn status(&self, status: &str) -> &'static str {
        words::status_for_staff(status)
    }

    /// "In progress at the end of the week, closed now", or "in progress then and now".
    fn states(&self, at_end: &str, now: &str) -> String {
        let (then, now) = (self.status(at_end), self.status(now));
        if then == now {
            format!("{then} at the end of the week and now")
        } else {
            format!("{then} at the end of the week, {} now", now.to_lowercase())
        }
    }
}

impl Formats for DigestText<'_> {
    fn context(&self) -> &Context<'_> {
        self.c
    }
}
impl Formats for DigestHtml<'_> {
    fn context(&self) -> &Context<'_> {
        self.c
    }
}

/// The chart's size in pixels: legible in a 600-pixel mail column.
const CHART: (u32, u32) = (600, 260);

/// Subject, text, HTML and the trend chart of a digest.
pub fn render(d: &Digest, c: &Context) -> Result<Rendered, Error> {
    let err = |e: askama::Error| Error::Internal(anyhow::anyhow!("rendering the digest: {e}"));
    let name = |key: &str| c.names.get(key).cloned().unwrap_or_else(|| key.to_owned());
    let png = crate::charts::attainment(&d.trend, &name, c.goal).png(CHART.0, CHART.1)?;
    let whose = d.team.as_deref().map_or_else(|| c.org.to_owned(), name);
    Ok(Rendered {
        subject: format!("SLA digest {} ({whose}): {}", d.week, d.headline),
        text: DigestText { d, c }.render().map_err(err)?,
        html: DigestHtml { d, c, chart: super::INLINE_CHART }.render().map_err(err)?,
        inline_png: Some(png),
    })
}

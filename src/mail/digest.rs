//! The weekly digest as mail: its subject, text and HTML parts (askama templates).

use askama::Template;

use super::message::Rendered;
use crate::read::digest::Digest;
use crate::service::Error;

#[derive(Template)]
#[template(path = "mail/digest.txt", config = "config/askama.toml")]
struct DigestText<'a> {
    d: &'a Digest,
    org: &'a str,
}

#[derive(Template)]
#[template(path = "mail/digest.html", config = "config/askama.toml")]
struct DigestHtml<'a> {
    d: &'a Digest,
    org: &'a str,
}

/// Number formats shared by both digest templates.
trait Formats {
    /// Minutes as "3h 20m" for people.
    fn hm(&self, minutes: &Option<i64>) -> String {
        match *minutes {
            None => "–".into(),
            Some(m) if m < 60 => format!("{m}m"),
            Some(m) => format!("{}h {:02}m", m / 60, m % 60),
        }
    }

    fn pct(&self, share: &Option<f64>) -> String {
        share.as_ref().map_or("–".into(), |s| self.share(s))
    }

    fn share(&self, share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }
}

impl Formats for DigestText<'_> {}
impl Formats for DigestHtml<'_> {}

/// Subject, text and HTML of a digest.
pub fn render(d: &Digest, org: &str) -> Result<Rendered, Error> {
    let err = |e: askama::Error| Error::Internal(anyhow::anyhow!("rendering the digest: {e}"));
    Ok(Rendered {
        subject: format!("SLA digest {}: {}", d.week, d.gap.summary),
        text: DigestText { d, org }.render().map_err(err)?,
        html: DigestHtml { d, org }.render().map_err(err)?,
    })
}

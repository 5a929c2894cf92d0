//! What a notification says: subject, plain text and HTML, rendered from templates with
//! escaping (the HTML template escapes every value; the text one has nothing to escape).

use askama::Template;

/// A one-request notification: a heading, labelled facts, an optional quoted body, a link.
#[derive(Debug, Clone, Template)]
#[template(path = "mail/notice.txt", config = "config/askama.toml")]
pub struct NoticeText<'a> {
    pub heading: &'a str,
    pub lines: &'a [(String, String)],
    pub body: &'a Option<String>,
    pub link: &'a str,
    pub org: &'a str,
}

#[derive(Debug, Clone, Template)]
#[template(path = "mail/notice.html", config = "config/askama.toml")]
pub struct NoticeHtml<'a> {
    pub heading: &'a str,
    pub key: &'a str,
    pub lines: &'a [(String, String)],
    pub body: &'a Option<String>,
    pub link: &'a str,
    pub org: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub subject: String,
    pub heading: String,
    /// The request key, e.g. CR-12.
    pub key: String,
    pub lines: Vec<(String, String)>,
    pub body: Option<String>,
    pub link: String,
}

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// A PNG the HTML part shows as `cid:` [`super::INLINE_CHART`].
    pub inline_png: Option<Vec<u8>>,
}

/// Subject, text and HTML of a notice.
pub fn render(n: &Notice, org: &str) -> Result<Rendered, askama::Error> {
    let text = NoticeText { heading: &n.heading, lines: &n.lines, body: &n.body, link: &n.link, org }.render()?;
    let html =
        NoticeHtml { heading: &n.heading, key: &n.key, lines: &n.lines, body: &n.body, link: &n.link, org }.render()?;
    Ok(Rendered { subject: n.subject.clone(), text, html, inline_png: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_value_and_text_keeps_them_verbatim() {
        let n = Notice {
            subject: "[CR-1] <b>".into(),
            heading: "New <script>alert(1)</script>".into(),
            key: "CR-1".into(),
            lines: vec![("Title".into(), "Tom & Jerry <img src=x>".into())],
            body: Some("a \"quote\"".into()),
            link: "https://cd.example.org/requests/CR-1".into(),
        };
        let Rendered { text, html, .. } = render(&n, "Org").unwrap();
        assert!(
            html.contains("New &#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("New &lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>") && !html.contains("<img"), "{html}");
        assert!(text.contains("Title: Tom & Jerry <img src=x>"), "{text}");
        assert!(text.contains("https://cd.example.org/requests/CR-1"));
    }
}

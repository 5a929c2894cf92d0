//! What changedesk reads from a parsed message: who sent it, to whom, what it answers, whether a
//! machine wrote it, and the words a person typed above the quote.

use mail_parser::{Address, HeaderValue, Message, MimeHeaders};

/// Why a message is an automatic one (an auto-reply, a bounce, bulk mail), if it is.
pub fn automatic(message: &Message) -> Option<&'static str> {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if header("Auto-Submitted").is_some_and(|v| v != "no") {
        return Some("Auto-Submitted");
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply")) {
        return Some("Precedence");
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return Some("X-Autoreply");
    }
    if header("Return-Path").is_some_and(|v| v == "<>") {
        return Some("a bounce (empty Return-Path)");
    }
    let report = message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if report {
        return Some("a delivery status notification");
    }
    None
}

/// The sender's address (lower case) and name.
pub fn sender(message: &Message) -> Option<(String, Option<String>)> {
    let from = message.from()?.first()?;
    Some((from.address()?.trim().to_lowercase(), from.name().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())))
}

/// The first address of a header, lower case.
pub fn first_address(address: Option<&Address>) -> Option<String> {
    address?.first()?.address().map(|a| a.trim().to_lowercase())
}

fn addresses<'a>(address: Option<&'a Address<'a>>) -> impl Iterator<Item = String> + 'a {
    address.into_iter().flat_map(|a| a.iter()).filter_map(|a| a.address()).map(|a| a.trim().to_lowercase())
}

/// Every address the message was sent to: To and Cc, and the envelope recipients a mail server
/// records (Delivered-To, X-Original-To), which name a reply address even when it was a Bcc.
pub fn recipients(message: &Message) -> Vec<String> {
    let envelope = ["Delivered-To", "X-Original-To", "Envelope-To"]
        .into_iter()
        .flat_map(|name| message.header_values(name))
        .filter_map(|v| v.as_text())
        .map(|a| a.trim().trim_start_matches('<').trim_end_matches('>').to_lowercase());
    let mut all: Vec<String> = addresses(message.to()).chain(addresses(message.cc())).chain(envelope).collect();
    all.dedup();
    all
}

/// The addresses a person copied in (To and Cc, besides the one they wrote to).
pub fn copied(message: &Message) -> Vec<String> {
    addresses(message.to()).chain(addresses(message.cc())).collect()
}

/// Message-IDs named by In-Reply-To or References, with their angle brackets.
pub fn answered(message: &Message) -> Vec<String> {
    fn ids(value: &HeaderValue) -> Vec<String> {
        match value {
            HeaderValue::Text(id) => vec![format!("<{id}>")],
            HeaderValue::TextList(list) => list.iter().map(|id| format!("<{id}>")).collect(),
            _ => Vec::new(),
        }
    }
    ids(message.in_reply_to()).into_iter().chain(ids(message.references())).collect()
}

/// The text of the message (an HTML-only one converted to text).
pub fn text(message: &Message) -> String {
    message.body_text(0).map(|t| t.into_owned()).unwrap_or_default()
}

/// The words typed above the quote: the quoted mail and the signature cut off by
/// `email_reply_parser` ("On … wrote:" lines, `>` quotes, Outlook's "From:/Sent:" block and
/// "-----Original Message-----" rules, `-- ` and "Sent from my iPhone" signatures).
pub fn reply_text(message: &Message) -> String {
    email_reply_parser::EmailReplyParser::parse_reply(&text(message).replace("\r\n", "\n")).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::*;

    fn parse(raw: &str) -> Message<'_> {
        MessageParser::default().parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn outlooks_header_block_is_cut_as_a_quote() {
        let m = parse(
            "From: a@example.org\r\nSubject: RE: x\r\n\r\nYes, go ahead.\r\n\r\n\
             ________________________________\r\nFrom: changedesk <desk@example.org>\r\n\
             Sent: Monday, 7 December 2026 10:00\r\nTo: a@example.org\r\nSubject: x\r\n\r\nold text\r\n",
        );
        assert_eq!(reply_text(&m), "Yes, go ahead.");
    }

    #[test]
    fn recipients_include_the_envelope_and_copied_addresses() {
        let m = parse(
            "From: A <A@Example.org>\r\nTo: Desk <desk@example.org>\r\nCc: b@example.org, C <c@example.org>\r\n\
             Delivered-To: desk+x-y@example.org\r\n\r\nhi\r\n",
        );
        assert_eq!(sender(&m), Some(("a@example.org".into(), Some("A".into()))));
        assert_eq!(recipients(&m), ["desk@example.org", "b@example.org", "c@example.org", "desk+x-y@example.org"]);
        assert_eq!(copied(&m), ["desk@example.org", "b@example.org", "c@example.org"]);
    }
}

//! What a file is, by its content: the MIME type its first bytes show (never its name or the
//! type the sender claimed), whether it may be shown inline, and a safe name to store.

/// The type of a file whose first bytes (up to a chunk) are `head`. Binary formats by their
/// signatures (the `infer` crate: images, PDF, office documents, archives); markup by the
/// WHATWG sniffing rules (HTML, XML, with SVG told apart); other text as plain text, or CSV
/// when its name says so; anything else is `application/octet-stream`.
pub fn sniff(head: &[u8], name: &str) -> String {
    let text = looks_like_text(head);
    let lower = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_ascii_lowercase();
    let svg = || {
        lower.trim_start_matches('\u{feff}').trim_start().starts_with("<svg")
            || (infer::text::is_xml(head) && lower.contains("<svg"))
    };
    if text && svg() {
        return "image/svg+xml".into();
    }
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().into();
    }
    if text {
        let csv = name.to_ascii_lowercase().ends_with(".csv");
        return (if csv { "text/csv" } else { "text/plain" }).into();
    }
    "application/octet-stream".into()
}

/// UTF-8 (a character cut off at the end of the chunk allowed) without NUL bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && !head.contains(&0)
}

/// Raster images may be shown inline (thumbnails, a click to see); everything else, SVG and HTML
/// above all, is only ever downloaded.
pub fn shows_inline(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// A name safe to store and to put in a Content-Disposition: the last path component, without
/// control characters or quotes, at most 200 characters; "file" when nothing is left.
pub fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\')).take(200).collect::<String>();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() { "file".into() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(sniff(PNG, "photo.html"), "image/png");
        assert_eq!(sniff(b"<!DOCTYPE html><html><script>alert(1)</script>", "hero.png"), "text/html");
        assert_eq!(sniff(b"  <html>hi</html>", "x.png"), "text/html");
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "logo.png"),
            "image/svg+xml"
        );
        assert_eq!(sniff(b"<svg onload=\"alert(1)\"/>", "logo.svg"), "image/svg+xml");
        assert_eq!(sniff(b"%PDF-1.7\n...", "brief.txt"), "application/pdf");
        assert_eq!(sniff(b"page,old,new\n/a,/b,/c\n", "redirects.csv"), "text/csv");
        assert_eq!(sniff("Neue Überschrift für die Startseite".as_bytes(), "copy.txt"), "text/plain");
        assert_eq!(sniff(&[0xe2, 0x82], "cut.txt"), "text/plain", "a character cut at the chunk's end");
        assert_eq!(sniff(&[0, 1, 2, 3, 0xff], "x.bin"), "application/octet-stream");
    }

    #[test]
    fn only_raster_images_show_inline() {
        assert!(shows_inline("image/png") && shows_inline("image/webp"));
        assert!(!shows_inline("image/svg+xml") && !shows_inline("text/html") && !shows_inline("application/pdf"));
    }

    #[test]
    fn names_lose_their_paths_and_what_would_break_a_header() {
        assert_eq!(safe_name("C:\\Users\\ann\\hero.png"), "hero.png");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\"b\r\nc.txt"), "abc.txt");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name(&"x".repeat(500)).len(), 200);
    }
}

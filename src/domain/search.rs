//! Full-text search, the part both engines share: what a word is, what a search asks for, and
//! which words of a text it found.
//!
//! A word is a run of letters and digits, lower-cased; everything else separates words (the
//! rule of SQLite FTS5's `unicode61` tokenizer without diacritics folding; where SQLite's older
//! Unicode tables still split a word, the search word reads as a phrase of its parts). Text is indexed as
//! its words joined by spaces, so PostgreSQL's `simple` configuration reads exactly the same
//! words (its parser alone would keep `example.org/spring` or `spring-sale` whole). A search is
//! its words ANDed, the last one a prefix; it is built from those words only, so nothing a user
//! types is ever query syntax.

use super::request::parse_request_key;

/// Letters, digits and private-use characters: what `unicode61` keeps in a word (Rust's
/// `is_alphanumeric` also keeps some combining marks, which it splits words at).
#[expect(clippy::expect_used, reason = "a constant pattern, compiled by every test that reads a word")]
static WORD: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"[\p{L}\p{N}\p{Co}]+").expect("a valid pattern"));

/// The words of a text, lower case, in order.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    WORD.find_iter(text).map(|m| m.as_str().to_lowercase())
}

/// Whether `c` is part of a word.
fn word_char(c: char) -> bool {
    let mut buf = [0u8; 4];
    WORD.is_match(c.encode_utf8(&mut buf))
}

/// A text as the index stores it: its words, separated by spaces.
pub fn indexed(text: &str) -> String {
    words(text).collect::<Vec<_>>().join(" ")
}

/// The most words a search takes (more only narrows an AND further).
const MAX_TERMS: usize = 16;

/// What `q` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// `CR-12`: that request comes first.
    pub key: Option<i64>,
    /// Every word must be there; the last may be the start of a word.
    pub terms: Vec<String>,
}

impl SearchQuery {
    /// None when `q` holds no word at all (only punctuation): nothing to search for.
    pub fn parse(q: &str) -> Option<Self> {
        let key = parse_request_key(q.trim());
        let terms: Vec<String> = words(q).take(MAX_TERMS).collect();
        (key.is_some() || !terms.is_empty()).then_some(Self { key, terms })
    }

    /// The FTS5 query: each word quoted (a word has no quote to escape), the last a prefix;
    /// with `columns`, only in those.
    pub fn fts5(&self, columns: Option<&str>) -> Option<String> {
        let (last, rest) = self.terms.split_last()?;
        let mut parts: Vec<String> = rest.iter().map(|t| format!("\"{t}\"")).collect();
        parts.push(format!("\"{last}\"*"));
        let all = parts.join(" AND ");
        Some(match columns {
            Some(cols) => format!("{{{cols}}} : ({all})"),
            None => all,
        })
    }

    /// The PostgreSQL `to_tsquery('simple', ...)` text: words are letters and digits only, so
    /// the text needs no quoting to be safe, and is quoted as lexemes anyway.
    pub fn tsquery(&self) -> Option<String> {
        let (last, rest) = self.terms.split_last()?;
        let mut parts: Vec<String> = rest.iter().map(|t| format!("'{t}'")).collect();
        parts.push(format!("'{last}':*"));
        Some(parts.join(" & "))
    }

    /// Whether `word` (lower case) is one the search asked for.
    fn hits(&self, word: &str) -> bool {
        let Some((last, rest)) = self.terms.split_last() else { return false };
        rest.iter().any(|t| t == word) || word.starts_with(last.as_str())
    }
}

/// A piece of a shown text: matched words are marked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Fragment {
    pub text: String,
    #[serde(rename = "match")]
    pub matched: bool,
}

/// `text` cut into fragments, the words `q` asked for marked; None when none is in it.
pub fn highlight(text: &str, q: &SearchQuery) -> Option<Vec<Fragment>> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut any = false;
    let push = |piece: &str, matched: bool, out: &mut Vec<Fragment>| match out.last_mut() {
        Some(last) if last.matched == matched => last.text.push_str(piece),
        _ => out.push(Fragment { text: piece.to_owned(), matched }),
    };
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(word_char).unwrap_or(rest.len());
        if start > 0 {
            push(&rest[..start], false, &mut out);
        }
        rest = &rest[start..];
        let end = rest.find(|c: char| !word_char(c)).unwrap_or(rest.len());
        if end > 0 {
            let word = &rest[..end];
            let hit = q.hits(&word.to_lowercase());
            any |= hit;
            push(word, hit, &mut out);
        }
        rest = &rest[end..];
    }
    any.then_some(out)
}

/// Around the first match of a long text: `width` characters at most, a third of them before
/// the match, with an ellipsis where it was cut.
pub fn snippet(text: &str, q: &SearchQuery, width: usize) -> Option<Vec<Fragment>> {
    let fragments = highlight(text, q)?;
    let chars: Vec<(char, bool)> = fragments.iter().flat_map(|f| f.text.chars().map(move |c| (c, f.matched))).collect();
    let first = chars.iter().position(|(_, m)| *m)?;
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let mut out: Vec<Fragment> = Vec::new();
    if start > 0 {
        out.push(Fragment { text: "…".into(), matched: false });
    }
    for &(c, matched) in &chars[start..end] {
        match out.last_mut() {
            Some(last) if last.matched == matched && last.text != "…" => last.text.push(c),
            _ => out.push(Fragment { text: c.to_string(), matched }),
        }
    }
    if end < chars.len() {
        out.push(Fragment { text: "…".into(), matched: false });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_lower_cased() {
        let w: Vec<String> = words("The hero-image on https://example.org/Spring_Sale, 2× größer!").collect();
        assert_eq!(w, ["the", "hero", "image", "on", "https", "example", "org", "spring", "sale", "2", "größer"]);
        assert_eq!(indexed("  Über  ALLES. "), "über alles");
    }

    #[test]
    fn no_user_text_becomes_query_syntax() {
        let q = SearchQuery::parse(r#"hero" OR title:* NEAR(x) 'drop'; -- "#).unwrap();
        assert_eq!(q.terms, ["hero", "or", "title", "near", "x", "drop"]);
        assert_eq!(q.fts5(None).unwrap(), r#""hero" AND "or" AND "title" AND "near" AND "x" AND "drop"*"#);
        assert_eq!(q.tsquery().unwrap(), "'hero' & 'or' & 'title' & 'near' & 'x' & 'drop':*");
        assert_eq!(SearchQuery::parse("  ?!  "), None);
    }

    #[test]
    fn a_key_is_found_as_itself_and_as_words() {
        let q = SearchQuery::parse("cr-12").unwrap();
        assert_eq!((q.key, q.terms.clone()), (Some(12), vec!["cr".to_owned(), "12".to_owned()]));
        assert_eq!(q.fts5(Some("title body")).unwrap(), r#"{title body} : ("cr" AND "12"*)"#);
    }

    #[test]
    fn matches_are_marked_and_the_last_word_is_a_prefix() {
        let q = SearchQuery::parse("hero ima").unwrap();
        let f = highlight("New hero image, heroic", &q).unwrap();
        let marked: Vec<(&str, bool)> = f.iter().map(|f| (f.text.as_str(), f.matched)).collect();
        assert_eq!(marked, [("New ", false), ("hero", true), (" ", false), ("image", true), (", heroic", false)]);
        assert_eq!(highlight("nothing here", &q), None);
    }

    #[test]
    fn a_snippet_is_cut_around_the_first_match() {
        let q = SearchQuery::parse("banner").unwrap();
        let text = format!("{} the banner is blurry {}", "words ".repeat(40), "more ".repeat(40));
        let s = snippet(&text, &q, 60).unwrap();
        assert_eq!(s.first().unwrap().text, "…");
        assert_eq!(s.last().unwrap().text, "…");
        assert!(s.iter().any(|f| f.matched && f.text == "banner"));
        let shown: usize = s.iter().map(|f| f.text.chars().count()).sum();
        assert!(shown <= 62, "{shown}");
    }
}

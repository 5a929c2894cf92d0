//! The ownership map (category → team) and the ordered routing rules that can override it.
//! `route` is pure: given the map and a request, it names the team and says why.

use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FieldErrors, Priority};

/// Complete routing configuration; every admin change stores a new versioned snapshot of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OwnershipMap {
    /// Team that takes categories without an owner (by default `other`).
    pub fallback_team: String,
    pub categories: Vec<Category>,
    pub rules: Vec<Rule>,
}

/// One row of the ownership map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub key: String,
    pub name: String,
    /// One line for requesters: what belongs here.
    pub help: String,
    /// Owning team; absent means the fallback team.
    #[serde(default)]
    pub team: Option<String>,
}

/// Sends matching requests to `team` regardless of category. Rules are tried in order; the
/// first that matches wins. A rule matches when its text condition holds (any of `words`, or
/// `regex`) and, if it has one, its `page_url` pattern too. A rule needs at least one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Words or phrases, any of which (whole words, any case) in title or description matches.
    #[serde(default)]
    pub words: Vec<String>,
    /// A regular expression tried on title and description.
    #[serde(default)]
    pub regex: Option<String>,
    /// A regular expression the request's page_url must match.
    #[serde(default)]
    pub page_url: Option<String>,
    /// Request type fields and the regular expression each one's value must match (yes/no
    /// fields read `yes` or `no`): `{"tag_vendor": "^Meta"}`. A missing field does not match.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
    pub team: String,
    /// Priority suggested to the requester when this rule matches.
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// Where a request goes and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RoutingDecision {
    pub team: String,
    /// The rule that decided, or none when the ownership map did.
    pub rule: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_priority: Option<Priority>,
}

const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How many compiled patterns the process keeps; past it the cache starts again (a map holds a
/// few dozen, so only a process that saw hundreds of map versions ever reaches it).
const COMPILED_MAX: usize = 1024;

/// Compiles a rule's pattern once per process: building a regex (its literal prefilter and
/// automata) cost more than the rest of a filing. Shared behind an `Arc`, not cloned: a cloned
/// `Regex` shares the compiled program but not the pool of its search caches, so every filing
/// built its lazy DFA again (1 % of a filing's CPU). Patterns are the cache key, so a new map
/// version needs no invalidation: its changed patterns are simply new keys.
fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    static COMPILED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Arc<Regex>>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(re) = COMPILED.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return Ok(re.clone());
    }
    let re = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regular expression: {e}"))?;
    let re = Arc::new(re);
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if compiled.len() >= COMPILED_MAX {
        compiled.clear();
    }
    compiled.insert(pattern.to_owned(), re.clone());
    Ok(re)
}

impl Rule {
    fn words_regex(&self) -> Result<Option<Arc<Regex>>, String> {
        let words: Vec<String> =
            self.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).map(regex::escape).collect();
        if words.is_empty() {
            return Ok(None);
        }
        compile(&format!(r"\b(?:{})\b", words.join("|"))).map(Some)
    }

    /// The matched text (quoted in the reason) when every condition of the rule holds:
    /// any of the words or the regex in the text, and the page_url pattern on the URL.
    fn matches(&self, text: &str, page_url: Option<&str>, fields: &Fields) -> Result<Option<String>, String> {
        let text_patterns: Vec<Arc<Regex>> =
            [self.words_regex()?, self.regex.as_deref().map(compile).transpose()?].into_iter().flatten().collect();
        let mut found = None;
        if !text_patterns.is_empty() {
            match text_patterns.iter().find_map(|re| re.find(text)) {
                Some(m) => found = Some(format!("\"{}\"", m.as_str())),
                None => return Ok(None),
            }
        }
        if let Some(pattern) = &self.page_url {
            match page_url {
                Some(url) if compile(pattern)?.is_match(url) => {
                    let url_part = format!("page_url \"{url}\"");
                    found = Some(match found {
                        Some(text) => format!("{text} and {url_part}"),
                        None => url_part,
                    });
                }
                _ => return Ok(None),
            }
        }
        for (key, pattern) in &self.fields {
            let value = fields.get(key).map(super::request_type::shown);
            match value {
                Some(v) if compile(pattern)?.is_match(&v) => {
                    let part = format!("{key} \"{v}\"");
                    found = Some(match found {
                        Some(text) => format!("{text} and {part}"),
                        None => part,
                    });
                }
                _ => return Ok(None),
            }
        }
        Ok(found)
    }
}

/// A request's type fields, as routing reads them.
pub type Fields = serde_json::Map<String, serde_json::Value>;

impl OwnershipMap {
    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    /// The team that owns `category` on this map, and the reason in words.
    pub fn owner(&self, category: &str) -> (String, String) {
        match self.category(category).and_then(|c| c.team.clone()) {
            Some(team) => (team.clone(), format!("category '{category}' is owned by {team}")),
            None => (
                self.fallback_team.clone(),
                format!("category '{category}' goes to the fallback team {}", self.fallback_team),
            ),
        }
    }

    /// Routes a request: the first matching rule, else the category's owner.
    /// Words and regexes read the title, the description and the type fields' values.
    pub fn route(
        &self,
        category: &str,
        title: &str,
        description: &str,
        page_url: Option<&str>,
        fields: &Fields,
    ) -> RoutingDecision {
        let text = if fields.is_empty() {
            format!("{title}\n{description}")
        } else {
            format!("{title}\n{description}\n{}", super::request_type::fields_text(fields))
        };
        for rule in &self.rules {
            // Rules were validated when stored, so a compile error here cannot happen; skip
            // rather than fail the request if it somehow does.
            if let Ok(Some(matched)) = rule.matches(&text, page_url, fields) {
                return RoutingDecision {
                    team: rule.team.clone(),
                    rule: Some(rule.name.clone()),
                    reason: format!("rule '{}' matched {matched}", rule.name),
                    suggested_priority: rule.priority,
                };
            }
        }
        let (team, reason) = self.owner(category);
        RoutingDecision { team, rule: None, reason, suggested_priority: None }
    }

    /// Checks the map against the known teams; field names point into the document
    /// (`categories[2].team`, `rules[0].regex`).
    pub fn validate(&self, teams: &[String]) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let known = |t: &str| teams.iter().any(|k| k == t);
        if !known(&self.fallback_team) {
            errors.add("fallback_team", format!("unknown team '{}'", self.fallback_team));
        }
        for (i, c) in self.categories.iter().enumerate() {
            if let Err(e) = validate_key(&c.key) {
                errors.add(format!("categories[{i}].key"), e);
            }
            if self.categories[..i].iter().any(|o| o.key == c.key) {
                errors.add(format!("categories[{i}].key"), format!("duplicate category '{}'", c.key));
            }
            if c.name.trim().is_empty() {
                errors.add(format!("categories[{i}].name"), "is required");
            }
            if let Some(t) = &c.team
                && !known(t)
            {
                errors.add(format!("categories[{i}].team"), format!("unknown team '{t}'"));
            }
        }
        if self.categories.is_empty() {
            errors.add("categories", "at least one category is required");
        }
        for (i, r) in self.rules.iter().enumerate() {
            if r.name.trim().is_empty() {
                errors.add(format!("rules[{i}].name"), "is required");
            }
            if self.rules[..i].iter().any(|o| o.name == r.name) {
                errors.add(format!("rules[{i}].name"), format!("duplicate rule '{}'", r.name));
            }
            if !known(&r.team) {
                errors.add(format!("rules[{i}].team"), format!("unknown team '{}'", r.team));
            }
            if let Err(e) = r.words_regex() {
                errors.add(format!("rules[{i}].words"), e);
            }
            for (field, pattern) in [("regex", &r.regex), ("page_url", &r.page_url)] {
                if let Some(Err(e)) = pattern.as_deref().map(compile) {
                    errors.add(format!("rules[{i}].{field}"), e);
                }
            }
            for (key, pattern) in &r.fields {
                if let Err(e) = validate_key(key).and_then(|()| compile(pattern).map(drop)) {
                    errors.add(format!("rules[{i}].fields.{key}"), e);
                }
            }
            let no_words = r.words.iter().all(|w| w.trim().is_empty());
            if no_words && r.regex.is_none() && r.page_url.is_none() && r.fields.is_empty() {
                errors.add(format!("rules[{i}]"), "needs words, a regex, a page_url pattern or a field pattern");
            }
        }
        errors.finish(|| ())
    }
}

/// Team and category keys: lowercase letters, digits, '-' and '_', 1 to 40 characters.
pub fn validate_key(key: &str) -> Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 40
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok { Ok(()) } else { Err(format!("'{key}' must be 1-40 of a-z, 0-9, '-', '_'")) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_map() -> OwnershipMap {
        let cat = |key: &str, team: Option<&str>| Category {
            key: key.into(),
            name: key.into(),
            help: String::new(),
            team: team.map(Into::into),
        };
        OwnershipMap {
            fallback_team: "it".into(),
            categories: vec![cat("content", Some("marketing")), cat("security", Some("it")), cat("other", None)],
            rules: vec![
                Rule {
                    name: "outage words".into(),
                    words: vec!["site is down".into(), "outage".into()],
                    regex: None,
                    page_url: None,
                    fields: Default::default(),
                    team: "it".into(),
                    priority: Some(Priority::P1),
                },
                Rule {
                    name: "shop pages".into(),
                    words: vec![],
                    regex: None,
                    page_url: Some(r"^https://shop\.".into()),
                    fields: Default::default(),
                    team: "it".into(),
                    priority: None,
                },
            ],
        }
    }

    #[test]
    fn category_owner_decides_when_no_rule_matches() {
        let d = sample_map().route("content", "New hero image", "for the spring campaign", None, &Fields::new());
        assert_eq!(d.team, "marketing");
        assert_eq!(d.rule, None);
        assert_eq!(d.reason, "category 'content' is owned by marketing");
    }

    #[test]
    fn the_first_matching_rule_wins_and_quotes_what_it_matched() {
        let d = sample_map().route("content", "Help", "The Site Is Down since 9", None, &Fields::new());
        assert_eq!(d.team, "it");
        assert_eq!(d.rule.as_deref(), Some("outage words"));
        assert_eq!(d.reason, "rule 'outage words' matched \"Site Is Down\"");
        assert_eq!(d.suggested_priority, Some(Priority::P1));
    }

    #[test]
    fn words_match_whole_words_only() {
        let d = sample_map().route("content", "Outages page copy", "", None, &Fields::new());
        assert_eq!(d.rule, None, "'outage' must not match inside 'Outages'");
    }

    #[test]
    fn page_url_rules_match_the_url() {
        let d = sample_map().route("content", "Copy", "x", Some("https://shop.example.com/a"), &Fields::new());
        assert_eq!(d.rule.as_deref(), Some("shop pages"));
        assert_eq!(d.reason, "rule 'shop pages' matched page_url \"https://shop.example.com/a\"");
    }

    #[test]
    fn other_goes_to_the_fallback_team() {
        let d = sample_map().route("other", "Something", "else", None, &Fields::new());
        assert_eq!((d.team.as_str(), d.reason.as_str()), ("it", "category 'other' goes to the fallback team it"));
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut m = sample_map();
        m.categories[0].team = Some("sales".into());
        m.rules[0].regex = Some("(".into());
        m.rules.push(m.rules[1].clone());
        m.rules.push(Rule {
            name: "empty".into(),
            words: vec![],
            regex: None,
            page_url: None,
            fields: Default::default(),
            team: "it".into(),
            priority: None,
        });
        let e = m.validate(&["it".into(), "marketing".into()]).unwrap_err();
        let fields: Vec<&str> = e.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["categories[0].team", "rules[0].regex", "rules[2].name", "rules[3]"]);
    }
}

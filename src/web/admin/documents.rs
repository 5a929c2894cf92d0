//! Each settings form and the API document it stands for: rows from the settings in force, and
//! the document from the rows (what cannot be read, such as "4 days" for a target, is a
//! problem of its field; the rest is checked by the same code as the API's PUTs).

use chrono_tz::Tz;

use super::forms::{Form, Group, Row, list, minutes, optional};
use crate::domain::calendar::{BusinessCalendar, WeekHours};
use crate::domain::routing::{Category, Rule};
use crate::domain::sla::{Policy, SlaConfig, TeamSla};
use crate::domain::{FieldErrors, OwnershipMap, Priority};
use crate::service::admin::{CalendarsInput, CategoriesInput, RulesInput, SlaPoliciesInput, TeamView};

pub const CATEGORIES: Group = Group { name: "categories", at: "categories", fields: &["key", "name", "team", "help"] };
pub const RULES: Group =
    Group { name: "rules", at: "rules", fields: &["name", "words", "regex", "page_url", "team", "priority"] };
pub const CALENDARS: Group = Group {
    name: "calendars",
    at: "calendars",
    fields: &[
        "name",
        "timezone",
        "hours.mon",
        "hours.tue",
        "hours.wed",
        "hours.thu",
        "hours.fri",
        "hours.sat",
        "hours.sun",
        "holidays",
    ],
};
pub const POLICIES: Group = Group {
    name: "policies",
    at: "policies",
    fields: &["team", "priority", "calendar", "first_response_minutes", "resolution_minutes", "at_risk_share"],
};
/// Each team's calendar and executives: `teams` in the SLA policies document.
pub const TEAM_CALENDARS: Group =
    Group { name: "team_calendars", at: "teams", fields: &["team", "calendar", "executives"] };
/// The teams document is a bare list, so its problems are named `[2].email`.
pub const TEAMS: Group = Group { name: "teams", at: "", fields: &["key", "name", "email", "leads"] };

/// The weekdays as the calendar document names them, with their names for people.
pub const DAYS: [(&str, &str); 7] = [
    ("hours.mon", "Monday"),
    ("hours.tue", "Tuesday"),
    ("hours.wed", "Wednesday"),
    ("hours.thu", "Thursday"),
    ("hours.fri", "Friday"),
    ("hours.sat", "Saturday"),
    ("hours.sun", "Sunday"),
];

fn row<const N: usize>(fields: [(&str, String); N]) -> Row {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn form(singles: Row, groups: impl IntoIterator<Item = (&'static str, Vec<Row>)>) -> Form {
    Form { singles, groups: groups.into_iter().collect(), ..Form::default() }
}

pub fn categories_form(map: &OwnershipMap) -> Form {
    let rows = map
        .categories
        .iter()
        .map(|c| {
            row([
                ("key", c.key.clone()),
                ("name", c.name.clone()),
                ("team", c.team.clone().unwrap_or_default()),
                ("help", c.help.clone()),
            ])
        })
        .collect();
    form(row([("fallback_team", map.fallback_team.clone())]), [(CATEGORIES.name, rows)])
}

pub fn categories_input(form: &Form) -> Result<CategoriesInput, FieldErrors> {
    let categories = form
        .rows(CATEGORIES.name)
        .iter()
        .map(|r| Category {
            key: form.value(r, "key").trim().to_owned(),
            name: form.value(r, "name").trim().to_owned(),
            help: form.value(r, "help").trim().to_owned(),
            team: optional(form.value(r, "team")),
        })
        .collect();
    Ok(CategoriesInput { fallback_team: optional(form.single("fallback_team")), categories })
}

pub fn rules_form(map: &OwnershipMap) -> Form {
    let rows = map
        .rules
        .iter()
        .map(|r| {
            row([
                ("name", r.name.clone()),
                ("words", r.words.join(", ")),
                ("regex", r.regex.clone().unwrap_or_default()),
                ("page_url", r.page_url.clone().unwrap_or_default()),
                ("team", r.team.clone()),
                ("priority", r.priority.map(|p| p.as_str().to_owned()).unwrap_or_default()),
            ])
        })
        .collect();
    form(Row::new(), [(RULES.name, rows)])
}

pub fn rules_input(form: &Form) -> Result<RulesInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut rules = Vec::new();
    for (i, r) in form.rows(RULES.name).iter().enumerate() {
        let priority = optional(form.value(r, "priority")).map(|p| Priority::parse(&p));
        let priority = errors.check(&format!("rules[{i}].priority"), priority.transpose());
        rules.push(Rule {
            name: form.value(r, "name").trim().to_owned(),
            words: list(form.value(r, "words")),
            regex: optional(form.value(r, "regex")),
            page_url: optional(form.value(r, "page_url")),
            // Field conditions are the API's; saving the form keeps a rule's (web::admin::settings).
            fields: Default::default(),
            team: form.value(r, "team").trim().to_owned(),
            priority: priority.flatten(),
        });
    }
    errors.finish(|| RulesInput { rules })
}

pub fn calendars_form(config: &SlaConfig) -> Form {
    let rows = config
        .calendars
        .iter()
        .map(|c| {
            let mut r = row([
                ("name", c.name.clone()),
                ("timezone", c.timezone.name().to_owned()),
                ("holidays", c.holidays.join("\n")),
            ]);
            for (d, (field, _)) in DAYS.iter().enumerate() {
                let day = chrono::Weekday::try_from(d as u8).unwrap_or(chrono::Weekday::Mon);
                r.insert((*field).to_owned(), c.hours.day(day).join(", "));
            }
            r
        })
        .collect();
    form(Row::new(), [(CALENDARS.name, rows)])
}

pub fn calendars_input(form: &Form) -> Result<CalendarsInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut calendars = Vec::new();
    for (i, r) in form.rows(CALENDARS.name).iter().enumerate() {
        let zone = form.value(r, "timezone").trim();
        let timezone = errors.check(
            &format!("calendars[{i}].timezone"),
            zone.parse::<Tz>().map_err(|_| format!("'{zone}' is not a time zone name such as Europe/London")),
        );
        let day = |d: usize| list(form.value(r, DAYS[d].0));
        let hours =
            WeekHours { mon: day(0), tue: day(1), wed: day(2), thu: day(3), fri: day(4), sat: day(5), sun: day(6) };
        calendars.push(BusinessCalendar {
            name: form.value(r, "name").trim().to_owned(),
            timezone: timezone.unwrap_or(Tz::UTC),
            hours,
            holidays: list(form.value(r, "holidays")),
        });
    }
    errors.finish(|| CalendarsInput { calendars })
}

pub fn policies_form(config: &SlaConfig) -> Form {
    let policies = config
        .policies
        .iter()
        .map(|p| {
            row([
                ("team", p.team.clone()),
                ("priority", p.priority.as_str().to_owned()),
                ("calendar", p.calendar.clone()),
                ("first_response_minutes", crate::words::hm(p.first_response_minutes)),
                ("resolution_minutes", crate::words::hm(p.resolution_minutes)),
                ("at_risk_share", format!("{}", (p.at_risk_share * 100.0).round())),
            ])
        })
        .collect();
    let teams = config
        .teams
        .iter()
        .map(|t| {
            row([("team", t.team.clone()), ("calendar", t.calendar.clone()), ("executives", t.executives.join(", "))])
        })
        .collect();
    form(Row::new(), [(POLICIES.name, policies), (TEAM_CALENDARS.name, teams)])
}

pub fn policies_input(form: &Form) -> Result<SlaPoliciesInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut policies = Vec::new();
    for (i, r) in form.rows(POLICIES.name).iter().enumerate() {
        let at = |f: &str| format!("policies[{i}].{f}");
        let priority = errors.check(&at("priority"), Priority::parse(form.value(r, "priority").trim()));
        let first = errors.check(&at("first_response_minutes"), minutes(form.value(r, "first_response_minutes")));
        let resolution = errors.check(&at("resolution_minutes"), minutes(form.value(r, "resolution_minutes")));
        let share = form.value(r, "at_risk_share").trim().trim_end_matches('%').trim().to_owned();
        let share = errors.check(
            &at("at_risk_share"),
            share.parse::<f64>().map(|p| p / 100.0).map_err(|_| format!("'{share}' is not a percentage such as 75")),
        );
        if let (Some(priority), Some(first), Some(resolution), Some(share)) = (priority, first, resolution, share) {
            policies.push(Policy {
                team: form.value(r, "team").trim().to_owned(),
                priority,
                calendar: form.value(r, "calendar").trim().to_owned(),
                first_response_minutes: first,
                resolution_minutes: resolution,
                at_risk_share: share,
            });
        }
    }
    let teams = form
        .rows(TEAM_CALENDARS.name)
        .iter()
        .map(|r| TeamSla {
            team: form.value(r, "team").trim().to_owned(),
            calendar: form.value(r, "calendar").trim().to_owned(),
            executives: list(form.value(r, "executives")),
        })
        .collect();
    errors.finish(|| SlaPoliciesInput { policies, teams: Some(teams) })
}

pub fn teams_form(teams: &[TeamView]) -> Form {
    let rows = teams
        .iter()
        .map(|t| {
            row([
                ("key", t.key.clone()),
                ("name", t.name.clone()),
                ("email", t.email.clone()),
                ("leads", t.leads.join(", ")),
            ])
        })
        .collect();
    form(Row::new(), [(TEAMS.name, rows)])
}

pub fn teams_input(form: &Form) -> Vec<TeamView> {
    form.rows(TEAMS.name)
        .iter()
        .map(|r| TeamView {
            key: form.value(r, "key").trim().to_owned(),
            name: form.value(r, "name").trim().to_owned(),
            email: form.value(r, "email").trim().to_owned(),
            leads: list(form.value(r, "leads")),
        })
        .collect()
}

/// Choices of a select: (value, what people read), the first for "none".
pub type Options = Vec<(String, String)>;

/// The teams by name, after a first choice meaning none.
pub fn team_options(teams: &[TeamView], none: &str) -> Options {
    std::iter::once((String::new(), none.to_owned()))
        .chain(teams.iter().map(|t| (t.key.clone(), t.name.clone())))
        .collect()
}

pub fn priority_options(none: &str) -> Options {
    std::iter::once((String::new(), none.to_owned()))
        .chain(Priority::ALL.iter().map(|p| (p.as_str().to_owned(), crate::words::priority(p.as_str()).to_owned())))
        .collect()
}

//! Plain words for what the pages and mails show: statuses, priorities, moments and durations.

pub fn status(s: &str) -> &'static str {
    match s {
        "new" => "New",
        "acknowledged" => "Acknowledged",
        "in_progress" => "In progress",
        "waiting_on_requester" => "Waiting on you",
        "waiting" => "Waiting",
        "resolved" => "Resolved",
        "closed" => "Closed",
        "rejected" => "Rejected",
        "withdrawn" => "Withdrawn",
        _ => "Unknown",
    }
}

/// The status as staff read it (the requester is "you" on the requester's pages only).
pub fn status_for_staff(s: &str) -> &'static str {
    if s == "waiting_on_requester" { "Waiting on requester" } else { status(s) }
}

pub fn priority(p: &str) -> &'static str {
    match p {
        "P1" => "P1 · Site down or broken for everyone",
        "P2" => "P2 · Urgent: blocks a campaign or many visitors",
        "P3" => "P3 · Normal",
        "P4" => "P4 · Whenever possible",
        _ => "Unknown",
    }
}

pub fn clock_state(s: &str) -> &'static str {
    match s {
        "running" => "On track",
        "paused" => "Paused",
        "at_risk" => "At risk",
        "met" => "Met",
        "breached" => "Breached",
        _ => "No target",
    }
}

/// A span of wall-clock time in its two largest units: "2 d 4 h", "3 h 10 m", "45 m"; under
/// a minute is "under a minute".
pub fn span(span: chrono::TimeDelta) -> String {
    let minutes = span.num_minutes().abs();
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours, mins) {
        (0, 0, 0) => "under a minute".into(),
        (0, 0, m) => format!("{m} m"),
        (0, h, m) => format!("{h} h {m} m"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Minutes of a calendar (business or round the clock) as hours and minutes: "3 h 20 m",
/// "45 m": business time has no days, so neither has this.
pub fn hm(minutes: i64) -> String {
    if minutes < 60 { format!("{minutes} m") } else { format!("{} h {:02} m", minutes / 60, minutes % 60) }
}

/// A moment as the pages write it, in the reader's time zone: "Mon 16 Nov 2026, 10:00 CET".
pub fn when(at: &chrono::DateTime<chrono::Utc>, tz: &chrono_tz::Tz) -> String {
    at.with_timezone(tz).format("%a %-d %b %Y, %H:%M %Z").to_string()
}

/// How long until `due` from `now`: "due in 2 h 10 m", or "overdue by 1 d 3 h".
pub fn due_in(due: &chrono::DateTime<chrono::Utc>, now: &chrono::DateTime<chrono::Utc>) -> String {
    if due > now { format!("due in {}", span(*due - *now)) } else { format!("overdue by {}", span(*now - *due)) }
}

/// A target: "4 business hours", "42 h 30 m of business time", "1 h 30 m" (24x7).
pub fn duration(minutes: &i64, calendar: &str) -> String {
    let minutes = *minutes;
    let business = calendar != crate::domain::calendar::ALWAYS;
    let kind = if business { "business " } else { "" };
    if minutes % 60 == 0 {
        let hours = minutes / 60;
        format!("{hours} {kind}hour{}", if hours == 1 { "" } else { "s" })
    } else if business {
        format!("{} of business time", hm(minutes))
    } else {
        hm(minutes)
    }
}

/// A file's size: "43 B", "12 KB", "1.5 MB" (powers of 1,024, one decimal from a megabyte).
pub fn bytes(n: i64) -> String {
    const KB: i64 = 1024;
    match n {
        n if n < KB => format!("{n} B"),
        n if n < KB * KB => format!("{} KB", (n + KB / 2) / KB),
        n => format!("{:.1} MB", n as f64 / (KB * KB) as f64),
    }
}

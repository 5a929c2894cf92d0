//! The text forms of a calendar: "HH:MM-HH:MM" intervals and "YYYY-MM-DD" / "MM-DD" holidays.

use chrono::NaiveDate;

use super::MINUTES_PER_DAY;

/// "HH:MM-HH:MM" as minutes after local midnight; the end may be 24:00 (1440).
pub(super) fn parse_interval(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("must be HH:MM-HH:MM, e.g. 09:00-17:30 (got '{text}')");
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let start = parse_hhmm(start.trim()).filter(|&m| m < MINUTES_PER_DAY).ok_or_else(bad)?;
    let end = parse_hhmm(end.trim()).ok_or_else(bad)?;
    if start >= end {
        return Err(format!("the start must be before the end (got '{text}')"));
    }
    Ok((start, end))
}

/// "HH:MM" (00:00 to 24:00) as minutes after midnight.
fn parse_hhmm(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m) = (number(h, 1..=2)?, number(m, 2..=2)?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

/// A decimal number of `digits` ASCII digits (no sign, no spaces).
fn number(text: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    let ok = digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Holiday {
    Once(NaiveDate),
    Yearly { month: u32, day: u32 },
}

pub(super) fn parse_holiday(text: &str) -> Result<Holiday, String> {
    let bad = || format!("must be YYYY-MM-DD for one date or MM-DD for every year (got '{text}')");
    let parts: Vec<&str> = text.trim().split('-').collect();
    match parts[..] {
        [y, m, d] => {
            let (y, m, d) = (number(y, 4..=4), number(m, 2..=2), number(d, 2..=2));
            let (y, m, d) = (y.ok_or_else(bad)?, m.ok_or_else(bad)?, d.ok_or_else(bad)?);
            NaiveDate::from_ymd_opt(y as i32, m, d).map(Holiday::Once).ok_or_else(|| format!("no such date: '{text}'"))
        }
        [m, d] => {
            let (m, d) = (number(m, 2..=2).ok_or_else(bad)?, number(d, 2..=2).ok_or_else(bad)?);
            // Checked against a leap year so that 02-29 is accepted; it simply never matches
            // in other years.
            NaiveDate::from_ymd_opt(2000, m, d)
                .map(|_| Holiday::Yearly { month: m, day: d })
                .ok_or_else(|| format!("no such day of the year: '{text}'"))
        }
        _ => Err(bad()),
    }
}

//! The time axis: days since the scenario's start, labelled with calendar months.

use jiff::civil::Date;

/// Maps simulation days to calendar dates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calendar {
    /// Calendar date of day 0.
    pub start: Date,
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Calendar {
    /// A calendar whose day 0 is `start`.
    pub fn new(start: Date) -> Calendar {
        Calendar { start }
    }

    /// The date of day `day` (rounded down).
    pub fn date(&self, day: f64) -> Date {
        let days = day.floor().clamp(-1e6, 1e6) as i64;
        self.start.checked_add(jiff::Span::new().days(days)).unwrap_or(self.start)
    }

    /// Day number of `date`.
    pub fn day(&self, date: Date) -> f64 {
        (date - self.start).get_days() as f64
    }

    /// `2025-06-06`.
    pub fn iso(&self, day: f64) -> String {
        self.date(day).to_string()
    }

    /// `6 Jun 2025`.
    pub fn long(&self, day: f64) -> String {
        let date = self.date(day);
        format!("{} {} {}", date.day(), MONTHS[date.month() as usize - 1], date.year())
    }

    /// Tick positions and labels on `[from, to]`: the first of every month, or of every 2nd,
    /// 3rd, 6th or 12th month so that there are at most `max_ticks`. A label carries the year
    /// on January and on the first tick (`Jan 2026`, `Apr`, …).
    pub fn ticks(&self, from: f64, to: f64, max_ticks: usize) -> Vec<(f64, String)> {
        let first = self.date(from);
        let last = self.date(to);
        let months = (i64::from(last.year()) - i64::from(first.year())) * 12 + i64::from(last.month())
            - i64::from(first.month())
            + 1;
        let every = [1, 2, 3, 6, 12, 24, 60]
            .into_iter()
            .find(|e| months / e < max_ticks.max(2) as i64)
            .unwrap_or(120);
        let mut ticks = Vec::new();
        let mut year = i64::from(first.year());
        let mut month = i64::from(first.month()); // 1-based
        // Align to a multiple of `every` months counted from January.
        while (month - 1) % every != 0 {
            month += 1;
        }
        loop {
            while month > 12 {
                month -= 12;
                year += 1;
            }
            let Ok(date) = Date::new(year as i16, month as i8, 1) else { break };
            let day = self.day(date);
            if day > to {
                break;
            }
            if day >= from {
                let name = MONTHS[month as usize - 1];
                let label =
                    if ticks.is_empty() || month == 1 { format!("{name} {year}") } else { name.to_owned() };
                ticks.push((day, label));
            }
            month += every;
        }
        ticks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar() -> Calendar {
        Calendar::new(Date::new(2025, 1, 1).expect("date"))
    }

    #[test]
    fn days_map_to_dates() {
        let c = calendar();
        // 2025 is not a leap year: day 93 is 4 April, day 156 is 6 June.
        assert_eq!(c.iso(93.0), "2025-04-04");
        assert_eq!(c.long(156.0), "6 Jun 2025");
        assert_eq!(c.day(Date::new(2026, 1, 1).expect("date")), 365.0);
    }

    #[test]
    fn a_year_gets_monthly_ticks_with_the_year_on_the_first() {
        let ticks = calendar().ticks(0.0, 364.0, 13);
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels.len(), 12);
        assert_eq!(labels[0], "Jan 2025");
        assert_eq!(labels[3], "Apr");
        // 1 March 2025 is day 31 + 28 = 59.
        assert_eq!(ticks[2].0, 59.0);
    }

    #[test]
    fn long_spans_thin_out_to_quarters_or_years() {
        // Four years (2025-2028) with at most 10 ticks: 48 months / 6 = 8 half-years.
        let ticks = calendar().ticks(0.0, 4.0 * 365.0, 10);
        assert!(ticks.len() <= 10, "{ticks:?}");
        assert_eq!(ticks[0].1, "Jan 2025");
        assert_eq!(ticks[1].1, "Jul");
        assert_eq!(ticks[2].1, "Jan 2026");
    }

    #[test]
    fn ticks_start_at_the_next_month_inside_the_range() {
        // From 15 January: the first tick is 1 February (day 31).
        let ticks = calendar().ticks(14.0, 100.0, 12);
        assert_eq!(ticks[0], (31.0, "Feb 2025".to_owned()));
    }
}

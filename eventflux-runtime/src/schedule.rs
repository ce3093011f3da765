//! Cron schedules (Quartz syntax, as SiddhiQL uses): shared by `cron` windows and `at 'cron'`
//! triggers. Six or seven fields, seconds first (`sec min hour day-of-month month day-of-week
//! [year]`), `?` for "no specific value", days of the week `1-7` = `SUN-SAT`, names for months
//! and days, ranges, lists and steps; Quartz's `L`, `W` and `#` are not supported. Times are ms
//! since the Unix epoch, in UTC.

use chrono::{DateTime, Utc};
use std::str::FromStr;
use std::sync::Arc;

/// Past this time (early 2103, beyond the last year a schedule can name) nothing fires.
pub(crate) const LAST_FIRING: i64 = 4_200_000_000_000;

/// A cron expression that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid cron expression '{expression}': {reason}")]
pub struct CronError {
    /// The expression as given.
    pub expression: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed cron schedule.
#[derive(Clone, Debug)]
pub struct CronSchedule {
    schedule: Arc<cron::Schedule>,
}

impl CronSchedule {
    /// Parses a Quartz-style cron expression.
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let schedule = cron::Schedule::from_str(expression.trim()).map_err(|e| CronError {
            expression: expression.to_string(),
            reason: e.to_string(),
        })?;
        Ok(CronSchedule {
            schedule: Arc::new(schedule),
        })
    }

    /// The first time after `time` (ms) at which the schedule fires.
    pub fn next_after(&self, time: i64) -> Option<i64> {
        if time >= LAST_FIRING {
            return None;
        }
        let after = DateTime::<Utc>::from_timestamp_millis(time)?;
        self.schedule
            .after(&after)
            .next()
            .map(|t| t.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_on_the_next_matching_second() {
        let every_5s = CronSchedule::parse("*/5 * * * * ?").unwrap();
        assert_eq!(every_5s.next_after(0), Some(5_000));
        assert_eq!(every_5s.next_after(5_000), Some(10_000));
        assert!(CronSchedule::parse("not a cron").is_err());
    }
}

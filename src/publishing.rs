//! Publishing: when visitors may see a page, and when the next scheduled page appears.
//!
//! The rule is written once in SQL ([`crate::db::publishing`]'s `visible!`, used by every statement
//! that reads what visitors see) and once in Rust ([`is_visible`]). The [`Schedule`] knows the
//! moments at which scheduled pages go live; the render cache asks it before every lookup, and
//! [`upcoming`] reads those moments from the database after each change.

use std::sync::{
    Mutex,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use crate::{db::pages::Page, time::Moment, vocab::Status};

/// Whether visitors may see `page` at `now`: published, its publish time reached, not in the trash.
pub fn is_visible(page: &Page, now: &Moment) -> bool {
    page.content.status == Status::Published
        && page.deleted_at.is_none()
        && page
            .content
            .publish_at
            .as_deref()
            .is_none_or(|at| at <= now)
}

/// The moments after `now` (database timestamps) at which scheduled pages become visible.
pub async fn upcoming(
    db: impl Into<crate::db::Exec<'_>>,
    now: &Moment,
) -> sqlx::Result<Vec<String>> {
    crate::db::publishing::upcoming(db, now).await
}

/// The moments at which scheduled pages go live, as Unix seconds, with a lock-free check of
/// whether the next has come.
#[derive(Debug)]
pub struct Schedule {
    /// Unix second of the next scheduled change, or `i64::MAX` when none is scheduled.
    next: AtomicI64,
    /// Every upcoming change, latest first, so that the next one pops off the end.
    upcoming: Mutex<Vec<i64>>,
    /// Set while the schedule is not known (after a change, before it is read again).
    unsure: AtomicBool,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            next: AtomicI64::new(i64::MAX),
            upcoming: Mutex::default(),
            unsure: AtomicBool::new(false),
        }
    }
}

impl Schedule {
    /// Whether a scheduled moment has come by `now` (Unix seconds). Cheap: one atomic load.
    pub fn is_due(&self, now: i64) -> bool {
        now >= self.next.load(Ordering::Relaxed)
    }

    /// Forgets the moments that have come by `now`.
    pub fn pass(&self, now: i64) {
        let mut upcoming = lock(&self.upcoming);
        while upcoming.last().is_some_and(|second| *second <= now) {
            upcoming.pop();
        }
        self.next.store(
            upcoming.last().copied().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Remembers `upcoming` (database timestamps, as [`upcoming`] gives them): the schedule is known.
    pub fn set<'a>(&self, upcoming: impl IntoIterator<Item = &'a str>) {
        let mut seconds: Vec<i64> = upcoming
            .into_iter()
            .filter_map(crate::time::from_db)
            .map(|ts| ts.as_second())
            .collect();
        seconds.sort_unstable_by(|a, b| b.cmp(a));
        let mut schedule = lock(&self.upcoming);
        self.next.store(
            seconds.last().copied().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        *schedule = seconds;
        self.unsure.store(false, Ordering::Relaxed);
    }

    /// Content changed and the schedule is not known until [`set`](Self::set) is called again.
    pub fn forget(&self) {
        self.unsure.store(true, Ordering::Relaxed);
    }

    /// Whether the schedule is unknown.
    pub fn is_unsure(&self) -> bool {
        self.unsure.load(Ordering::Relaxed)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_due_at_each_moment_and_then_the_next() {
        let schedule = Schedule::default();
        assert!(!schedule.is_due(i64::MAX - 1), "nothing scheduled");
        schedule.set(["2030-01-01T00:00:10Z", "2030-01-01T00:00:05Z"]);
        let five = crate::time::from_db("2030-01-01T00:00:05Z")
            .expect("a timestamp")
            .as_second();
        assert!(!schedule.is_due(five - 1));
        assert!(schedule.is_due(five));
        schedule.pass(five);
        assert!(!schedule.is_due(five + 4));
        assert!(schedule.is_due(five + 5));
        schedule.forget();
        assert!(schedule.is_unsure());
        schedule.set([]);
        assert!(!schedule.is_unsure());
    }
}

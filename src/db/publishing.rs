//! Publishing in SQL: the one definition of "visible" (`visible!`) that every statement uses, and
//! the schedule of pages still to appear. The same rule in Rust is [`crate::publishing::is_visible`].

/// The condition on a row of `pages` for a page that visitors may see: published, its publish time
/// reached, not in the trash. `visible!()` is for a statement over `pages` alone, with the current
/// time as the next `?`; `visible!("p.", "?3")` names the table's alias and the time's parameter.
macro_rules! visible {
    () => {
        visible!("", "?")
    };
    ($alias:literal, $now:literal) => {
        concat!(
            $alias,
            "status = 'published' and (",
            $alias,
            "publish_at is null or ",
            $alias,
            "publish_at <= ",
            $now,
            ") and ",
            $alias,
            "deleted_at is null"
        )
    };
}

use crate::db::engine::{Exec, query_scalar};

use crate::time::Moment;

/// The moments after `now` at which scheduled pages become visible, soonest first.
pub async fn upcoming(db: impl Into<Exec<'_>>, now: &Moment) -> sqlx::Result<Vec<String>> {
    on!(db, |c| {
        query_scalar(
            "select distinct publish_at from pages \
             where status = 'published' and deleted_at is null and publish_at > ? order by publish_at",
        )
        .bind(now)
        .fetch_all(c)
        .await
    })
}

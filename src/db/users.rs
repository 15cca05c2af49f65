//! Editors' accounts, the failed logins that throttle guessing, and the first-start setup links.

use crate::db::engine::{Exec, query, query_as, query_scalar};
use sqlx::FromRow;

use crate::{ids::UserId, time::Moment, vocab::Role};

/// An account as stored.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// Every column of `users`, in the order of [`User`]'s fields.
macro_rules! user_columns {
    () => {
        "id, username, display_name, password_hash, role, disabled, created_at, last_login_at"
    };
}

/// The account called `username` (case does not matter), enabled or not.
pub async fn find_by_name(db: impl Into<Exec<'_>>, username: &str) -> sqlx::Result<Option<User>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            user_columns!(),
            " from users where username = ?"
        ))
        .bind(username)
        .fetch_optional(c)
        .await
    })
}

pub async fn find(db: impl Into<Exec<'_>>, id: UserId) -> sqlx::Result<Option<User>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            user_columns!(),
            " from users where id = ?"
        ))
        .bind(id)
        .fetch_optional(c)
        .await
    })
}

/// Every account, by username.
pub async fn all(db: impl Into<Exec<'_>>) -> sqlx::Result<Vec<User>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            user_columns!(),
            " from users order by username"
        ))
        .fetch_all(c)
        .await
    })
}

pub async fn count(db: impl Into<Exec<'_>>) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar("select count(*) from users")
            .fetch_one(c)
            .await
    })
}

/// Creates an account and returns its id; `None` when the username is taken.
pub async fn insert(
    db: impl Into<Exec<'_>>,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    now: &Moment,
) -> sqlx::Result<Option<UserId>> {
    on!(db, |c| {
        query_scalar(
            "insert into users (username, display_name, password_hash, role, created_at) values (?, ?, ?, ?, ?) \
             on conflict (username) do nothing returning id",
        )
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(role)
        .bind(now)
        .fetch_optional(c)
        .await
    })
}

pub async fn set_password(
    db: impl Into<Exec<'_>>,
    id: UserId,
    password_hash: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update users set password_hash = ? where id = ?")
            .bind(password_hash)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

pub async fn set_disabled(db: impl Into<Exec<'_>>, id: UserId, disabled: bool) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update users set disabled = ? where id = ?")
            .bind(disabled)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

pub async fn set_role(db: impl Into<Exec<'_>>, id: UserId, role: Role) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update users set role = ? where id = ?")
            .bind(role)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

pub async fn touch_login(db: impl Into<Exec<'_>>, id: UserId, now: &Moment) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update users set last_login_at = ? where id = ?")
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// How many enabled administrators there are, so the last one cannot be disabled or demoted.
pub async fn count_active_admins(db: impl Into<Exec<'_>>) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar("select count(*) from users where role = 'admin' and not disabled")
            .fetch_one(c)
            .await
    })
}

/// Notes a failed login.
pub async fn record_failure(
    db: impl Into<Exec<'_>>,
    username: &str,
    ip: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("insert into login_failures (username, ip, at) values (?, ?, ?)")
            .bind(username)
            .bind(ip)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Failed logins since `since`: for `username` and from `ip`, each with the oldest such failure.
#[derive(Debug, Clone, FromRow)]
pub struct Failures {
    pub by_username: i64,
    pub oldest_by_username: Option<String>,
    pub by_ip: i64,
    pub oldest_by_ip: Option<String>,
}

pub async fn recent_failures(
    db: impl Into<Exec<'_>>,
    username: &str,
    ip: &str,
    since: &str,
) -> sqlx::Result<Failures> {
    on!(db, |c| {
        query_as(
            r"select
                (select count(*) from login_failures where username = ?1 and at > ?3) as by_username,
                (select min(at) from login_failures where username = ?1 and at > ?3) as oldest_by_username,
                (select count(*) from login_failures where ip = ?2 and at > ?3) as by_ip,
                (select min(at) from login_failures where ip = ?2 and at > ?3) as oldest_by_ip",
        )
        .bind(username)
        .bind(ip)
        .bind(since)
        .fetch_one(c)
        .await
    })
}

/// Forgets the failures of `username` after it logged in.
pub async fn clear_failures(db: impl Into<Exec<'_>>, username: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from login_failures where username = ?")
            .bind(username)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Forgets failures older than `before`, which no longer count.
pub async fn prune_failures(db: impl Into<Exec<'_>>, before: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from login_failures where at <= ?")
            .bind(before)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Stores a setup link's token (hashed).
pub async fn insert_setup_token(
    db: impl Into<Exec<'_>>,
    token_hash: &str,
    expires_at: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("insert into setup_tokens (token_hash, expires_at) values (?, ?)")
            .bind(token_hash)
            .bind(expires_at)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Whether a setup link's token is unused and unexpired at `now`.
pub async fn setup_token_valid(
    db: impl Into<Exec<'_>>,
    token_hash: &str,
    now: &Moment,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        query_scalar(
            "select exists (select 1 from setup_tokens where token_hash = ? and used_at is null and expires_at > ?)",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_one(c)
        .await
    })
}

/// Uses up a setup token; false when it was already used or has expired.
pub async fn use_setup_token(
    db: impl Into<Exec<'_>>,
    token_hash: &str,
    now: &Moment,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        let done = query(
            "update setup_tokens set used_at = ?2 where token_hash = ?1 and used_at is null and expires_at > ?2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Deletes an account. Its sessions go with it; its revisions and audit entries stay, without it.
pub async fn delete(db: impl Into<Exec<'_>>, id: UserId) -> sqlx::Result<bool> {
    on!(db, |c| {
        query("delete from users where id = ?")
            .bind(id)
            .execute(c)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

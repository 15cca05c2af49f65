//! Editors' sessions, stored server-side and found by the hash of the cookie's token.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as};

use crate::{ids::UserId, time::Moment, vocab::Role};

/// A live session with its account.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Whether the account logs in with a second factor.
    pub two_factor: bool,
}

/// The session with `id_hash`, if its account is enabled, it is not past its absolute end, and it was
/// last seen after `idle_since`.
pub async fn find(
    db: impl Into<Exec<'_>>,
    id_hash: &str,
    now: &Moment,
    idle_since: &str,
) -> sqlx::Result<Option<Session>> {
    on!(db, |c| {
        query_as(
            r"select s.id_hash, s.csrf_token, s.last_seen_at, s.expires_at,
                     u.id as user_id, u.username, u.display_name, u.role,
                     exists (select 1 from two_factor t
                             where t.user_id = u.id and t.confirmed_at is not null) as two_factor
              from sessions s join users u on u.id = s.user_id
              where s.id_hash = ? and s.expires_at > ? and s.last_seen_at > ? and not u.disabled",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_since)
        .fetch_optional(c)
        .await
    })
}

pub async fn insert(
    db: impl Into<Exec<'_>>,
    id_hash: &str,
    user_id: UserId,
    csrf_token: &str,
    now: &Moment,
    expires_at: &str,
    ip: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip) \
             values (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .bind(ip)
        .execute(c)
        .await
        .map(|_| ())
    })
}

pub async fn touch(db: impl Into<Exec<'_>>, id_hash: &str, now: &Moment) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update sessions set last_seen_at = ? where id_hash = ?")
            .bind(now)
            .bind(id_hash)
            .execute(c)
            .await
            .map(|_| ())
    })
}

pub async fn delete(db: impl Into<Exec<'_>>, id_hash: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from sessions where id_hash = ?")
            .bind(id_hash)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Ends every session of an account, as when it is disabled or its password changes.
pub async fn delete_for_user(db: impl Into<Exec<'_>>, user_id: UserId) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from sessions where user_id = ?")
            .bind(user_id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Removes sessions past their end or idle since `idle_since`.
pub async fn prune(db: impl Into<Exec<'_>>, now: &Moment, idle_since: &str) -> sqlx::Result<u64> {
    on!(db, |c| {
        query("delete from sessions where expires_at <= ? or last_seen_at <= ?")
            .bind(now)
            .bind(idle_since)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })
}

/// Ends every session of an account but one, as when its owner changes their password.
pub async fn delete_others(
    db: impl Into<Exec<'_>>,
    user_id: UserId,
    keep_hash: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from sessions where user_id = ? and id_hash <> ?")
            .bind(user_id)
            .bind(keep_hash)
            .execute(c)
            .await
            .map(|_| ())
    })
}

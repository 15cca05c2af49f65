//! Two-factor login: authenticator secrets, recovery codes and the logins waiting for a code.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as, query_scalar};

use crate::{ids::UserId, time::Moment};

/// An account's authenticator secret, confirmed or still waiting for its first code.
#[derive(Debug, Clone, FromRow)]
pub struct Secret {
    pub user_id: UserId,
    /// 20 bytes as hex.
    pub secret: String,
    pub confirmed_at: Option<String>,
    pub last_step: i64,
}

impl Secret {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub async fn find(db: impl Into<Exec<'_>>, user_id: UserId) -> sqlx::Result<Option<Secret>> {
    on!(db, |c| {
        query_as(
            "select user_id, secret, confirmed_at, last_step from two_factor where user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(c)
        .await
    })
}

/// Whether the account logs in with a code.
pub async fn is_on(db: impl Into<Exec<'_>>, user_id: UserId) -> sqlx::Result<bool> {
    on!(db, |c| {
        query_scalar(
            "select exists (select 1 from two_factor where user_id = ? and confirmed_at is not null)",
        )
        .bind(user_id)
        .fetch_one(c)
        .await
    })
}

/// The ids of the accounts that log in with a code.
pub async fn accounts_with_it(
    db: impl Into<Exec<'_>>,
) -> sqlx::Result<std::collections::HashSet<UserId>> {
    on!(db, |c| {
        let ids: Vec<UserId> =
            query_scalar("select user_id from two_factor where confirmed_at is not null")
                .fetch_all(c)
                .await?;
        Ok(ids.into_iter().collect())
    })
}

/// Stores a new secret that waits for its first code, in place of one that was waiting.
pub async fn insert_pending(
    db: impl Into<Exec<'_>>,
    user_id: UserId,
    secret: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into two_factor (user_id, secret, created_at) values (?, ?, ?) \
             on conflict (user_id) do update set secret = excluded.secret, \
             created_at = excluded.created_at, confirmed_at = null, last_step = 0",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// Confirms the waiting secret `secret` with the step of its first code; false when it is no longer
/// the one waiting.
pub async fn confirm(
    db: impl Into<Exec<'_>>,
    user_id: UserId,
    secret: &str,
    step: i64,
    now: &Moment,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        let done = query(
            "update two_factor set confirmed_at = ?, last_step = ? \
             where user_id = ? and secret = ? and confirmed_at is null",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .bind(secret)
        .execute(c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Takes the code of time step `step`: true when no code of that step or a later one was taken, so
/// that two requests with one code cannot both succeed.
pub async fn take_step(db: impl Into<Exec<'_>>, user_id: UserId, step: i64) -> sqlx::Result<bool> {
    on!(db, |c| {
        let done = query(
            "update two_factor set last_step = ? \
             where user_id = ? and confirmed_at is not null and last_step < ?",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Removes an account's secret and recovery codes; false when it had neither.
pub async fn delete(db: impl Into<Exec<'_>>, user_id: UserId) -> sqlx::Result<bool> {
    on!(db, |c| {
        let codes = query("delete from recovery_codes where user_id = ?")
            .bind(user_id)
            .execute(&mut *c)
            .await?;
        let secret = query("delete from two_factor where user_id = ?")
            .bind(user_id)
            .execute(&mut *c)
            .await?;
        Ok(codes.rows_affected() + secret.rows_affected() > 0)
    })
}

/// Replaces an account's recovery codes with the ones hashed in `hashes`.
pub async fn replace_recovery_codes(
    db: impl Into<Exec<'_>>,
    user_id: UserId,
    hashes: &[String],
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from recovery_codes where user_id = ?")
            .bind(user_id)
            .execute(&mut *c)
            .await?;
        for hash in hashes {
            query("insert into recovery_codes (user_id, code_hash) values (?, ?)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *c)
                .await?;
        }
        Ok(())
    })
}

/// Uses the recovery code hashed as `hash`: true when it was the account's and unused.
pub async fn use_recovery_code(
    db: impl Into<Exec<'_>>,
    user_id: UserId,
    hash: &str,
    now: &Moment,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        let done = query(
            "update recovery_codes set used_at = ? \
             where user_id = ? and code_hash = ? and used_at is null",
        )
        .bind(now)
        .bind(user_id)
        .bind(hash)
        .execute(c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// How many of an account's recovery codes are unused.
pub async fn recovery_codes_left(db: impl Into<Exec<'_>>, user_id: UserId) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar("select count(*) from recovery_codes where user_id = ? and used_at is null")
            .bind(user_id)
            .fetch_one(c)
            .await
    })
}

/// A login waiting for its code.
#[derive(Debug, Clone, FromRow)]
pub struct Challenge {
    pub user_id: UserId,
    pub next: String,
}

pub async fn insert_challenge(
    db: impl Into<Exec<'_>>,
    token_hash: &str,
    user_id: UserId,
    next: &str,
    expires_at: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into login_challenges (token_hash, user_id, next, expires_at) values (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(next)
        .bind(expires_at)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// The login waiting with `token_hash`, if it has not expired.
pub async fn find_challenge(
    db: impl Into<Exec<'_>>,
    token_hash: &str,
    now: &Moment,
) -> sqlx::Result<Option<Challenge>> {
    on!(db, |c| {
        query_as(
            "select user_id, next from login_challenges where token_hash = ? and expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await
    })
}

pub async fn delete_challenge(db: impl Into<Exec<'_>>, token_hash: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from login_challenges where token_hash = ?")
            .bind(token_hash)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Forgets logins that waited too long.
pub async fn prune_challenges(db: impl Into<Exec<'_>>, now: &Moment) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from login_challenges where expires_at <= ?")
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
    })
}

//! The audit log: who did what to which object, when and from where.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as};

use crate::{
    ids::UserId,
    time::Moment,
    vocab::{AuditAction, ObjectType},
};

/// An entry to write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub user_id: Option<UserId>,
    pub action: AuditAction,
    pub object_type: ObjectType,
    pub object_id: Option<i64>,
    pub detail: &'a str,
    pub ip: &'a str,
}

pub async fn record(db: impl Into<Exec<'_>>, entry: &Entry<'_>, now: &Moment) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into audit_log (at, user_id, action, object_type, object_id, detail, ip) \
             values (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now)
        .bind(entry.user_id)
        .bind(entry.action)
        .bind(entry.object_type)
        .bind(entry.object_id)
        .bind(entry.detail)
        .bind(entry.ip)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// An entry as listed, with the name of its user.
#[derive(Debug, Clone, FromRow)]
pub struct Listed {
    pub id: i64,
    pub at: String,
    pub username: Option<String>,
    pub action: AuditAction,
    pub object_type: ObjectType,
    pub object_id: Option<i64>,
    pub detail: String,
    pub ip: Option<String>,
}

/// The newest entries, optionally only those of one user and/or one action, `limit` at a time.
pub async fn list(
    db: impl Into<Exec<'_>>,
    user_id: Option<UserId>,
    action: Option<AuditAction>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Listed>> {
    on!(db, |c| {
        query_as(
            r"select a.id, a.at, u.username, a.action, a.object_type, a.object_id, a.detail, a.ip
              from audit_log a left join users u on u.id = a.user_id
              where (?1 is null or a.user_id = ?1) and (?2 is null or a.action = ?2)
              order by a.id desc limit ?3 offset ?4",
        )
        .bind(user_id)
        .bind(action)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many failed and throttled logins the audit log holds, for the metrics.
pub async fn login_refusals(db: impl Into<Exec<'_>>) -> sqlx::Result<(i64, i64)> {
    on!(db, |c| {
        query_as(
            r"select count(*) filter (where action = 'login_failed'), count(*) filter (where action = 'login_throttled')
              from audit_log where action in ('login_failed', 'login_throttled')",
        )
        .fetch_one(c)
        .await
    })
}

//! Checking a username and password, with throttling: after [`MAX_FAILURES_PER_USERNAME`] failures
//! for one username or [`MAX_FAILURES_PER_IP`] from one address within [`THROTTLE_WINDOW`], attempts
//! are refused without looking at the password. A wrong username and a wrong password get the same
//! answer after the same work, so neither the answer nor its timing tells which accounts exist.

use jiff::{SignedDuration, Timestamp};
use sqlx::SqlitePool;

use crate::{
    auth,
    db::{self, audit::Entry, users::User},
    time::{self, Clock},
    vocab::{AuditAction, ObjectType},
};

/// Failed logins count for this long.
pub const THROTTLE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// Failed logins for one username within the window before further attempts are refused.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;

/// Failed logins from one client address within the window before further attempts are refused.
pub const MAX_FAILURES_PER_IP: i64 = 20;

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures lately; try again after this long.
    Throttled(SignedDuration),
    /// The username or the password is wrong (which, is not said).
    Wrong,
}

impl Refusal {
    /// What to tell the person logging in, in the admin area's language.
    pub fn swedish(self) -> String {
        match self {
            Refusal::Throttled(wait) => {
                let minutes = (wait.as_secs() + 59) / 60;
                format!(
                    "För många misslyckade inloggningar. Vänta {minutes} {} och försök sedan igen.",
                    if minutes == 1 { "minut" } else { "minuter" }
                )
            }
            Refusal::Wrong => "Fel användarnamn eller lösenord. Kontrollera stavningen och att \
                 Caps Lock inte är på."
                .to_owned(),
        }
    }
}

/// Checks a username and password from `ip`, with throttling and auditing. On success the account's
/// failures are forgotten and its login recorded; opening a session is the caller's.
pub async fn authenticate(
    db: &SqlitePool,
    clock: &Clock,
    username: &str,
    password: String,
    ip: &str,
) -> sqlx::Result<Result<User, Refusal>> {
    let now = clock.now();
    let now_db = time::to_db(now);
    let audit = |action: AuditAction, user_id: Option<i64>, detail: String| {
        let (ip, now_db) = (ip.to_owned(), now_db.clone());
        async move {
            let entry = Entry {
                user_id,
                action,
                object_type: ObjectType::Session,
                object_id: None,
                detail: &detail,
                ip: &ip,
            };
            db::audit::record(db, &entry, &now_db).await
        }
    };

    if let Some(retry_after) = throttled(db, username, ip, now).await? {
        let detail = format!("username: {username}");
        audit(AuditAction::LoginThrottled, None, detail).await?;
        return Ok(Err(Refusal::Throttled(retry_after)));
    }

    let user = if username.is_empty() {
        None
    } else {
        db::users::find_by_name(db, username).await?
    };
    let hash = user
        .as_ref()
        .filter(|user| !user.disabled)
        .map(|user| user.password_hash.clone());
    let known = hash.is_some();
    let matches = auth::verify_password(password, hash).await;
    let since = time::to_db(now - THROTTLE_WINDOW);
    let Some(user) = user.filter(|_| known && matches) else {
        db::users::prune_failures(db, &since).await?;
        db::users::record_failure(db, username, ip, &now_db).await?;
        audit(
            AuditAction::LoginFailed,
            None,
            format!("username: {username}"),
        )
        .await?;
        return Ok(Err(Refusal::Wrong));
    };

    db::users::clear_failures(db, &user.username).await?;
    db::users::prune_failures(db, &since).await?;
    db::users::touch_login(db, user.id, &now_db).await?;
    audit(AuditAction::Login, Some(user.id), String::new()).await?;
    tracing::info!(user = %user.username, "logged in");
    Ok(Ok(user))
}

/// How long until another attempt is allowed, if attempts for `username` or from `ip` are throttled.
async fn throttled(
    db: &SqlitePool,
    username: &str,
    ip: &str,
    now: Timestamp,
) -> sqlx::Result<Option<SignedDuration>> {
    let since = now - THROTTLE_WINDOW;
    let failures = db::users::recent_failures(db, username, ip, &time::to_db(since)).await?;
    let mut oldest = Vec::new();
    if failures.by_username >= MAX_FAILURES_PER_USERNAME {
        oldest.extend(failures.oldest_by_username);
    }
    if failures.by_ip >= MAX_FAILURES_PER_IP {
        oldest.extend(failures.oldest_by_ip);
    }
    // Attempts are allowed again when the oldest failure that counts leaves the window; with both
    // limits reached, the later of the two.
    Ok(oldest
        .iter()
        .filter_map(|at| time::from_db(at))
        .map(|at| (at + THROTTLE_WINDOW).duration_since(now))
        .max()
        .map(|wait| wait.max(SignedDuration::from_secs(1))))
}

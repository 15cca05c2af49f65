//! Checking a username and password, with throttling: after [`MAX_FAILURES_PER_USERNAME`] failures
//! for one username or [`MAX_FAILURES_PER_IP`] from one address within [`THROTTLE_WINDOW`], attempts
//! are refused without looking at the password. A wrong username and a wrong password get the same
//! answer after the same work, so neither the answer nor its timing tells which accounts exist.
//!
//! An account with two-factor login is not logged in by its password: [`authenticate`] says a code
//! is needed, and [`authenticate_code`] takes it. A wrong code counts as a failed login of its
//! username, and failures are forgotten only once the code is right, so knowing the password does not
//! buy more guesses at the code.

use jiff::{SignedDuration, Timestamp};

use super::two_factor::{self, CodeUsed};
use crate::{
    auth,
    db::{self, audit::Entry, users::User},
    ids::UserId,
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
    /// The second factor is neither the app's code of the moment nor an unused recovery code.
    WrongCode,
    /// The password was right, and the account needs a code too (on a form that asks for both).
    CodeNeeded,
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
            Refusal::WrongCode => "Koden stämmer inte. Skriv de sex siffror som appen visar just \
                 nu, eller en av dina reservkoder. En kod fungerar bara en gång."
                .to_owned(),
            Refusal::CodeNeeded => "Ditt konto har tvåstegsverifiering: skriv också koden från \
                 appen, och lösenordet igen."
                .to_owned(),
        }
    }

    /// Whether the refusal is about the second factor, not the username and password.
    pub fn is_about_code(self) -> bool {
        matches!(self, Refusal::WrongCode | Refusal::CodeNeeded)
    }
}

/// What a right password leads to.
#[derive(Debug)]
pub enum Authenticated {
    /// The account is logged in.
    LoggedIn(User),
    /// The account has two-factor login: the code is asked for next.
    CodeNeeded(User),
}

/// Checks a username and password from `ip`, with throttling and auditing. When the account needs no
/// second factor, its failures are forgotten and its login recorded; opening a session is the
/// caller's.
pub async fn authenticate(
    db: &crate::db::Pool,
    clock: &Clock,
    username: &str,
    password: String,
    ip: &str,
) -> sqlx::Result<Result<Authenticated, Refusal>> {
    let now = clock.now();
    let now_db = time::Moment::of(now);
    let audit = |action, user_id, detail| record(db, action, user_id, detail, ip, &now_db);

    if let Some(refusal) = refuse_throttled(db, username, ip, now, &audit).await? {
        return Ok(Err(refusal));
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

    if db::two_factor::is_on(db, user.id).await? {
        return Ok(Ok(Authenticated::CodeNeeded(user)));
    }
    logged_in(db, &user, "", &since, &now_db, &audit).await?;
    Ok(Ok(Authenticated::LoggedIn(user)))
}

/// Checks the second factor of `user_id`, whose password was right, from `ip`: throttled and audited
/// like passwords. On success the account's failures are forgotten and its login recorded.
pub async fn authenticate_code(
    db: &crate::db::Pool,
    clock: &Clock,
    user_id: UserId,
    code: &str,
    ip: &str,
) -> sqlx::Result<Result<User, Refusal>> {
    let now = clock.now();
    let now_db = time::Moment::of(now);
    let audit = |action, user_id, detail| record(db, action, user_id, detail, ip, &now_db);
    let Some(user) = db::users::find(db, user_id)
        .await?
        .filter(|user| !user.disabled)
    else {
        return Ok(Err(Refusal::Wrong));
    };
    if let Some(refusal) = refuse_throttled(db, &user.username, ip, now, &audit).await? {
        return Ok(Err(refusal));
    }
    let since = time::to_db(now - THROTTLE_WINDOW);
    let detail = match two_factor::take_code(db, clock, user.id, code).await? {
        Some(CodeUsed::App) => "with a code from the app".to_owned(),
        Some(CodeUsed::Recovery { left }) => {
            tracing::warn!(user = %user.username, left, "a recovery code was used to log in");
            format!("with a recovery code ({left} left)")
        }
        None => {
            db::users::prune_failures(db, &since).await?;
            db::users::record_failure(db, &user.username, ip, &now_db).await?;
            let detail = format!("username: {} (wrong code)", user.username);
            audit(AuditAction::LoginFailed, None, detail).await?;
            return Ok(Err(Refusal::WrongCode));
        }
    };
    logged_in(db, &user, &detail, &since, &now_db, &audit).await?;
    Ok(Ok(user))
}

/// Records a login that passed every step.
async fn logged_in<F, Fut>(
    db: &crate::db::Pool,
    user: &User,
    detail: &str,
    since: &str,
    now_db: &time::Moment,
    audit: &F,
) -> sqlx::Result<()>
where
    F: Fn(AuditAction, Option<UserId>, String) -> Fut,
    Fut: Future<Output = sqlx::Result<()>>,
{
    db::users::clear_failures(db, &user.username).await?;
    db::users::prune_failures(db, since).await?;
    db::users::touch_login(db, user.id, now_db).await?;
    audit(AuditAction::Login, Some(user.id), detail.to_owned()).await?;
    tracing::info!(user = %user.username, "logged in");
    Ok(())
}

/// Records an attempt to log in in the audit log.
async fn record(
    db: &crate::db::Pool,
    action: AuditAction,
    user_id: Option<UserId>,
    detail: String,
    ip: &str,
    now_db: &time::Moment,
) -> sqlx::Result<()> {
    let entry = Entry {
        user_id,
        action,
        object_type: ObjectType::Session,
        object_id: None,
        detail: &detail,
        ip,
    };
    db::audit::record(db, &entry, now_db).await
}

/// The refusal of an attempt for `username` from `ip` when attempts are throttled, audited.
async fn refuse_throttled<F, Fut>(
    db: &crate::db::Pool,
    username: &str,
    ip: &str,
    now: Timestamp,
    audit: &F,
) -> sqlx::Result<Option<Refusal>>
where
    F: Fn(AuditAction, Option<UserId>, String) -> Fut,
    Fut: Future<Output = sqlx::Result<()>>,
{
    let Some(retry_after) = throttled(db, username, ip, now).await? else {
        return Ok(None);
    };
    let detail = format!("username: {username}");
    audit(AuditAction::LoginThrottled, None, detail).await?;
    Ok(Some(Refusal::Throttled(retry_after)))
}

/// How long until another attempt is allowed, if attempts for `username` or from `ip` are throttled.
async fn throttled(
    db: &crate::db::Pool,
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

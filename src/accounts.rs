//! Accounts: who may log in, and what they may do. These rules hold wherever an account is changed,
//! in the browser or on the command line, because both go through this module:
//!
//! - usernames have one shape ([`Username`]) and passwords one policy ([`check_password`]);
//! - there is always at least one active administrator: the last one can be neither demoted,
//!   disabled nor deleted ([`AccountError::LastAdmin`]);
//! - every change is audited, with who made it and from where ([`Actor`]);
//! - logins are throttled per username and per address ([`authenticate`]), and so are the codes of
//!   two-factor login ([`two_factor`], [`authenticate_code`]).
//!
//! Hashing and tokens are in [`crate::auth`]; sessions and cookies, which only the browser has, in
//! `admin::session`.

mod login;
pub mod two_factor;

pub use self::login::{
    Authenticated, MAX_FAILURES_PER_IP, MAX_FAILURES_PER_USERNAME, Refusal, THROTTLE_WINDOW,
    authenticate, authenticate_code,
};
use crate::{
    auth,
    db::{self, audit::Entry, users::User},
    ids::UserId,
    time::{Clock, Moment},
    vocab::{AuditAction, ObjectType, Role},
};

/// The longest username accepted, in bytes.
pub const MAX_USERNAME: usize = 64;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, in bytes; hashing cost grows with length, so it is bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The longest display name accepted, in characters.
const MAX_DISPLAY_NAME: usize = 100;

/// Passwords of 12 characters or more that appear in lists of leaked passwords, lowercased. Shorter
/// ones are refused by length already.
const COMMON_PASSWORDS: &str = include_str!("accounts/common-passwords.txt");

/// A username that has the one shape usernames have: 2–64 of a–z, 0–9, `.`, `-` and `_`, so that it
/// is easy to type and to read in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Checks a username as typed (surrounding spaces are ignored).
    pub fn parse(text: &str) -> Result<Username, Problem> {
        let text = text.trim();
        let valid = (2..=MAX_USERNAME).contains(&text.len())
            && text.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
            });
        if valid {
            Ok(Username(text.to_owned()))
        } else {
            Err(Problem::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Something wrong with what was typed for an account, with the form field it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Username,
    DisplayNameMissing,
    DisplayNameTooLong,
    PasswordTooShort,
    PasswordTooLong,
    PasswordCommon,
    PasswordContainsUsername,
    /// The password typed a second time is not the same.
    PasswordsDiffer,
}

impl Problem {
    /// The name of the form field (and command-line argument) the problem is in.
    pub fn field(self) -> &'static str {
        match self {
            Problem::Username => "username",
            Problem::DisplayNameMissing | Problem::DisplayNameTooLong => "display_name",
            Problem::PasswordsDiffer => "password2",
            _ => "password",
        }
    }

    /// The problem and its remedy in Swedish, for the admin area.
    pub fn swedish(self) -> &'static str {
        match self {
            Problem::Username => {
                "Användarnamnet ska vara 2–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller understreck, till exempel anna.berg."
            }
            Problem::DisplayNameMissing => {
                "Skriv det namn som ska visas, till exempel förnamn och efternamn."
            }
            Problem::DisplayNameTooLong => "Namnet får vara högst 100 tecken.",
            Problem::PasswordTooShort => {
                "Lösenordet måste ha minst 12 tecken. En fras av flera ord är lätt att minnas."
            }
            Problem::PasswordTooLong => "Lösenordet är för långt; det får vara högst 1024 byte.",
            Problem::PasswordCommon => {
                "Lösenordet är för vanligt och lätt att gissa. Välj ett annat."
            }
            Problem::PasswordContainsUsername => "Lösenordet får inte innehålla användarnamnet.",
            Problem::PasswordsDiffer => {
                "Lösenorden är inte lika. Skriv samma lösenord i båda fälten."
            }
        }
    }

    /// The problem in English, for the command line.
    pub fn english(self) -> &'static str {
        match self {
            Problem::Username => {
                "a username is 2–64 characters: lowercase a–z, digits, `.`, `-` or `_`, like anna.berg"
            }
            Problem::DisplayNameMissing => "the display name is empty",
            Problem::DisplayNameTooLong => "the display name is longer than 100 characters",
            Problem::PasswordTooShort => {
                "it must have at least 12 characters (a phrase of several words is easy to remember)"
            }
            Problem::PasswordTooLong => "it is longer than 1024 bytes",
            Problem::PasswordCommon => "it is too common and easy to guess; choose another",
            Problem::PasswordContainsUsername => "it must not contain the username",
            Problem::PasswordsDiffer => "the two passwords differ",
        }
    }
}

/// Checks a new password: long enough, not absurdly long, not common, not the username. No rules
/// about kinds of characters, as NIST SP 800-63B advises.
pub fn check_password(password: &str, username: &str) -> Result<(), Problem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Problem::PasswordTooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Problem::PasswordTooLong);
    }
    let lower = password.to_lowercase();
    let common = COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line == lower);
    let one_char = lower.chars().all(|c| lower.starts_with(c));
    if common || one_char {
        return Err(Problem::PasswordCommon);
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(Problem::PasswordContainsUsername);
    }
    Ok(())
}

/// Checks a new password typed twice: the policy, then that both agree.
pub fn check_new_password(password: &str, password2: &str, username: &str) -> Result<(), Problem> {
    check_password(password, username)?;
    if password == password2 {
        Ok(())
    } else {
        Err(Problem::PasswordsDiffer)
    }
}

/// An account that passed the checks, ready to be created.
#[derive(Debug)]
pub struct NewAccount {
    pub username: Username,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

impl NewAccount {
    /// Checks what someone typed to create an account; every problem, in the order of the fields.
    pub fn check(
        username: &str,
        display_name: &str,
        password: &str,
        password2: &str,
        role: Role,
    ) -> Result<NewAccount, Vec<Problem>> {
        let mut problems = Vec::new();
        let username = Username::parse(username).map_err(|problem| problems.push(problem));
        let display_name = display_name.trim();
        if display_name.is_empty() {
            problems.push(Problem::DisplayNameMissing);
        } else if display_name.chars().count() > MAX_DISPLAY_NAME {
            problems.push(Problem::DisplayNameTooLong);
        }
        let name = username.as_ref().map_or("", |name| name.as_str());
        if let Err(problem) = check_new_password(password, password2, name) {
            problems.push(problem);
        }
        match username {
            Ok(username) if problems.is_empty() => Ok(NewAccount {
                username,
                display_name: display_name.to_owned(),
                password: password.to_owned(),
                role,
            }),
            _ => Err(problems),
        }
    }
}

/// Who changes an account, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account making the change; `None` where there is none yet or none at all.
    pub user_id: Option<UserId>,
    /// The client's address, or `cli`.
    pub ip: String,
    channel: Channel,
}

/// Where a change to an account comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Browser,
    CommandLine,
    /// The one-time link that creates the first administrator.
    SetupLink,
}

impl Actor {
    /// A logged-in user in the admin area.
    pub fn user(user_id: UserId, ip: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            ip: ip.to_owned(),
            channel: Channel::Browser,
        }
    }

    /// The operator at the server's shell, who has no account.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            ip: "cli".to_owned(),
            channel: Channel::CommandLine,
        }
    }

    /// Someone following the setup link, who becomes the first administrator.
    pub fn setup_link(ip: &str) -> Actor {
        Actor {
            user_id: None,
            ip: ip.to_owned(),
            channel: Channel::SetupLink,
        }
    }

    /// How the audit log's detail names the channel.
    fn via(&self) -> &'static str {
        match self.channel {
            Channel::Browser => "",
            Channel::CommandLine => ", from the command line",
            Channel::SetupLink => ", via the setup link",
        }
    }
}

/// Why a change to an account was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("there is no such account")]
    NotFound,
    #[error("there is already an account with that username")]
    UsernameTaken,
    #[error("it is the only active administrator; make another account an administrator first")]
    LastAdmin,
    #[error("an administrator cannot disable or delete their own account")]
    OwnAccount,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hashing(#[from] anyhow::Error),
}

impl AccountError {
    /// The refusal and what to do, in the admin area's language.
    pub fn swedish(&self) -> &'static str {
        match self {
            AccountError::NotFound => "Kontot finns inte.",
            AccountError::UsernameTaken => {
                "Det finns redan ett konto med det användarnamnet. Välj ett annat."
            }
            AccountError::LastAdmin => {
                "Det här är den enda aktiva administratören. Gör någon annan till administratör först."
            }
            AccountError::OwnAccount => {
                "Du kan inte stänga av eller ta bort ditt eget konto. Be en annan administratör."
            }
            AccountError::Database(_) | AccountError::Hashing(_) => {
                "Ett fel uppstod hos oss. Försök igen om en stund."
            }
        }
    }
}

/// Creates an account and returns its id.
pub async fn create(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    account: NewAccount,
) -> Result<UserId, AccountError> {
    let hash = auth::hash_password(account.password).await?;
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let name = account.username.as_str();
    let id = db::users::insert(
        &mut tx,
        name,
        &account.display_name,
        &hash,
        account.role,
        &now,
    )
    .await?
    .ok_or(AccountError::UsernameTaken)?;
    let detail = format!("{name} ({}){}", account.role, actor.via());
    let mut actor = actor.clone();
    if actor.channel == Channel::SetupLink {
        // The first administrator is the author of their own account.
        actor.user_id = Some(id);
    }
    audit(&mut tx, &actor, AuditAction::UserCreate, id, &detail, &now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Gives an account another role. The last active administrator stays one.
pub async fn set_role(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    id: UserId,
    role: Role,
) -> Result<User, AccountError> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = find(&mut tx, id).await?;
    if role == user.role {
        return Ok(user);
    }
    if is_last_admin(&mut tx, &user).await? {
        return Err(AccountError::LastAdmin);
    }
    db::users::set_role(&mut tx, id, role).await?;
    let detail = format!("{}: {} → {role}{}", user.username, user.role, actor.via());
    audit(&mut tx, actor, AuditAction::UserRole, id, &detail, &now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Disables an account (it can no longer log in, and its sessions end) or enables it again. The last
/// active administrator stays enabled, and administrators do not disable themselves.
pub async fn set_disabled(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    id: UserId,
    disabled: bool,
) -> Result<User, AccountError> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = if disabled {
        removable(&mut tx, actor, id).await?
    } else {
        find(&mut tx, id).await?
    };
    db::users::set_disabled(&mut tx, id, disabled).await?;
    if disabled {
        db::sessions::delete_for_user(&mut tx, id).await?;
    }
    let action = if disabled {
        AuditAction::UserDisable
    } else {
        AuditAction::UserEnable
    };
    let detail = format!("{}{}", user.username, actor.via());
    audit(&mut tx, actor, action, id, &detail, &now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Deletes an account for good. Its revisions and audit entries stay, without its name. The last
/// active administrator is not deleted, and administrators do not delete themselves.
pub async fn delete(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    id: UserId,
) -> Result<User, AccountError> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = removable(&mut tx, actor, id).await?;
    db::users::delete(&mut tx, id).await?;
    let detail = format!("{} ({}){}", user.username, user.role, actor.via());
    audit(&mut tx, actor, AuditAction::UserDelete, id, &detail, &now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Sets a new password (already checked against the policy). The account's sessions end, except
/// `keep_session`: the one of an editor changing their own password.
pub async fn set_password(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    id: UserId,
    password: String,
    keep_session: Option<&str>,
) -> Result<User, AccountError> {
    let hash = auth::hash_password(password).await?;
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = find(&mut tx, id).await?;
    db::users::set_password(&mut tx, id, &hash).await?;
    match keep_session {
        Some(session) => db::sessions::delete_others(&mut tx, id, session).await?,
        None => db::sessions::delete_for_user(&mut tx, id).await?,
    }
    let detail = format!("{}{}", user.username, actor.via());
    audit(&mut tx, actor, AuditAction::UserPassword, id, &detail, &now).await?;
    tx.commit().await?;
    Ok(user)
}

/// The account `id`, inside the transaction that changes it.
async fn find(tx: &mut db::Tx, id: UserId) -> Result<User, AccountError> {
    db::users::find(&mut *tx, id)
        .await?
        .ok_or(AccountError::NotFound)
}

/// The account `id`, if `actor` may take it out of use (disable or delete it): not their own, and not
/// the last active administrator.
async fn removable(tx: &mut db::Tx, actor: &Actor, id: UserId) -> Result<User, AccountError> {
    let user = find(tx, id).await?;
    if actor.user_id == Some(id) {
        return Err(AccountError::OwnAccount);
    }
    if is_last_admin(tx, &user).await? {
        return Err(AccountError::LastAdmin);
    }
    Ok(user)
}

/// Whether `user` is the only active administrator, read inside the transaction that would change
/// them, so that two administrators demoting each other at once cannot both succeed.
async fn is_last_admin(tx: &mut db::Tx, user: &User) -> sqlx::Result<bool> {
    Ok(user.role == Role::Admin
        && !user.disabled
        && db::users::count_active_admins(&mut *tx).await? <= 1)
}

async fn audit(
    tx: &mut db::Tx,
    actor: &Actor,
    action: AuditAction,
    user_id: UserId,
    detail: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    db::audit::record(
        &mut *tx,
        &Entry {
            user_id: actor.user_id,
            action,
            object_type: ObjectType::User,
            object_id: Some(user_id.0),
            detail,
            ip: &actor.ip,
        },
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_wants_length_not_composition() {
        assert!(check_password("kort", "anna").is_err());
        assert!(check_password("elva tecken", "anna").is_err());
        assert!(check_password("tolv tecken!", "anna").is_ok());
        assert!(check_password("alla små bokstäver och mellanslag", "anna").is_ok());
        assert!(check_password("aaaaaaaaaaaaaaaa", "anna").is_err());
        assert!(check_password("Password1234", "anna").is_err());
        assert!(check_password("anna-anna-anna-1", "anna").is_err());
    }

    #[test]
    fn usernames_have_one_shape() {
        for good in ["anna", "anna.berg", "a_1-b", " anna "] {
            assert!(Username::parse(good).is_ok(), "{good:?}");
        }
        for bad in [
            "a",
            "Anna",
            "anna berg",
            "åsa",
            "",
            &"a".repeat(65),
            "anna@example",
        ] {
            assert_eq!(Username::parse(bad), Err(Problem::Username), "{bad:?}");
        }
    }

    #[test]
    fn a_new_account_reports_every_problem_in_field_order() {
        let problems =
            NewAccount::check("A", "", "kort", "kort", Role::Editor).expect_err("three problems");
        assert_eq!(
            problems,
            [
                Problem::Username,
                Problem::DisplayNameMissing,
                Problem::PasswordTooShort
            ]
        );
        let problems = NewAccount::check(
            "anna",
            "Anna",
            "en lång fras att minnas",
            "en annan fras",
            Role::Editor,
        )
        .expect_err("passwords differ");
        assert_eq!(problems, [Problem::PasswordsDiffer]);
        assert_eq!(problems[0].field(), "password2");
        let account = NewAccount::check(
            " anna ",
            " Anna Berg ",
            "en lång fras att minnas",
            "en lång fras att minnas",
            Role::Admin,
        )
        .expect("valid");
        assert_eq!(account.username.as_str(), "anna");
        assert_eq!(account.display_name, "Anna Berg");
    }
}

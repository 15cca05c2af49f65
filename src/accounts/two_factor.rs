//! Two-factor login: codes from an authenticator app (TOTP, RFC 6238: HMAC-SHA-1, six digits,
//! 30-second steps, one step of clock drift either way) and ten single-use recovery codes.
//!
//! - A secret counts only once the editor has confirmed it with a code from the app, so that a
//!   mistyped or half-scanned secret locks no one out.
//! - Each code is taken once: the step of the last code taken is kept, and a code of that step or an
//!   earlier one is refused, so a code seen over a shoulder is worth nothing afterwards.
//! - Recovery codes are shown once and stored as SHA-256 hashes. They are 50 random bits, for which
//!   a slow hash would add little: the app's secret they stand in for has to be stored readable.
//! - Turning it on, new recovery codes, turning it off and an administrator's reset are audited.
//!
//! Checking a code at login, with throttling, is [`super::authenticate_code`]'s.

use super::{AccountError, Actor, audit, find};
use crate::{
    auth,
    db::{self, users::User},
    ids::UserId,
    time::Clock,
    vocab::AuditAction,
};

/// Bytes of an authenticator secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// How many recovery codes an account gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// The characters of recovery codes: digits and lowercase letters without i, l, o and u, which are
/// read for 1, 1, 0 and v (Crockford's base 32). 32 of them, so each carries five bits.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Characters of a recovery code, shown in two groups of five.
const RECOVERY_CODE_CHARS: usize = 10;

/// Seconds of one time step.
const STEP_SECONDS: u64 = 30;

/// An authenticator secret, as given to an editor's app.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    fn random() -> Secret {
        Secret(auth::random_bytes::<SECRET_BYTES>().to_vec())
    }

    fn from_hex(hex: &str) -> Option<Secret> {
        auth::from_hex(hex).map(Secret)
    }

    fn hex(&self) -> String {
        auth::hex(&self.0)
    }

    /// The secret in base 32, as apps take it typed, in groups of four letters.
    pub fn typed(&self) -> String {
        let base32 = totp_rs::Secret::from(self.0.clone()).to_base32();
        let chars: Vec<char> = base32.trim_end_matches('=').chars().collect();
        chars
            .chunks(4)
            .map(|group| group.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `otpauth://` address an app reads from the QR code: the site as issuer, the username as the
    /// account.
    pub fn uri(&self, issuer: &str, username: &str) -> String {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        let base32 = totp_rs::Secret::from(self.0.clone()).to_base32();
        let issuer = utf8_percent_encode(issuer, NON_ALPHANUMERIC).to_string();
        let account = utf8_percent_encode(username, NON_ALPHANUMERIC);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            base32.trim_end_matches('=')
        )
    }

    fn totp(&self) -> Option<totp_rs::Totp> {
        totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.clone())
            .build()
            .ok()
    }

    /// The time step of `code` if it is this secret's code at `unix_seconds`, give or take a step.
    pub fn step_of(&self, code: &str, unix_seconds: u64) -> Option<i64> {
        let step = self.totp()?.check(code, unix_seconds)?;
        i64::try_from(step).ok()
    }

    /// This secret's code at `unix_seconds`, as an app shows it.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp()
            .map(|totp| totp.generate(unix_seconds).to_string())
            .unwrap_or_default()
    }
}

/// What someone typed where a code is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Six digits: a code from the app.
    AppCode(String),
    /// A recovery code, lowercased and without spaces and hyphens.
    RecoveryCode(String),
    /// Neither.
    Unreadable,
}

impl Typed {
    /// Reads what was typed, forgiving spaces, hyphens, case, and O, I and L for 0, 1 and 1.
    pub fn parse(text: &str) -> Typed {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Typed::AppCode(compact);
        }
        let recovery: String = compact
            .to_ascii_lowercase()
            .chars()
            .map(|c| match c {
                'o' => '0',
                'i' | 'l' => '1',
                other => other,
            })
            .collect();
        if recovery.len() == RECOVERY_CODE_CHARS
            && recovery.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            Typed::RecoveryCode(recovery)
        } else {
            Typed::Unreadable
        }
    }
}

/// How a second step was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUsed {
    App,
    /// A recovery code, with how many are left.
    Recovery {
        left: i64,
    },
}

/// Why a change to two-factor login was not made.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("two-factor login is already on")]
    AlreadyOn,
    #[error("two-factor login is not on")]
    NotOn,
    #[error("there is no code to confirm; start again")]
    NothingPending,
    #[error("the code is not the app's code right now")]
    WrongCode,
    #[error("administrators of this site must log in with two factors")]
    Required,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<sqlx::Error> for TwoFactorError {
    fn from(error: sqlx::Error) -> TwoFactorError {
        TwoFactorError::Account(AccountError::Database(error))
    }
}

impl TwoFactorError {
    /// The refusal and what to do, in the admin area's language.
    pub fn swedish(&self) -> &'static str {
        match self {
            TwoFactorError::AlreadyOn => "Tvåstegsverifiering är redan på för ditt konto.",
            TwoFactorError::NotOn => "Tvåstegsverifiering är inte på för kontot.",
            TwoFactorError::NothingPending => {
                "Det finns ingen kod att bekräfta, eller så har du börjat om i en annan flik. Börja om här."
            }
            TwoFactorError::WrongCode => {
                "Koden stämmer inte. Skriv de sex siffror som appen visar just nu; kontrollera att \
                 telefonens klocka går rätt."
            }
            TwoFactorError::Required => {
                "Administratörer på den här webbplatsen måste logga in med tvåstegsverifiering, så den \
                 kan inte stängas av. Du kan skapa nya reservkoder i stället."
            }
            TwoFactorError::Account(error) => error.swedish(),
        }
    }
}

/// Whether an account logs in with two factors, and how many recovery codes it has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub on: bool,
    pub recovery_codes_left: i64,
}

pub async fn status(db: &crate::db::Pool, user_id: UserId) -> sqlx::Result<Status> {
    Ok(Status {
        on: db::two_factor::is_on(db, user_id).await?,
        recovery_codes_left: db::two_factor::recovery_codes_left(db, user_id).await?,
    })
}

/// A new secret for `user_id` to put in their app, waiting for its first code (in place of one that
/// was waiting).
pub async fn begin(
    db: &crate::db::Pool,
    clock: &Clock,
    user_id: UserId,
) -> Result<Secret, TwoFactorError> {
    let secret = Secret::random();
    let mut tx = db::begin_write(db).await?;
    if db::two_factor::is_on(&mut tx, user_id).await? {
        return Err(TwoFactorError::AlreadyOn);
    }
    db::two_factor::insert_pending(&mut tx, user_id, &secret.hex(), &clock.now_db()).await?;
    tx.commit().await?;
    Ok(secret)
}

/// The secret waiting for its first code, if there is one.
pub async fn pending(db: &crate::db::Pool, user_id: UserId) -> sqlx::Result<Option<Secret>> {
    Ok(db::two_factor::find(db, user_id)
        .await?
        .filter(|stored| !stored.is_confirmed())
        .and_then(|stored| Secret::from_hex(&stored.secret)))
}

/// Turns two-factor login on with the first code from the app, and returns the recovery codes to
/// show once. The account's other sessions end, except `keep_session`.
pub async fn confirm(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    user_id: UserId,
    code: &str,
    keep_session: &str,
) -> Result<Vec<String>, TwoFactorError> {
    let now = clock.now();
    let stored = db::two_factor::find(db, user_id)
        .await?
        .filter(|stored| !stored.is_confirmed())
        .ok_or(TwoFactorError::NothingPending)?;
    let secret = Secret::from_hex(&stored.secret).ok_or(TwoFactorError::NothingPending)?;
    let Typed::AppCode(code) = Typed::parse(code) else {
        return Err(TwoFactorError::WrongCode);
    };
    let step = secret
        .step_of(&code, unix_seconds(now))
        .ok_or(TwoFactorError::WrongCode)?;
    let (codes, hashes) = recovery_codes();
    let now_db = crate::time::Moment::of(now);
    let mut tx = db::begin_write(db).await?;
    let user = find(&mut tx, user_id).await?;
    if !db::two_factor::confirm(&mut tx, user_id, &stored.secret, step, &now_db).await? {
        return Err(TwoFactorError::NothingPending);
    }
    db::two_factor::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    db::sessions::delete_others(&mut tx, user_id, keep_session).await?;
    let detail = format!("{}{}", user.username, actor.via());
    audit(
        &mut tx,
        actor,
        AuditAction::TwoFactorOn,
        user_id,
        &detail,
        &now_db,
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// New recovery codes in place of the old ones, to show once.
pub async fn renew_recovery_codes(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    user_id: UserId,
) -> Result<Vec<String>, TwoFactorError> {
    let (codes, hashes) = recovery_codes();
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = find(&mut tx, user_id).await?;
    if !db::two_factor::is_on(&mut tx, user_id).await? {
        return Err(TwoFactorError::NotOn);
    }
    db::two_factor::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    let detail = format!("{}{}", user.username, actor.via());
    let action = AuditAction::RecoveryCodes;
    audit(&mut tx, actor, action, user_id, &detail, &now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-factor login off for `user_id`: by the editor themselves (refused for an administrator
/// when `required_for_admins`), by an administrator, or from the command line. Returns the account.
pub async fn turn_off(
    db: &crate::db::Pool,
    clock: &Clock,
    actor: &Actor,
    user_id: UserId,
    required_for_admins: bool,
) -> Result<User, TwoFactorError> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let user = find(&mut tx, user_id).await?;
    let own = actor.user_id == Some(user_id);
    if own && required_for_admins && user.role == crate::vocab::Role::Admin {
        return Err(TwoFactorError::Required);
    }
    if !db::two_factor::delete(&mut tx, user_id).await? {
        return Err(TwoFactorError::NotOn);
    }
    let by = if own {
        ""
    } else {
        ", reset by another account"
    };
    let detail = format!("{}{by}{}", user.username, actor.via());
    audit(
        &mut tx,
        actor,
        AuditAction::TwoFactorOff,
        user_id,
        &detail,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Checks the second factor of `user_id`'s login and takes it: an app code not taken before, or an
/// unused recovery code. `None` when it is neither.
pub async fn take_code(
    db: &crate::db::Pool,
    clock: &Clock,
    user_id: UserId,
    typed: &str,
) -> sqlx::Result<Option<CodeUsed>> {
    let now = clock.now();
    match Typed::parse(typed) {
        Typed::AppCode(code) => {
            let Some(stored) = db::two_factor::find(db, user_id)
                .await?
                .filter(db::two_factor::Secret::is_confirmed)
            else {
                return Ok(None);
            };
            let step = Secret::from_hex(&stored.secret)
                .and_then(|secret| secret.step_of(&code, unix_seconds(now)));
            match step {
                Some(step) if db::two_factor::take_step(db, user_id, step).await? => {
                    Ok(Some(CodeUsed::App))
                }
                _ => Ok(None),
            }
        }
        Typed::RecoveryCode(code) => {
            let hash = auth::token_hash(&code);
            let now_db = crate::time::Moment::of(now);
            if db::two_factor::use_recovery_code(db, user_id, &hash, &now_db).await? {
                let left = db::two_factor::recovery_codes_left(db, user_id).await?;
                Ok(Some(CodeUsed::Recovery { left }))
            } else {
                Ok(None)
            }
        }
        Typed::Unreadable => Ok(None),
    }
}

/// New recovery codes as shown (`abcde-fghjk`) and their hashes as stored.
fn recovery_codes() -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = auth::random_bytes::<RECOVERY_CODE_CHARS>();
            let code: String = bytes
                .iter()
                .map(|byte| char::from(RECOVERY_ALPHABET[usize::from(byte % 32)]))
                .collect();
            let shown = format!("{}-{}", &code[..5], &code[5..]);
            (shown, auth::token_hash(&code))
        })
        .unzip()
}

fn unix_seconds(at: jiff::Timestamp) -> u64 {
    u64::try_from(at.as_second()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-1 test vectors of RFC 6238, appendix B (its secret is the ASCII of
    /// "12345678901234567890"; the RFC's codes have eight digits, of which six-digit codes are the
    /// last six).
    #[test]
    fn codes_are_those_of_rfc_6238() {
        let secret = Secret(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(secret.code_at(time), code[2..], "at {time}");
            let step = i64::try_from(time / 30).expect("small");
            assert_eq!(secret.step_of(&code[2..], time), Some(step));
        }
    }

    #[test]
    fn a_code_is_good_one_step_either_way_and_no_further() {
        let secret = Secret::random();
        let now = 1_800_000_000;
        let code = secret.code_at(now);
        assert!(secret.step_of(&code, now + 30).is_some());
        assert!(secret.step_of(&code, now - 30).is_some());
        assert_eq!(secret.step_of(&code, now + 90), None);
        assert_eq!(secret.step_of("12345", now), None);
    }

    #[test]
    fn what_is_typed_is_read_forgivingly() {
        assert_eq!(
            Typed::parse(" 123 456 "),
            Typed::AppCode("123456".to_owned())
        );
        assert_eq!(
            Typed::parse("ABCDE-FGHJK"),
            Typed::RecoveryCode("abcdefghjk".to_owned())
        );
        assert_eq!(
            Typed::parse("oil0o 12345"),
            Typed::RecoveryCode("01100".to_owned() + "12345")
        );
        assert_eq!(Typed::parse("12345"), Typed::Unreadable);
        assert_eq!(Typed::parse("abcdefghju"), Typed::Unreadable);
        assert_eq!(Typed::parse(""), Typed::Unreadable);
    }

    #[test]
    fn recovery_codes_are_distinct_readable_and_stored_hashed() {
        let (codes, hashes) = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            let Typed::RecoveryCode(compact) = Typed::parse(code) else {
                panic!("{code} is not read back as a recovery code");
            };
            assert_eq!(&auth::token_hash(&compact), hash);
            assert!(!hash.contains(&compact));
        }
    }

    #[test]
    fn the_secret_is_offered_as_apps_take_it() {
        let secret = Secret(b"12345678901234567890".to_vec());
        assert_eq!(secret.typed(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        let uri = secret.uri("SKL International", "anna.berg");
        assert!(
            uri.starts_with("otpauth://totp/SKL%20International:anna%2Eberg?"),
            "{uri}"
        );
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"),
            "{uri}"
        );
        assert_eq!(format!("{secret:?}"), "Secret(..)");
    }
}

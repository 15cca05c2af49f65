//! Passwords and secrets: argon2id hashing off the async runtime, the password policy, and random
//! tokens for sessions, CSRF and setup links.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHasher, PasswordVerifier,
    password_hash::{self},
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, in bytes; hashing cost grows with length, so it is bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Passwords of 12 characters or more that appear in lists of leaked passwords, lowercased. Shorter
/// ones are refused by length already.
const COMMON_PASSWORDS: &str = include_str!("auth/common-passwords.txt");

/// Hashes run one at a time: each takes a core and 19 MiB, and on a small machine a burst of logins
/// must leave the other cores to visitors.
static HASHING: Semaphore = Semaphore::const_new(1);

/// The hash verified when a username is unknown, so that a wrong username costs the same as a wrong
/// password and response times reveal nothing.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("not a password of anyone, only a stand-in").unwrap_or_default()
});

/// Argon2id with the parameters OWASP recommends (19 MiB, 2 passes, 1 lane): the crate's defaults.
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

fn hash_blocking(password: &str) -> Result<String, password_hash::Error> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
}

/// Hashes a password into a PHC string, on a blocking thread.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await?;
    let hash = tokio::task::spawn_blocking(move || hash_blocking(&password)).await??;
    Ok(hash)
}

/// Whether `password` matches `hash`. With no hash (an unknown or disabled account), a stand-in is
/// verified anyway and the answer is no.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    let known = hash.is_some();
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let matches = argon2()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        matches && known
    })
    .await
    .unwrap_or(false)
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    ContainsUsername,
}

impl PasswordProblem {
    /// The problem and its remedy in Swedish, for the admin area.
    pub fn swedish(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => {
                "Lösenordet måste ha minst 12 tecken. En fras av flera ord är lätt att minnas."
            }
            PasswordProblem::TooLong => "Lösenordet är för långt; det får vara högst 1024 byte.",
            PasswordProblem::Common => {
                "Lösenordet är för vanligt och lätt att gissa. Välj ett annat."
            }
            PasswordProblem::ContainsUsername => "Lösenordet får inte innehålla användarnamnet.",
        }
    }

    /// The problem in English, for the command line.
    pub fn english(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => {
                "it must have at least 12 characters (a phrase of several words is easy to remember)"
            }
            PasswordProblem::TooLong => "it is longer than 1024 bytes",
            PasswordProblem::Common => "it is too common and easy to guess; choose another",
            PasswordProblem::ContainsUsername => "it must not contain the username",
        }
    }
}

/// Checks a new password: long enough, not absurdly long, not common, not the username. No rules
/// about kinds of characters, as NIST SP 800-63B advises.
pub fn check_password_policy(password: &str, username: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let common = COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line == lower);
    let one_char = lower.chars().all(|c| lower.starts_with(c));
    if common || one_char {
        return Err(PasswordProblem::Common);
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(PasswordProblem::ContainsUsername);
    }
    Ok(())
}

/// A random token of 256 bits, as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator does not fail on any supported platform; if it ever did,
    // a predictable token would be worse than stopping.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    hex(&bytes)
}

/// The SHA-256 of a token, as 64 hex digits: what the database stores in its place.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("korrekt häst batteri häftklammer".to_owned())
            .await
            .expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password(
                "korrekt häst batteri häftklammer".to_owned(),
                Some(hash.clone())
            )
            .await
        );
        assert!(!verify_password("korrekt häst batteri häftklammare".to_owned(), Some(hash)).await);
        assert!(
            !verify_password("not a password of anyone, only a stand-in".to_owned(), None).await
        );
    }

    #[test]
    fn the_policy_wants_length_not_composition() {
        assert!(check_password_policy("kort", "anna").is_err());
        assert!(check_password_policy("elva tecken", "anna").is_err());
        assert!(check_password_policy("tolv tecken!", "anna").is_ok());
        assert!(check_password_policy("alla små bokstäver och mellanslag", "anna").is_ok());
        assert!(check_password_policy("aaaaaaaaaaaaaaaa", "anna").is_err());
        assert!(check_password_policy("Password1234", "anna").is_err());
        assert!(check_password_policy("anna-anna-anna-1", "anna").is_err());
    }

    #[test]
    fn tokens_are_long_distinct_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[1..]));
    }
}

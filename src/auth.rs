//! Passwords and secrets: argon2id hashing off the async runtime, and random tokens for sessions,
//! CSRF and setup links. What a password must be like is [`crate::accounts`]'s rule.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHasher, PasswordVerifier,
    password_hash::{self},
};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

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

/// A random token of 256 bits, as 64 hex digits.
pub fn random_token() -> String {
    hex(&random_bytes::<32>())
}

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The operating system's generator does not fail on any supported platform; if it ever did,
    // a predictable secret would be worse than stopping.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    bytes
}

/// The SHA-256 of a token, as 64 hex digits: what the database stores in its place.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Bytes as lowercase hex digits.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// The bytes that [`hex`] wrote, if `text` is hex digits in pairs.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
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
    fn tokens_are_long_distinct_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[1..]));
        let bytes = random_bytes::<20>();
        assert_eq!(from_hex(&hex(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}

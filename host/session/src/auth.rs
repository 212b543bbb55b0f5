//! Station passwords (OCPP security profile 1: HTTP Basic authentication).
//!
//! Passwords are stored as Argon2id hashes in PHC string form, so a stolen
//! database does not give stations' passwords away. Verifying such a hash is
//! slow on purpose (milliseconds and megabytes), so verification runs on
//! tokio's blocking pool behind a semaphore that caps how many run at once,
//! and a successful verification is remembered in memory (as a SHA-256 of the
//! password, next to the PHC string it was checked against) so a station that
//! reconnects with the same password is admitted without hashing again. The
//! memory is per process: nothing of it is written anywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use domain::StationId;

/// The shortest password Gridlet accepts for a station. OCPP 2.0.1 requires
/// 16 to 40 characters for `BasicAuthPassword`; 1.6's security whitepaper
/// the same. Gridlet enforces the minimum when an operator sets one.
pub const MIN_PASSWORD_LEN: usize = 16;
/// The longest password (OCPP's `BasicAuthPassword` limit).
pub const MAX_PASSWORD_LEN: usize = 40;

/// Why a password could not be set or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The password breaks OCPP's rules for station passwords.
    #[error("station password must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} printable ASCII characters, got {0}")]
    Unacceptable(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Checks a password an operator wants to give a station against OCPP's rules.
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(PasswordError::Unacceptable(format!("{len} characters")));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(PasswordError::Unacceptable(format!("{len} characters")));
    }
    if let Some(bad) = password.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(PasswordError::Unacceptable(format!("the character {bad:?}")));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // OWASP's second recommended Argon2id setting: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A random password of 24 characters from an alphabet without look-alikes,
/// for operators who let Gridlet choose a station's password.
pub fn generate_password() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// Hashes `password` into an Argon2id PHC string with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed PHC string
/// never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verifies station passwords with bounded parallelism and a memory of
/// recent successes.
#[derive(Clone)]
pub struct PasswordChecker {
    /// Caps concurrent Argon2 runs: each costs 19 MiB and a core for milliseconds.
    permits: Arc<Semaphore>,
    /// The last successful verification per station.
    verified: Arc<Mutex<HashMap<StationId, Verified>>>,
}

/// A password that matched a stored hash.
struct Verified {
    /// The PHC string it was verified against; a new password invalidates this.
    phc: String,
    /// SHA-256 of the password that matched.
    digest: [u8; 32],
}

impl PasswordChecker {
    /// A checker running at most `parallelism` Argon2 verifications at once.
    pub fn new(parallelism: usize) -> Self {
        PasswordChecker {
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            verified: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Whether `password` is the password of `station`, whose stored hash is `phc`.
    pub async fn check(&self, station: &StationId, phc: &str, password: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        if self.remembered(station, phc, &digest) {
            return true;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let (phc_owned, password_owned) = (phc.to_owned(), password.to_owned());
        let matches = tokio::task::spawn_blocking(move || verify_password(&phc_owned, &password_owned))
            .await
            .unwrap_or(false);
        if matches && let Ok(mut verified) = self.verified.lock() {
            verified.insert(station.clone(), Verified { phc: phc.to_owned(), digest });
        }
        matches
    }

    fn remembered(&self, station: &StationId, phc: &str, digest: &[u8; 32]) -> bool {
        let Ok(verified) = self.verified.lock() else { return false };
        verified.get(station).is_some_and(|known| known.phc == phc && &known.digest == digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_ocpp_rules() {
        assert!(check_password_rules("0123456789abcdef").is_ok());
        assert!(check_password_rules("short").is_err());
        assert!(check_password_rules(&"x".repeat(41)).is_err());
        assert!(check_password_rules("0123456789abcdef ghi").is_err());
    }

    #[test]
    fn generated_passwords_follow_the_rules_and_differ() {
        let a = generate_password();
        assert!(check_password_rules(&a).is_ok());
        assert_ne!(a, generate_password());
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let phc = hash_password("0123456789abcdef").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&phc, "0123456789abcdef"));
        assert!(!verify_password(&phc, "0123456789abcdeX"));
        assert!(!verify_password("not a phc string", "0123456789abcdef"));
        // a fresh salt every time
        assert_ne!(phc, hash_password("0123456789abcdef").unwrap());
    }

    #[tokio::test]
    async fn checker_remembers_only_matching_passwords_for_the_same_hash() {
        let checker = PasswordChecker::new(1);
        let station = StationId::parse("CP1").unwrap();
        let phc = hash_password("0123456789abcdef").unwrap();
        assert!(!checker.check(&station, &phc, "wrong-password-123").await);
        assert!(checker.check(&station, &phc, "0123456789abcdef").await);
        assert!(checker.check(&station, &phc, "0123456789abcdef").await);
        assert!(!checker.check(&station, &phc, "wrong-password-123").await);
        // a changed password invalidates what was remembered
        let new_phc = hash_password("fedcba9876543210").unwrap();
        assert!(!checker.check(&station, &new_phc, "0123456789abcdef").await);
    }
}

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
//!
//! Each verification permit owns one Argon2 working memory (19 MiB), reused
//! from one verification to the next. Allocating it afresh every time made a
//! reconnect storm of stations never verified before grow the process by
//! about 1 GiB: glibc raises its mmap threshold after the first such block
//! is freed, so later ones come from the heap, which fragments and keeps
//! them. With the pool, hashing holds `parallelism` × 19 MiB, whatever the
//! storm.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as UNPADDED;
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

/// The PHC identifier of a pending station's verifier.
const PENDING_VERIFIER_ID: &str = "gridlet-pending-sha256";

/// A cheap verifier of `password` for a station that is not approved yet:
/// `$gridlet-pending-sha256$<salt>$<SHA-256 of salt and password>` (both
/// unpadded base64). See the module docs for why it is not Argon2id.
pub fn pending_verifier(password: &str) -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let digest = salted_sha256(&salt, password);
    format!("${PENDING_VERIFIER_ID}${}${}", UNPADDED.encode(salt), UNPADDED.encode(digest))
}

/// Whether `stored` is a pending station's cheap verifier rather than an
/// Argon2 hash.
pub fn is_pending_verifier(stored: &str) -> bool {
    stored.starts_with(&format!("${PENDING_VERIFIER_ID}$"))
}

fn salted_sha256(salt: &[u8], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

/// Whether `password` matches a [`pending_verifier`] string. A malformed
/// one never matches.
fn verify_pending(stored: &str, password: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(""), Some(PENDING_VERIFIER_ID), Some(salt), Some(digest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(salt), Ok(expected)): (Result<Vec<u8>, _>, Result<Vec<u8>, _>) = (UNPADDED.decode(salt), UNPADDED.decode(digest)) else {
        return false;
    };
    let computed = salted_sha256(&salt, password);
    // `Output`'s equality is constant-time.
    match (Output::new(&computed), Output::new(&expected)) {
        (Ok(computed), Ok(expected)) => computed == expected,
        _ => false,
    }
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
    verify_password_in(phc, password, &mut Vec::new())
}

/// [`verify_password`] with a working memory to reuse: `memory` grows to the
/// hash's size if it is smaller and is left as it is for the next call.
/// The hash's own parameters (algorithm, version, memory, passes) are used,
/// so a hash made with other settings than today's still verifies.
fn verify_password_in(phc: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut computed,
        &mut memory[..blocks],
    );
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

/// Verifies station passwords with bounded parallelism and a memory of
/// recent successes.
#[derive(Clone)]
pub struct PasswordChecker {
    /// Caps concurrent Argon2 runs: each costs 19 MiB and a core for milliseconds.
    permits: Arc<Semaphore>,
    /// Argon2 working memories, one per permit, kept between verifications
    /// (see the module docs).
    memories: Arc<Mutex<Vec<Vec<Block>>>>,
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
            memories: Arc::new(Mutex::new(Vec::new())),
            verified: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Whether `password` is the password of `station`, whose stored hash is
    /// `phc` (an Argon2 PHC string or a pending station's verifier).
    pub async fn check(&self, station: &StationId, phc: &str, password: &str) -> bool {
        if is_pending_verifier(phc) {
            return verify_pending(phc, password);
        }
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        if self.remembered(station, phc, &digest) {
            return true;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let (phc_owned, password_owned) = (phc.to_owned(), password.to_owned());
        let memories = self.memories.clone();
        let matches = tokio::task::spawn_blocking(move || {
            // Holding a permit, there is a memory for us or room to make one.
            let mut memory = memories.lock().ok().and_then(|mut free| free.pop()).unwrap_or_default();
            let matches = verify_password_in(&phc_owned, &password_owned, &mut memory);
            if let Ok(mut free) = memories.lock() {
                free.push(memory);
            }
            matches
        })
        .await
        .unwrap_or(false);
        if matches && let Ok(mut verified) = self.verified.lock() {
            verified.insert(station.clone(), Verified { phc: phc.to_owned(), digest });
        }
        matches
    }

    /// Whether `password` is the one last verified for `station` against
    /// `phc`: a SHA-256 and a lookup, no Argon2.
    pub fn remembers(&self, station: &StationId, phc: &str, password: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        self.remembered(station, phc, &digest)
    }

    /// Hashes `password` with Argon2id under the same permits as
    /// verification, so hashing never holds more memory than they allow.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let Ok(_permit) = self.permits.acquire().await else {
            return Err(PasswordError::Hashing("the password checker is closed".into()));
        };
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| PasswordError::Hashing(format!("hashing task failed: {e}")))?
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

    #[test]
    fn a_reused_memory_verifies_hashes_of_any_parameters() {
        use argon2::password_hash::PasswordVerifier;
        // A hash made with other settings (8 MiB, 3 passes, Argon2i), as an
        // older Gridlet or another tool might have stored.
        let other = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(8 * 1024, 3, 1, None).unwrap());
        let salt = SaltString::generate(&mut OsRng);
        let old_phc = other.hash_password(b"0123456789abcdef", &salt).unwrap().to_string();
        let new_phc = hash_password("fedcba9876543210").unwrap();
        let mut memory = Vec::new();
        for _ in 0..2 {
            for (phc, right) in [(&old_phc, "0123456789abcdef"), (&new_phc, "fedcba9876543210")] {
                assert!(verify_password_in(phc, right, &mut memory));
                assert!(!verify_password_in(phc, "wrong-password-123", &mut memory));
                // the argon2 crate's own verifier agrees
                let parsed = PasswordHash::new(phc).unwrap();
                assert!(argon2().verify_password(right.as_bytes(), &parsed).is_ok());
            }
        }
        // the memory grew to the largest hash's size and no further
        assert_eq!(memory.len(), argon2().params().block_count());
        // a PHC string whose hash was cut short never matches
        let cut = &new_phc[..new_phc.len() - 4];
        assert!(!verify_password_in(cut, "fedcba9876543210", &mut memory));
    }

    #[tokio::test]
    async fn the_checker_keeps_one_memory_per_permit() {
        let checker = PasswordChecker::new(2);
        let phc = hash_password("0123456789abcdef").unwrap();
        let checks = (0..6).map(|i| {
            let checker = checker.clone();
            let phc = phc.clone();
            async move {
                let station = StationId::parse(&format!("CP{i}")).unwrap();
                checker.check(&station, &phc, "0123456789abcdef").await
            }
        });
        assert!(futures_all(checks).await.into_iter().all(|ok| ok));
        let kept = checker.memories.lock().unwrap().len();
        assert!((1..=2).contains(&kept), "{kept} memories kept for 2 permits");
    }

    async fn futures_all<F: std::future::Future<Output = bool> + Send + 'static>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<bool> {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        results
    }

    #[tokio::test]
    async fn pending_verifiers_are_cheap_salted_and_exact() {
        let checker = PasswordChecker::new(1);
        let station = StationId::parse("CP1").unwrap();
        let stored = pending_verifier("0123456789abcdef");
        assert!(is_pending_verifier(&stored), "{stored}");
        assert!(!is_pending_verifier(&hash_password("0123456789abcdef").unwrap()));
        assert_ne!(stored, pending_verifier("0123456789abcdef"), "a fresh salt every time");
        assert!(checker.check(&station, &stored, "0123456789abcdef").await);
        assert!(!checker.check(&station, &stored, "0123456789abcdeX").await);
        assert!(!checker.check(&station, &stored, "").await);
        // cut or tampered verifiers never match
        assert!(!checker.check(&station, &stored[..stored.len() - 2], "0123456789abcdef").await);
        assert!(!checker.check(&station, &format!("{stored}$x"), "0123456789abcdef").await);
        assert!(!checker.check(&station, "$gridlet-pending-sha256$$", "").await);
        // the Argon2 path never takes a verifier for a PHC string
        assert!(!verify_password(&stored, "0123456789abcdef"));
        // and hashing through the checker gives an Argon2id hash of the password
        let phc = checker.hash("0123456789abcdef").await.unwrap();
        assert!(verify_password(&phc, "0123456789abcdef"));
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

//! Who may use the dashboard: users with Argon2id password hashes, API
//! tokens kept as SHA-256, and login sessions held in memory.
//!
//! - Passwords are checked with Argon2 (PHC strings from
//!   `ghostguard serve hash-password`); an unknown user costs the same work
//!   as a wrong password, so timing does not tell which names exist.
//! - API tokens are 256 random bits; the config keeps their SHA-256 (a slow
//!   hash adds nothing to a random secret of that size).
//! - A session is a random 256-bit cookie value (`HttpOnly`,
//!   `SameSite=Strict`) and carries its own CSRF token, which every
//!   state-changing request made with the cookie must echo.
//!
//! DoS: at most [`MAX_SESSIONS`] sessions; at the bound expired ones are
//! dropped, then the oldest. At most [`MAX_PASSWORD_CHECKS`] Argon2 checks
//! run at once (each takes ~19 MiB and tens of milliseconds); more logins
//! wait.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::config::{Token, User};

/// DoS: sessions kept at once.
pub const MAX_SESSIONS: usize = 10_000;
/// DoS: Argon2 verifications running at once.
pub const MAX_PASSWORD_CHECKS: usize = 2;
/// Longest password accepted (Argon2 takes more, logins need no more).
pub const MAX_PASSWORD: usize = 1024;

/// 32 random bytes as 64 hex digits.
///
/// # Panics
/// Never in practice: only when the OS has no random source at all, where
/// nothing safe can be done.
#[must_use]
#[allow(clippy::expect_used)]
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the OS random source failed");
    hex(&b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of `token`.
#[must_use]
pub fn sha256_hex(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new Argon2id PHC string for `password` (default parameters:
/// m=19 MiB, t=2, p=1).
///
/// # Errors
/// The password is too long, or hashing failed.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.len() > MAX_PASSWORD {
        return Err(format!("longer than {MAX_PASSWORD} bytes"));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks that `phc` is a password hash this build can verify.
pub(crate) fn check_phc(phc: &str) -> Result<(), String> {
    let h = PasswordHash::new(phc).map_err(|e| format!("not a PHC string: {e}"))?;
    if !h.algorithm.as_str().starts_with("argon2") {
        return Err(format!("algorithm `{}` is not argon2", h.algorithm));
    }
    Ok(())
}

fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Equal without an early exit on the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who is asking, and how they proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Recorded as the actor of ban changes: the user name, or
    /// `token:NAME`.
    pub actor: String,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; its CSRF token.
    Session { csrf: String },
    /// An API token (no cookie, so no CSRF risk).
    Token { read_only: bool },
}

/// The users and tokens of the config.
#[derive(Debug)]
pub struct Accounts {
    users: Vec<User>,
    tokens: Vec<Token>,
    /// Verified against when the user does not exist.
    dummy: String,
    checks: tokio::sync::Semaphore,
}

impl Accounts {
    #[must_use]
    pub fn new(users: Vec<User>, tokens: Vec<Token>) -> Accounts {
        Accounts {
            users,
            tokens,
            dummy: hash_password("not a real password").unwrap_or_default(),
            checks: tokio::sync::Semaphore::new(MAX_PASSWORD_CHECKS),
        }
    }

    /// The user name when `password` is right.
    pub async fn login(&self, name: &str, password: &str) -> Option<String> {
        if password.len() > MAX_PASSWORD || name.len() > 256 {
            return None;
        }
        let user = self.users.iter().find(|u| u.name == name);
        let phc = user.map_or(self.dummy.clone(), |u| u.password_hash.clone());
        let permit = self.checks.acquire().await.ok()?;
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify(&phc, &password))
            .await
            .unwrap_or(false);
        drop(permit);
        (ok && user.is_some()).then(|| name.to_owned())
    }

    /// The principal a bearer token stands for.
    #[must_use]
    pub fn token(&self, token: &str) -> Option<Principal> {
        let digest = sha256_hex(token.trim());
        self.tokens
            .iter()
            .find(|t| same(t.sha256.to_ascii_lowercase().as_bytes(), digest.as_bytes()))
            .map(|t| Principal {
                actor: format!("token:{}", t.name),
                via: Via::Token {
                    read_only: t.read_only,
                },
            })
    }
}

#[derive(Debug, Clone)]
struct Session {
    user: String,
    csrf: String,
    created_ms: i64,
    expires_ms: i64,
}

/// Login sessions, in memory (a restart logs everyone out).
#[derive(Debug)]
pub struct Sessions {
    ttl_ms: i64,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    #[must_use]
    pub fn new(ttl: std::time::Duration) -> Sessions {
        Sessions {
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `user`; returns the cookie value.
    pub fn start(&self, user: &str, now_ms: i64) -> String {
        let id = random_token();
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires_ms > now_ms);
        }
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.created_ms)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            id.clone(),
            Session {
                user: user.to_owned(),
                csrf: random_token(),
                created_ms: now_ms,
                expires_ms: now_ms.saturating_add(self.ttl_ms),
            },
        );
        id
    }

    /// The principal of a live session.
    pub fn get(&self, id: &str, now_ms: i64) -> Option<Principal> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(id) {
            Some(s) if s.expires_ms > now_ms => Some(Principal {
                actor: s.user.clone(),
                via: Via::Session {
                    csrf: s.csrf.clone(),
                },
            }),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session (logout).
    pub fn end(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Does the CSRF token sent with a request match the session's?
#[must_use]
pub fn csrf_ok(expected: &str, sent: Option<&str>) -> bool {
    sent.is_some_and(|s| same(expected.as_bytes(), s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn passwords_and_tokens() {
        let phc = hash_password("correct horse").unwrap();
        check_phc(&phc).unwrap();
        assert!(check_phc("plain").is_err());
        let token = random_token();
        let acc = Accounts::new(
            vec![User {
                name: "alice".into(),
                password_hash: phc,
            }],
            vec![Token {
                name: "prom".into(),
                sha256: sha256_hex(&token),
                read_only: true,
            }],
        );
        assert_eq!(
            acc.login("alice", "correct horse").await.as_deref(),
            Some("alice")
        );
        assert_eq!(acc.login("alice", "wrong").await, None);
        assert_eq!(acc.login("mallory", "correct horse").await, None);
        let p = acc.token(&token).unwrap();
        assert_eq!(p.actor, "token:prom");
        assert_eq!(p.via, Via::Token { read_only: true });
        assert!(acc.token("guess").is_none());
    }

    #[test]
    fn sessions_expire_and_are_bounded() {
        let s = Sessions::new(Duration::from_secs(60));
        let id = s.start("alice", 0);
        let Some(Principal {
            actor,
            via: Via::Session { csrf },
        }) = s.get(&id, 59_999)
        else {
            panic!("no session");
        };
        assert_eq!(actor, "alice");
        assert!(csrf_ok(&csrf, Some(&csrf)));
        assert!(!csrf_ok(&csrf, Some("x")));
        assert!(!csrf_ok(&csrf, None));
        assert!(s.get(&id, 60_000).is_none());
        for i in 0..MAX_SESSIONS + 10 {
            s.start("bob", i as i64);
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        let id = s.start("carol", 1_000_000);
        s.end(&id);
        assert!(s.get(&id, 1_000_000).is_none());
    }
}

//! The `serve` configuration file (TOML, unknown keys rejected), checked
//! whole by [`ServeConfig::parse`] before the store is opened or a socket
//! bound. Every option is described in `docs/dashboard.md`.

use std::net::SocketAddr;
use std::time::Duration;

use ghostguard_guard::config::Alerts;
use ipnet::IpNet;
use serde::Deserialize;

use crate::error::{ConfigError, invalid};
use crate::i18n::Lang;

/// Where bans made in the dashboard reach the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Apply {
    /// Only the store: the guard daemon on the site picks them up.
    #[default]
    None,
    /// Also this host's `inet ghostguard` table (serve runs on the guard's
    /// host and may run `nft`).
    Nft,
    /// Print the nft batches instead (testing).
    DryRun,
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// A PHC string (`$argon2id$…`) from `ghostguard serve hash-password`.
    pub password_hash: String,
}

/// An API token (`Authorization: Bearer …`), stored as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Who uses it; ban changes made with it are recorded as `token:NAME`.
    pub name: String,
    /// Lower-case hex SHA-256 of the token (`ghostguard serve new-token`).
    pub sha256: String,
    /// May only read (GET): for Prometheus and feed consumers.
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Session {
    /// A login lasts this long.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// Mark the cookie `Secure` (set when a TLS proxy fronts the dashboard).
    pub secure_cookie: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            ttl: Duration::from_secs(12 * 3600),
            secure_cookie: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Store {
    /// `sqlite:///var/lib/ghostguard/ghostguard.db` or `postgres://…`.
    pub url: String,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            url: "sqlite:///var/lib/ghostguard/ghostguard.db".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bans {
    /// The site a ban added in the dashboard is for, unless the form names
    /// another.
    pub site: String,
    /// Ban time offered by the form and used by the API when none is given.
    #[serde(with = "humantime_serde")]
    pub default_time: Duration,
    /// Apply ban changes to this host's firewall too.
    pub apply: Apply,
}

impl Default for Bans {
    fn default() -> Self {
        Bans {
            site: "default".into(),
            default_time: Duration::from_secs(86_400),
            apply: Apply::None,
        }
    }
}

/// One list the dashboard imports on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// `https://…`, `http://…` or a file path.
    pub source: String,
    /// How often.
    #[serde(default = "default_every", with = "humantime_serde")]
    pub every: Duration,
    /// How long its addresses are banned (renewed by every import).
    #[serde(with = "humantime_serde")]
    pub ban_time: Duration,
    /// The site whose ban set receives them.
    pub site: Option<String>,
    /// Also accept private and unique-local addresses.
    #[serde(default)]
    pub allow_private: bool,
}

fn default_every() -> Duration {
    Duration::from_secs(3600)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Feed {
    pub enabled: bool,
    /// Serve the feed without a token (other sites' firewalls fetch it).
    pub public: bool,
    /// Defaults for the feed's query options.
    pub min_confidence: u8,
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
    /// Also list addresses with an active ban (automatic or manual;
    /// imported ones never, so feeds do not echo each other).
    pub include_bans: bool,
    /// Most addresses in one answer.
    pub limit: u32,
    /// Never publish these (your own ranges, partners).
    pub exclude: Vec<IpNet>,
    pub import: Vec<Import>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            enabled: true,
            public: false,
            min_confidence: 80,
            max_age: Duration::from_secs(7 * 86_400),
            include_bans: true,
            limit: 10_000,
            exclude: Vec::new(),
            import: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    /// Serve `/metrics` without a token.
    pub public: bool,
}

/// The whole `serve` configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address and port; loopback unless you mean otherwise.
    pub bind: SocketAddr,
    /// Default language of the pages (`en`, `nl`).
    pub language: Lang,
    pub store: Store,
    pub users: Vec<User>,
    pub tokens: Vec<Token>,
    pub session: Session,
    pub bans: Bans,
    pub feed: Feed,
    pub metrics: Metrics,
    /// Alerts about what guards write to the store (for a central
    /// dashboard); same keys as the guard's `[alerts]`.
    pub alerts: Alerts,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            language: Lang::En,
            store: Store::default(),
            users: Vec::new(),
            tokens: Vec::new(),
            session: Session::default(),
            bans: Bans::default(),
            feed: Feed::default(),
            metrics: Metrics::default(),
            alerts: Alerts::default(),
        }
    }
}

/// Names of users, tokens and sites: what the store takes as an actor.
fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
}

impl ServeConfig {
    /// Parses and validates.
    ///
    /// # Errors
    /// The first problem found, naming its key.
    pub fn parse(text: &str) -> Result<ServeConfig, ConfigError> {
        let cfg: ServeConfig = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Every check that needs no network and no files.
    ///
    /// # Errors
    /// The first problem found, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.bind.port() == 0 {
            return Err(invalid("bind", "needs a port"));
        }
        if self.users.is_empty() && self.tokens.is_empty() {
            return Err(invalid(
                "users",
                "nobody could log in: add a [[users]] entry (ghostguard serve hash-password) or a [[tokens]] entry",
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for u in &self.users {
            if !name_ok(&u.name) {
                return Err(invalid(
                    "users.name",
                    format!("`{}`: 1 to 64 of A-Z a-z 0-9 - _ . @", u.name),
                ));
            }
            if !names.insert(u.name.as_str()) {
                return Err(invalid("users.name", format!("`{}` twice", u.name)));
            }
            crate::auth::check_phc(&u.password_hash).map_err(|e| {
                invalid(
                    "users.password_hash",
                    format!(
                        "user `{}`: {e} (make one with `ghostguard serve hash-password`)",
                        u.name
                    ),
                )
            })?;
        }
        for t in &self.tokens {
            if !name_ok(&t.name) {
                return Err(invalid(
                    "tokens.name",
                    format!("`{}`: 1 to 64 of A-Z a-z 0-9 - _ . @", t.name),
                ));
            }
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(
                    "tokens.sha256",
                    format!(
                        "token `{}`: 64 hex digits (ghostguard serve new-token)",
                        t.name
                    ),
                ));
            }
        }
        let url = &self.store.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "store.url",
                "must start with sqlite: or postgres://",
            ));
        }
        let ttl = self.session.ttl;
        if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(30 * 86_400) {
            return Err(invalid("session.ttl", "between 1m and 30d"));
        }
        if !name_ok(&self.bans.site) {
            return Err(invalid("bans.site", "1 to 64 of A-Z a-z 0-9 - _ . @"));
        }
        let max_ban = ghostguard_firewall::MAX_BAN_TTL;
        let ban_time_ok = |d: Duration| !d.is_zero() && d <= max_ban;
        if !ban_time_ok(self.bans.default_time) {
            return Err(invalid(
                "bans.default_time",
                format!("between 1s and {}", humantime::format_duration(max_ban)),
            ));
        }
        let f = &self.feed;
        if f.min_confidence > 100 {
            return Err(invalid("feed.min_confidence", "0 to 100"));
        }
        if f.limit == 0 || f.limit > ghostguard_store::MAX_LIMIT {
            return Err(invalid(
                "feed.limit",
                format!("1 to {}", ghostguard_store::MAX_LIMIT),
            ));
        }
        for i in &f.import {
            if i.source.is_empty() {
                return Err(invalid("feed.import.source", "empty"));
            }
            if i.every < Duration::from_secs(60) {
                return Err(invalid("feed.import.every", "at least 1m"));
            }
            if !ban_time_ok(i.ban_time) {
                return Err(invalid(
                    "feed.import.ban_time",
                    format!("between 1s and {}", humantime::format_duration(max_ban)),
                ));
            }
            if i.site.as_deref().is_some_and(|s| !name_ok(s)) {
                return Err(invalid(
                    "feed.import.site",
                    "1 to 64 of A-Z a-z 0-9 - _ . @",
                ));
            }
        }
        validate_alerts(&self.alerts)
    }

    /// The configured store URL, overridden by `url` when given.
    #[must_use]
    pub fn store_url<'a>(&'a self, url: Option<&'a str>) -> &'a str {
        url.unwrap_or(&self.store.url)
    }
}

/// The guard's own checks of `[alerts]` (one set of rules for both):
/// a monitor-mode guard config that differs only in its alerts.
fn validate_alerts(a: &Alerts) -> Result<(), ConfigError> {
    use ghostguard_guard::config::{GuardConfig, Inspect, Mode};
    let probe = GuardConfig {
        mode: Mode::Monitor,
        inspect: Inspect {
            hep_listen: vec![SocketAddr::from(([127, 0, 0, 1], 9060))],
            ..Inspect::default()
        },
        alerts: a.clone(),
        ..GuardConfig::default()
    };
    probe.validate().map_err(|e| match e {
        ghostguard_guard::ConfigError::Invalid { key, reason } => invalid(key, reason),
        other => invalid("alerts", other.to_string()),
    })
}

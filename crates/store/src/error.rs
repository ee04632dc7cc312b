//! Store errors: what failed, against which database, and why.

use std::fmt;

/// A database URL with its password replaced by `***`, fit for logs and
/// error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// Redacts the password in `scheme://user:password@host/...` and any
    /// `password=` query parameter.
    #[must_use]
    pub fn new(url: &str) -> Self {
        let mut out = url.to_owned();
        if let Some(scheme_end) = out.find("://") {
            let auth_start = scheme_end + 3;
            let auth_end = out[auth_start..]
                .find(['/', '?'])
                .map_or(out.len(), |i| auth_start + i);
            if let Some(at) = out[auth_start..auth_end].rfind('@') {
                let userinfo = &out[auth_start..auth_start + at];
                if let Some(colon) = userinfo.find(':') {
                    let start = auth_start + colon + 1;
                    out.replace_range(start..auth_start + at, "***");
                }
            }
        }
        if let Some(q) = out.find('?') {
            let (head, query) = out.split_at(q + 1);
            let redacted: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            out = format!("{head}{}", redacted.join("&"));
        }
        RedactedUrl(out)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Why an input was refused. Hostile data (from SIP messages) reaches the
/// store, so every field is checked before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// An identifier (site, kind, detector, code, actor) is empty.
    Empty,
    /// Longer than the field allows.
    TooLong { len: usize, max: usize },
    /// An identifier holds a control character.
    ControlCharacter,
    /// The evidence or stats text is not JSON.
    NotJson,
    /// A number is outside the field's range.
    OutOfRange,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("is empty"),
            Invalid::TooLong { len, max } => write!(f, "is {len} bytes, more than {max}"),
            Invalid::ControlCharacter => f.write_str("holds a control character"),
            Invalid::NotJson => f.write_str("is not valid JSON"),
            Invalid::OutOfRange => f.write_str("is out of range"),
        }
    }
}

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no backend this store speaks.
    #[error("store URL {url}: unsupported scheme (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl { url: RedactedUrl },
    /// The SQLite file's directory could not be created.
    #[error("store URL {url}: cannot create directory {dir}: {source}")]
    CreateDir {
        url: RedactedUrl,
        dir: String,
        #[source]
        source: std::io::Error,
    },
    /// Connecting (or setting up the connection) failed.
    #[error("store URL {url}: cannot open: {source}")]
    Open {
        url: RedactedUrl,
        #[source]
        source: sqlx::Error,
    },
    /// The database did not answer in time.
    #[error("store URL {url}: cannot open: no connection after {after:?}")]
    ConnectTimeout {
        url: RedactedUrl,
        after: std::time::Duration,
    },
    /// A schema migration failed; the schema stays at the previous version.
    #[error("store URL {url}: migration {version} ({name}) failed: {source}")]
    Migrate {
        url: RedactedUrl,
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// The database was migrated by a newer ghostguard.
    #[error(
        "store URL {url}: schema version {found} is newer than this ghostguard knows ({known}); upgrade ghostguard"
    )]
    SchemaTooNew {
        url: RedactedUrl,
        found: i64,
        known: i64,
    },
    /// A query failed after the store was open.
    #[error("store {op} failed: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// An input field was refused; nothing was written.
    #[error("store input {field} {problem}")]
    Invalid {
        field: &'static str,
        problem: Invalid,
    },
    /// A stored value could not be read back (written by something else?).
    #[error("store {op}: column {column} holds an unexpected value {value:?}")]
    Corrupt {
        op: &'static str,
        column: &'static str,
        value: String,
    },
}

impl StoreError {
    pub(crate) fn query(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { op, source }
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::RedactedUrl;

    #[test]
    fn password_in_userinfo_is_redacted() {
        let r = RedactedUrl::new("postgres://guard:s3cr@t@db.example/ghostguard?sslmode=require");
        assert_eq!(
            r.as_str(),
            "postgres://guard:***@db.example/ghostguard?sslmode=require"
        );
    }

    #[test]
    fn password_parameter_is_redacted() {
        let r = RedactedUrl::new("postgres://db.example/gg?user=guard&password=hunter2&x=1");
        assert_eq!(
            r.as_str(),
            "postgres://db.example/gg?user=guard&password=***&x=1"
        );
    }

    #[test]
    fn url_without_password_is_unchanged() {
        for u in [
            "sqlite:///var/lib/ghostguard/ghostguard.db",
            "postgres://guard@db.example/gg",
            "no scheme at all",
        ] {
            assert_eq!(RedactedUrl::new(u).as_str(), u);
        }
    }
}

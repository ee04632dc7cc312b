//! Shared secrets read from a file, so that they never stand on a command
//! line (where `ps` shows them to every user of the machine).

use std::path::Path;

use anyhow::{Context, Result, bail};
use ghostguard_diagnose::config::token_ok;

/// The token in `path`: its first line, trimmed (as the reflector's
/// `auth.token_file` always read it; later lines are ignored).
///
/// # Errors
/// The file cannot be read, its first line is empty, or it is not a usable
/// token (1 to 128 printable characters, no spaces); each error names the
/// file.
pub fn read_token_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        bail!("token file {} is empty", path.display());
    }
    if !token_ok(token) {
        bail!(
            "token file {}: its first line is not a usable token (1 to 128 printable \
             characters, no spaces)",
            path.display()
        );
    }
    Ok(token.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_trailing_newline_goes_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        assert_eq!(
            read_token_file(&file("ok", "s3cret-42\n")).unwrap(),
            "s3cret-42"
        );
        assert_eq!(
            read_token_file(&file("crlf", "s3cret-42\r\n")).unwrap(),
            "s3cret-42"
        );
        assert_eq!(read_token_file(&file("bare", "abc")).unwrap(), "abc");
        assert_eq!(
            read_token_file(&file("two", " abc \n# rotated on 2026-11-01\n")).unwrap(),
            "abc"
        );
        for (name, text, says) in [
            ("empty", "", "is empty"),
            ("blank", "\n\n", "is empty"),
            ("first-blank", "\nabc\n", "is empty"),
            ("space", "a b\n", "not a usable token"),
        ] {
            let err = read_token_file(&file(name, text)).unwrap_err().to_string();
            assert!(err.contains(says) && err.contains(name), "{name}: {err}");
        }
        let err = format!(
            "{:#}",
            read_token_file(&dir.path().join("missing")).unwrap_err()
        );
        assert!(
            err.contains("cannot read token file") && err.contains("missing"),
            "{err}"
        );
    }
}

//! Renders an [`Analysis`] for people and programs: a terminal report for
//! the helpdesk, a self-contained HTML page, and the JSON contract, in
//! English and Dutch.
//!
//! What it is not: it does not capture, decode or judge anything. Every
//! verdict comes from the engine's model; this crate words it. Strings that
//! came from the network (caller IDs, User-Agents, evidence values) are
//! treated as hostile: sanitised for the terminal, escaped in HTML, and
//! left to `serde_json` to escape in JSON.
//!
//! ```text
//! Analysis + ReportMeta -> view (translated, per language) -> text | html
//!                       -> JSON (the model as is, plus steps and meta)
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::str::FromStr;

use ghostguard_engine::Analysis;
use ghostguard_engine::cause::Remedy;
use serde::Serialize;

mod chart;
mod html;
mod i18n;
mod json;
mod plan;
mod sanitize;
mod sentence;
mod text;
mod view;

pub use i18n::{cause_name, kind_name, remedy_text};
pub use plan::{Step, plan};

pub use sanitize::sanitize_terminal;
pub use sentence::{cause_evidence_sentence, evidence_sentence};

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For a person at a terminal.
    #[default]
    Text,
    /// The stable machine contract.
    Json,
    /// One self-contained page.
    Html,
}

/// Report language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Nl,
}

impl Lang {
    /// The BCP 47 tag (`en`, `nl`).
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }
}

/// A word that is not a known format or language.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// What was being parsed (`format`, `language`).
    pub what: &'static str,
    pub value: String,
    /// The accepted words.
    pub expected: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?} (expected {})",
            self.what, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseError {}

/// One of a few words, in any case.
fn parse_word<T: Copy>(
    s: &str,
    words: &[(&str, T)],
    what: &'static str,
    expected: &'static str,
) -> Result<T, ParseError> {
    let found = words.iter().find(|(w, _)| s.eq_ignore_ascii_case(w));
    found.map(|(_, v)| *v).ok_or_else(|| ParseError {
        what,
        value: s.to_string(),
        expected,
    })
}

impl FromStr for Format {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words = [
            ("text", Format::Text),
            ("json", Format::Json),
            ("html", Format::Html),
        ];
        parse_word(s, &words, "format", "text, json or html")
    }
}

impl FromStr for Lang {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_word(
            s,
            &[("en", Lang::En), ("nl", Lang::Nl)],
            "language",
            "en or nl",
        )
    }
}

/// One input file and what reading it gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    pub path: String,
    /// `pcap`, `pcapng`, `hep`, ...
    pub format: String,
    pub frames: u64,
    pub bytes: u64,
    /// Set when the file could not be read to the end.
    pub error: Option<String>,
}

/// Which command the report is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportKind {
    /// `analyze`: captures; only causes found are listed.
    #[default]
    Analyze,
    /// `diagnose`: live tests; every cause has a verdict.
    Diagnose,
}

impl ReportKind {
    /// `analyze` or `diagnose` (as in JSON).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportKind::Analyze => "analyze",
            ReportKind::Diagnose => "diagnose",
        }
    }
}

/// Facts about the run that the model does not hold.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    pub kind: ReportKind,
    /// The ghostguard version.
    pub version: &'static str,
    pub inputs: Vec<InputSummary>,
    /// Decoder counters (name, count), in the order to show them.
    pub decode: Vec<(String, u64)>,
    /// E.g. `ghostguard 0.1.0 analyze capture.pcap`; empty to leave out.
    pub generated_by: String,
}

/// Writes the report.
///
/// `color` adds ANSI colours to the text format only (pass whether the
/// output is a terminal and colour is wanted).
///
/// # Errors
/// Only the errors of `out`.
pub fn render(
    a: &Analysis,
    meta: &ReportMeta,
    format: Format,
    lang: Lang,
    color: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::render(&view::View::build(a, meta, lang), color, out),
        Format::Json => json::render(a, meta, lang, out),
        Format::Html => html::render(a, meta, lang, out),
    }
}

/// Renders to a string (convenience for tests and small tools).
///
/// # Errors
/// None in practice: writing to a `Vec` does not fail.
pub fn render_to_string(
    a: &Analysis,
    meta: &ReportMeta,
    format: Format,
    lang: Lang,
    color: bool,
) -> io::Result<String> {
    let mut buf = Vec::new();
    render(a, meta, format, lang, color, &mut buf)?;
    String::from_utf8(buf).map_err(io::Error::other)
}

/// The JSON report as a value (what [`Format::Json`] prints), for callers
/// that embed it, such as a web API.
///
/// # Errors
/// When the model cannot be serialised (it always can).
pub fn json_value(
    a: &Analysis,
    meta: &ReportMeta,
    lang: Lang,
) -> serde_json::Result<serde_json::Value> {
    json::to_value(a, meta, lang)
}

/// The stable id of a remedy (`disable-sip-alg`), as in the JSON.
#[must_use]
pub fn remedy_id(r: Remedy) -> String {
    i18n::serde_id(&r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_lang_parse() {
        assert_eq!("html".parse::<Format>(), Ok(Format::Html));
        assert_eq!("JSON".parse::<Format>(), Ok(Format::Json));
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        assert_eq!("nl".parse::<Lang>(), Ok(Lang::Nl));
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        let e = "fr".parse::<Lang>().err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("unknown language \"fr\" (expected en or nl)".into())
        );
        assert!("pdf".parse::<Format>().is_err());
    }
}

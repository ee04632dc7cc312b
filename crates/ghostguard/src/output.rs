//! Writing a report where the flags say (shared by `analyze` and `diagnose`).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use ghostguard_engine::Analysis;
use ghostguard_report::{Format, Lang, ReportMeta};

use crate::cli::{Color, OutFormat, OutLang, ReportArgs};

/// Renders `analysis` as the flags say (standard output without `-o`).
pub fn write_report(analysis: &Analysis, meta: &ReportMeta, args: &ReportArgs) -> Result<()> {
    let output: Option<&Path> = args.output.as_deref();
    let format = match args.format {
        OutFormat::Text => Format::Text,
        OutFormat::Json => Format::Json,
        OutFormat::Html => Format::Html,
    };
    let lang = match args.lang {
        OutLang::En => Lang::En,
        OutLang::Nl => Lang::Nl,
    };
    let mut out: Box<dyn Write> = match output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            output.is_none()
                && matches!(format, Format::Text)
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    ghostguard_report::render(analysis, meta, format, lang, color, &mut out)
        .context("cannot write the report")?;
    out.flush().context("cannot write the report")
}

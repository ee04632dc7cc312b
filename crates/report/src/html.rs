//! The HTML report: one self-contained page (inline CSS and SVG, no
//! scripts, no external fetches) that reads on a phone. Rendered with an
//! askama template, which HTML-escapes every value; no value is marked safe.
//! Control and bidi characters from the network are replaced as in the
//! terminal (the template itself has none but line breaks).

use std::io::{self, Write};

use askama::Template;
use ghostguard_engine::Analysis;

use crate::chart::{self, Chart};
use crate::sanitize::strip_controls;
use crate::view::{Tone, View};
use crate::{Lang, ReportMeta};

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    v: &'a View,
    chart: Option<Chart>,
    tone: &'static str,
}

pub(crate) fn render(
    a: &Analysis,
    meta: &ReportMeta,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    let v = View::build(a, meta, lang);
    let tone = match v.tone {
        Tone::Ghost => "ghost",
        Tone::Abuse => "abuse",
        Tone::Clean => "clean",
    };
    let page = Page {
        v: &v,
        chart: chart::build(a, lang),
        tone,
    };
    let html = page.render().map_err(io::Error::other)?;
    out.write_all(strip_controls(&html).as_bytes())
}

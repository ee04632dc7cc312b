//! The terminal report, for a helpdesk reader: verdict first, then the ghost
//! calls, the abusive sources, the likely causes and the numbered steps.
//!
//! Every string is sanitised for the terminal on its way out; colour
//! (owo-colors) is added afterwards, and only when asked for.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table};
use owo_colors::{OwoColorize, Style};

use crate::sanitize::sanitize_terminal;
use crate::view::{Tone, View};

/// Lines are wrapped at this width (a terminal wraps longer ones badly).
const WIDTH: usize = 96;

/// A comfy-table preset: no borders, one rule under the header.
const HEADER_RULE_ONLY: &str = "     ──            ";

struct Out<'a> {
    w: &'a mut dyn Write,
    color: bool,
}

impl Out<'_> {
    fn paint(&self, s: &str, style: Style) -> String {
        let clean = sanitize_terminal(s);
        if self.color {
            clean.style(style).to_string()
        } else {
            clean
        }
    }

    fn line(&mut self, s: &str) -> io::Result<()> {
        writeln!(self.w, "{}", sanitize_terminal(s))
    }

    fn styled(&mut self, s: &str, style: Style) -> io::Result<()> {
        let p = self.paint(s, style);
        writeln!(self.w, "{p}")
    }

    fn heading(&mut self, s: &str) -> io::Result<()> {
        writeln!(self.w)?;
        self.styled(s, Style::new().bold())?;
        let rule = "─".repeat(s.chars().count());
        self.styled(&rule, Style::new().dimmed())
    }

    /// `first` before the first line, then `indent` before each wrapped one.
    fn wrapped(&mut self, first: &str, indent: usize, s: &str) -> io::Result<()> {
        let mut lead = first.to_string();
        for l in wrap(&sanitize_terminal(s), WIDTH.saturating_sub(indent)) {
            writeln!(self.w, "{lead}{l}")?;
            lead = " ".repeat(indent);
        }
        Ok(())
    }

    /// `Label: value`, left out when the value is empty.
    fn field(&mut self, label: &str, value: &str) -> io::Result<()> {
        if value.is_empty() {
            return Ok(());
        }
        let head = format!("   {}: ", sanitize_terminal(label));
        let indent = head.chars().count();
        self.wrapped(&head, indent, value)
    }
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

pub(crate) fn render(v: &View, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let mut o = Out { w, color };
    o.styled(
        &format!("{} (ghostguard {})", v.title, v.version),
        Style::new().bold(),
    )?;
    for l in v
        .inputs
        .iter()
        .chain([&v.decode, &v.span])
        .filter(|l| !l.is_empty())
    {
        o.wrapped("", 0, l)?;
    }
    writeln!(o.w)?;
    let tone = match v.tone {
        Tone::Ghost => Style::new().bold().red(),
        Tone::Abuse => Style::new().bold().yellow(),
        Tone::Clean => Style::new().bold().green(),
    };
    let verdict = o.paint(&format!("{}.", v.verdict), tone);
    writeln!(o.w, "{verdict}")?;
    if !v.top_cause.is_empty() {
        o.wrapped("", 0, &v.top_cause)?;
    }

    ghost_calls(&mut o, v)?;
    sources(&mut o, v)?;

    o.heading(&v.t(&v.causes_heading))?;
    if v.causes.is_empty() {
        o.line(&v.t("no-causes"))?;
    }
    for (i, c) in v.causes.iter().enumerate() {
        let style = match c.verdict {
            "found" => Style::new().bold(),
            _ => Style::new(),
        };
        let title = o.paint(&format!("{}. {}", i + 1, c.title), style);
        writeln!(o.w, "{title}")?;
        if !c.reason.is_empty() {
            o.field(&v.t("label-why"), &c.reason)?;
        }
        for e in &c.evidence {
            o.wrapped("   - ", 5, e)?;
        }
    }

    o.heading(&v.t("heading-steps"))?;
    if v.steps.is_empty() {
        o.line(&v.t("no-steps"))?;
    }
    let digits = v.steps.len().to_string().len();
    for (i, s) in v.steps.iter().enumerate() {
        let num = format!("{:>digits$}. ", i + 1);
        let lead = o.paint(&num, Style::new().bold().cyan());
        o.wrapped(&lead, num.chars().count(), &s.text)?;
    }

    if !v.other.is_empty() || !v.trusted.is_empty() {
        writeln!(o.w)?;
        for l in std::iter::once(&v.other)
            .chain(&v.trusted)
            .filter(|l| !l.is_empty())
        {
            o.wrapped("", 0, l)?;
        }
    }
    for l in [&v.bounds, &v.generated_by]
        .into_iter()
        .filter(|l| !l.is_empty())
    {
        writeln!(o.w)?;
        o.styled(l, Style::new().dimmed())?;
    }
    Ok(())
}

fn ghost_calls(o: &mut Out<'_>, v: &View) -> io::Result<()> {
    o.heading(&v.t("heading-ghost-calls"))?;
    if v.phones.is_empty() {
        return o.line(&v.t("no-ghost-calls"));
    }
    let header = [
        "col-time",
        "col-caller",
        "col-called",
        "col-source",
        "col-where",
        "col-result",
    ]
    .map(|id| v.t(id));
    for p in &v.phones {
        o.styled(&p.title, Style::new().bold())?;
        let mut t = Table::new();
        t.load_preset(HEADER_RULE_ONLY)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header.iter().map(|h| sanitize_terminal(h)));
        for c in p.calls.iter().take(MAX_CALL_ROWS) {
            t.add_row(
                [
                    &c.time, &c.caller, &c.called, &c.source, &c.place, &c.result,
                ]
                .map(|s| sanitize_terminal(s)),
            );
        }
        for row in t.lines() {
            writeln!(o.w, "  {}", row.trim_end())?;
        }
        if p.calls.len() > MAX_CALL_ROWS {
            let more = (p.calls.len() - MAX_CALL_ROWS).to_string();
            o.line(&format!(
                "   {}",
                v.t_args("more-calls", &[("count", more)])
            ))?;
        }
    }
    Ok(())
}

/// Calls listed per phone in the terminal; the JSON and HTML list them all.
const MAX_CALL_ROWS: usize = 15;

fn sources(o: &mut Out<'_>, v: &View) -> io::Result<()> {
    o.heading(&v.t("heading-sources"))?;
    if v.sources.is_empty() {
        return o.line(&v.t("no-sources"));
    }
    for (i, s) in v.sources.iter().enumerate() {
        let head = format!(
            "{}. {}  ({}) — {} {}",
            i + 1,
            s.address,
            s.place,
            v.t("label-confidence"),
            s.confidence
        );
        o.styled(&head, Style::new().bold())?;
        o.field(&v.t("label-device"), &s.device)?;
        o.field(&v.t("label-kinds"), &s.kinds)?;
        o.field(&v.t("label-tools"), &s.tools)?;
        o.field(
            &v.t("label-evidence"),
            s.evidence.first().map_or("", String::as_str),
        )?;
        let indent = v.t("label-evidence").chars().count() + 5;
        for e in s.evidence.iter().skip(1) {
            o.wrapped(&" ".repeat(indent), indent, e)?;
        }
        o.field(&v.t("label-messages"), &s.messages)?;
        o.field(&v.t("label-seen"), &s.seen)?;
        o.field(&v.t("label-user-agents"), &s.user_agents)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("abcdefgh x", 4), ["abcdefgh", "x"]);
    }
}

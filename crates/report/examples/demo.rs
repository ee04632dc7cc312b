//! Renders one of the test situations, to look at a report without a capture:
//! `cargo run -p ghostguard-report --example demo -- svmap html nl > r.html`
//! (situations: nothing, svmap, infected, alg, hostile; formats: text, json,
//! html; languages: en, nl).

#[path = "../tests/common/mod.rs"]
mod common;

use std::error::Error;
use std::io::IsTerminal;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).map_or(default, String::as_str).to_string();
    let a = match arg(0, "svmap").as_str() {
        "nothing" => common::nothing_found(),
        "infected" => common::infected_host(),
        "alg" => common::alg_rewrite(),
        "hostile" => common::hostile(),
        _ => common::svmap_port_forward(),
    };
    let format = arg(1, "text").parse()?;
    let lang = arg(2, "en").parse()?;
    let color = std::io::stdout().is_terminal();
    ghostguard_report::render(
        &a,
        &common::meta(),
        format,
        lang,
        color,
        &mut std::io::stdout().lock(),
    )?;
    Ok(())
}

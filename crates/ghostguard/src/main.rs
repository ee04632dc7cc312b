//! `ghostguard`: the command line. Parses arguments, runs, maps the outcome
//! to an exit code (0 nothing abusive, 1 abuse found, 2 error).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod analyze;
mod cli;
mod parallel;
mod resolve;
mod serve_cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Analyze(args) => analyze::run(&args),
        cli::Command::Serve(args) => serve_cli::run(&args),
        cli::Command::Feed(args) => serve_cli::run_feed(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ghostguard: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! `ghostguard`: the command line. Parses arguments, runs, maps the outcome
//! to an exit code (0 nothing abusive, 1 abuse found, 2 error).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod analyze;
mod cli;
mod diagnose;
mod guard;
mod guard_cli;
mod live;
mod nat_binding;
mod ops;
mod output;
mod parallel;
mod reflector;
mod resolve;
mod serve_cli;
mod token;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Analyze(args) => analyze::run(&args),
        cli::Command::Serve(args) => serve_cli::run(&args),
        cli::Command::Feed(args) => serve_cli::run_feed(&args),
        cli::Command::Guard(args) => guard::run(&args),
        cli::Command::Config(args) => ops::config(&args),
        cli::Command::Bans(args) => ops::bans(&args),
        cli::Command::Incidents(args) => ops::incidents(&args),
        cli::Command::Calls(args) => ops::calls(&args),
        cli::Command::Status(args) => ops::status(&args),
        cli::Command::Diagnose(args) => diagnose::run(&args),
        cli::Command::Reflector(args) => reflector::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ghostguard: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

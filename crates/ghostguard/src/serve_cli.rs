//! `ghostguard serve` (the dashboard) and `ghostguard feed` (blocklists):
//! argument types and wiring to `ghostguard-web`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ghostguard_store::{Store, StoreOptions};
use ghostguard_web::config::Apply;
use ghostguard_web::{ServeConfig, SharedFirewall, auth, import, sample};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The serve configuration (TOML; see docs/dashboard.md).
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "/etc/ghostguard/serve.toml"
    )]
    pub config: PathBuf,
    /// Use this store instead of the config's `store.url`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Listen here instead of the config's `bind`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Read a password on standard input, print its Argon2id hash for
    /// `[[users]] password_hash`.
    HashPassword,
    /// Print a new random API token and the `[[tokens]]` entry for it.
    NewToken {
        /// The token's name (recorded as `token:NAME` on ban changes).
        #[arg(default_value = "api")]
        name: String,
    },
    /// Check the configuration and exit.
    Check,
    /// Write a sample store (two sites, a week of attacks) to PATH.
    SampleStore {
        /// SQLite file to create (must not exist).
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct FeedArgs {
    #[command(subcommand)]
    pub command: FeedCommand,
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Import a blocklist (another guard's feed, APIBAN JSON, a plain list)
    /// into the store's bans of a site.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// `https://…`, `http://…` or a file.
    pub source: String,
    /// The store (`sqlite://…`, `postgres://…`).
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// Whose ban set receives the addresses.
    #[arg(long, default_value = "default")]
    pub site: String,
    /// How long the addresses stay banned (renewed by each import).
    #[arg(long, default_value = "1day", value_parser = crate::guard_cli::ban_time)]
    pub ban_time: Duration,
    /// Also accept private and unique-local addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// Also apply the bans to this host's nftables table now.
    #[arg(long, value_enum, default_value = "none")]
    pub apply: ApplyArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ApplyArg {
    None,
    Nft,
    DryRun,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn firewall(apply: Apply) -> Option<SharedFirewall> {
    match apply {
        Apply::None => None,
        Apply::Nft => Some(Arc::new(Mutex::new(ghostguard_firewall::Nft::new()))),
        // The guard owns the table: print only the changes to it.
        Apply::DryRun => Some(Arc::new(Mutex::new(
            ghostguard_firewall::DryRun::printing_changes(std::io::stderr()),
        ))),
    }
}

/// Runs `ghostguard serve …`.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(ServeCommand::HashPassword) => {
            if std::io::stdin().is_terminal() {
                eprintln!("password (it is shown as you type; pipe it in to avoid that):");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password")?;
            let pw = line.trim_end_matches(['\r', '\n']);
            if pw.is_empty() {
                bail!("empty password");
            }
            println!("{}", auth::hash_password(pw).map_err(anyhow::Error::msg)?);
            return Ok(ExitCode::SUCCESS);
        }
        Some(ServeCommand::NewToken { name }) => {
            let token = auth::random_token();
            println!("token: {token}");
            println!(
                "\n[[tokens]]\nname = \"{name}\"\nsha256 = \"{}\"",
                auth::sha256_hex(&token)
            );
            return Ok(ExitCode::SUCCESS);
        }
        Some(ServeCommand::SampleStore { path }) => {
            if path.exists() {
                bail!("{} exists; give a new file", path.display());
            }
            let url = format!("sqlite://{}", path.display());
            runtime()?.block_on(async {
                let store = Store::open(&url, &StoreOptions::default()).await?;
                sample::fill(&store, ghostguard_web::clock::now_ms()).await?;
                store.close().await;
                Ok::<_, ghostguard_store::StoreError>(())
            })?;
            println!("wrote {}", path.display());
            return Ok(ExitCode::SUCCESS);
        }
        Some(ServeCommand::Check) | None => {}
    }
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let mut cfg =
        ServeConfig::parse(&text).with_context(|| format!("{}", args.config.display()))?;
    if let Some(url) = &args.store {
        cfg.store.url.clone_from(url);
    }
    if let Some(bind) = args.bind {
        cfg.bind = bind;
    }
    cfg.validate()?;
    if matches!(args.command, Some(ServeCommand::Check)) {
        println!("{}: ok", args.config.display());
        return Ok(ExitCode::SUCCESS);
    }
    let fw = firewall(cfg.bans.apply);
    runtime()?.block_on(ghostguard_web::run(cfg, fw))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `ghostguard feed …`.
pub fn run_feed(args: &FeedArgs) -> anyhow::Result<ExitCode> {
    let FeedCommand::Import(a) = &args.command;
    let fw = firewall(match a.apply {
        ApplyArg::None => Apply::None,
        ApplyArg::Nft => Apply::Nft,
        ApplyArg::DryRun => Apply::DryRun,
    });
    let report = runtime()?.block_on(async {
        let store = Store::open(&a.store, &StoreOptions::default()).await?;
        let text = import::fetch(&a.source).await?;
        let opts = import::ImportOptions {
            site: a.site.clone(),
            ban_time: a.ban_time,
            allow_private: a.allow_private,
        };
        let r = import::import(&store, fw.as_ref(), &a.source, &text, &opts).await;
        store.close().await;
        r.map_err(anyhow::Error::from)
    })?;
    println!(
        "{}: {} bans ({} of them IPv6 networks) for {} on site {} ({} new, {} renewed); {} refused, {} invalid, {} networks skipped{}",
        report.source,
        report.accepted,
        report.prefixes,
        humantime::format_duration(a.ban_time),
        a.site,
        report.new,
        report.renewed,
        report.refused,
        report.invalid,
        report.networks,
        match (report.applied, a.apply) {
            (true, ApplyArg::DryRun) => "; the firewall changes are printed above (dry run)",
            (true, _) => "; applied to the firewall",
            (false, _) => "",
        }
    );
    if let Some(e) = &report.firewall_error {
        eprintln!(
            "ghostguard: the firewall refused part of the list (the store has all of it): {e}"
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

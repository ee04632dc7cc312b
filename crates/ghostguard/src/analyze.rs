//! `ghostguard analyze`: capture files -> decoder -> SIP parser -> engine -> report.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ghostguard_capture::CaptureReader;
use ghostguard_engine::{Engine, EngineConfig, Observation, Role, Rules};
use ghostguard_packet::{Datagram, Decoder, Limits};
use ghostguard_report::{InputSummary, ReportMeta};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::AnalyzeArgs;
use crate::resolve::{parse_net, resolve_trusted};

/// Builds the engine config from `--config` and the flags; fails before any
/// file is read.
pub fn engine_config(args: &AnalyzeArgs) -> Result<EngineConfig> {
    let mut cfg = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            toml::from_str::<EngineConfig>(&text)
                .with_context(|| format!("config {} is invalid", p.display()))?
        }
        None => EngineConfig::default(),
    };
    for w in &args.trusted {
        cfg.trusted.extend(resolve_trusted(w)?);
    }
    for w in &args.lan {
        cfg.lan.push(parse_net(w, "LAN prefix")?);
    }
    for w in &args.allow {
        cfg.allowlist.push(parse_net(w, "allowlist prefix")?);
    }
    for w in &args.phone {
        let ip = w
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("`{w}` is not a phone address"))?;
        cfg.phones.push(ip);
    }
    cfg.validate().context("invalid engine settings")?;
    Ok(cfg)
}

fn load_rules(path: Option<&Path>) -> Result<Rules> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read rules {}", p.display()))?;
            Rules::parse(&text).with_context(|| format!("rules file {} is invalid", p.display()))
        }
        None => Ok(Rules::default_rules()?),
    }
}

fn progress(args: &AnalyzeArgs, total: Option<u64>, name: &str) -> Option<ProgressBar> {
    if args.no_progress || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new(total.unwrap_or(0));
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_message(name.to_string());
    Some(pb)
}

/// Feeds one decoded datagram to an engine (for the part of the work
/// `role` names) and drains its actions.
pub(crate) fn observe(engine: &mut Engine, d: &Datagram<'_>, role: Role) {
    let parsed = ghostguard_sip::parse(d.payload);
    let obs = Observation {
        datagram: d,
        message: parsed.as_ref(),
    };
    engine.handle_as(obs, role);
    while engine.poll_action().is_some() {}
}

/// Reads one capture, handing each decoded datagram to `sink`. Returns its
/// summary; a read error is recorded in the summary (everything before it
/// has gone to the sink).
fn feed(
    path: &Path,
    args: &AnalyzeArgs,
    decoder: &mut Decoder,
    sink: &mut dyn FnMut(&Datagram<'_>),
) -> InputSummary {
    let shown = path.display().to_string();
    let mut summary = InputSummary {
        path: shown.clone(),
        format: String::new(),
        frames: 0,
        bytes: 0,
        error: None,
    };
    let mut reader = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            summary.error = Some(e.to_string());
            return summary;
        }
    };
    summary.format = match reader.format() {
        ghostguard_capture::Format::Pcap { nanos: true, .. } => "pcap (ns)".to_string(),
        ghostguard_capture::Format::Pcap { .. } => "pcap".to_string(),
        ghostguard_capture::Format::PcapNg => "pcapng".to_string(),
    };
    if reader.is_gzip() {
        summary.format.push_str(", gzip");
    }
    let pb = progress(args, reader.total_len(), &shown);
    let mut frames = 0u64;
    let result = {
        let mut on_frame = |frame: &ghostguard_packet::Frame<'_>| {
            frames += 1;
            let _ = decoder.decode(frame, &mut *sink);
        };
        match &pb {
            Some(pb) => {
                // The reader publishes its byte position; tick the bar from it.
                let position = reader.progress();
                let pb = pb.clone();
                let mut n = 0u32;
                let mut with_bar = |frame: &ghostguard_packet::Frame<'_>| {
                    on_frame(frame);
                    n = n.wrapping_add(1);
                    if n % 8192 == 0 {
                        pb.set_position(position.position());
                    }
                };
                reader.for_each_frame(&mut with_bar)
            }
            None => reader.for_each_frame(&mut on_frame),
        }
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    summary.frames = frames;
    summary.bytes = reader.position();
    match result {
        Ok(_) => {}
        Err(e) => summary.error = Some(e.to_string()),
    }
    summary
}

/// Reads every capture in turn into `sink`; says on stderr which failed.
fn read_all(
    args: &AnalyzeArgs,
    decoder: &mut Decoder,
    sink: &mut dyn FnMut(&Datagram<'_>),
) -> Vec<InputSummary> {
    let mut inputs = Vec::new();
    for path in &args.files {
        let s = feed(path, args, decoder, sink);
        if let Some(e) = &s.error {
            if s.frames > 0 {
                eprintln!(
                    "ghostguard: {}: {e} (the report covers the {} frames before it)",
                    s.path, s.frames
                );
            } else {
                eprintln!("ghostguard: {}: {e}", s.path);
            }
        }
        inputs.push(s);
    }
    // End of input: deliver what TCP reassembly still holds (messages behind
    // a gap that never filled, a last message without its FIN).
    decoder.flush(sink);
    inputs
}

fn decode_counters(s: &ghostguard_packet::DecodeStats) -> Vec<(String, u64)> {
    s.counters()
        .into_iter()
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let cfg = engine_config(args)?;
    let rules = load_rules(args.rules.as_deref())?;
    let threads = args.engine_threads();
    let mut decoder = Decoder::new(Limits::default());
    let (engine, inputs) = if threads <= 1 {
        let mut engine = Engine::new(cfg, rules).context("invalid engine settings")?;
        let inputs = read_all(args, &mut decoder, &mut |d| {
            observe(&mut engine, d, Role::Whole)
        });
        (engine, inputs)
    } else {
        crate::parallel::analyze(threads, &cfg, &rules, |sink| {
            read_all(args, &mut decoder, sink)
        })?
    };
    let failed = inputs.iter().any(|i| i.error.is_some());
    if inputs.iter().all(|i| i.error.is_some() && i.frames == 0) {
        // Nothing at all was read: a report would only say "nothing found".
        anyhow::bail!("no capture could be read");
    }
    let analysis = engine.finish();
    let meta = ReportMeta {
        kind: ghostguard_report::ReportKind::Analyze,
        version: env!("CARGO_PKG_VERSION"),
        inputs,
        decode: decode_counters(decoder.stats()),
        generated_by: format!("ghostguard {}", env!("CARGO_PKG_VERSION")),
    };
    crate::output::write_report(&analysis, &meta, &args.report)?;
    Ok(if failed {
        ExitCode::from(2)
    } else if analysis.abuse_found() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

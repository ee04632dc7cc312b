//! `GET /metrics`: OpenMetrics text (what `prometheus-client` writes:
//! counters typed by their family name, samples with `_total`, `# EOF`),
//! built from the store at each scrape.
//!
//! | metric | type | labels | from |
//! |---|---|---|---|
//! | `ghostguard_messages_total` | counter | site, method, verdict | guard heartbeat |
//! | `ghostguard_incidents` | gauge | site, kind | incidents in the store |
//! | `ghostguard_incident_occurrences` | gauge | site, kind | sum of their counts |
//! | `ghostguard_bans_active` | gauge | site, origin | bans in force |
//! | `ghostguard_ghost_calls` | gauge | site | ghost calls in the store |
//! | `ghostguard_ghost_calls_answered` | gauge | site | of which answered |
//! | `ghostguard_guard_up` | gauge | site | heartbeat younger than 3 minutes |
//! | `ghostguard_guard_heartbeat_age_seconds` | gauge | site | |
//! | `ghostguard_engine_*_total`, `ghostguard_engine_sources_tracked` | counter/gauge | site | guard heartbeat |
//! | `ghostguard_guard_stat` | gauge | site, name | every number of the heartbeat |
//! | `ghostguard_store_up`, `ghostguard_store_query_seconds`, `ghostguard_store_schema_version` | gauge | backend | this scrape |
//! | `ghostguard_alerts_{sent,failed,held,dropped}_total` | counter | | serve's alerts |
//! | `ghostguard_feed_import_*` | gauge | source | scheduled imports |
//!
//! Counts are gauges: pruning the store makes them fall. Guard counters
//! are counters: they restart at zero with the guard.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ghostguard_store::{GuardStats, Store};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::clock::now_ms;
use crate::state::AppState;

type Labels = Vec<(String, String)>;
type GaugeFamily = Family<Labels, Gauge>;
type FloatFamily = Family<Labels, Gauge<f64, AtomicU64>>;
type CounterFamily = Family<Labels, Counter>;

/// The OpenMetrics content type: the body is OpenMetrics, and Prometheus
/// reads it as such only when told (as `text/plain; version=0.0.4` it took
/// every counter for untyped, its `# TYPE` naming the family without
/// `_total`).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Label pairs, values escaped as the exposition format requires (`\\`,
/// `\"`, `\n`): `prometheus-client` writes label values as given, and a
/// site name or list source holding a quote would break the whole scrape.
fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), escape_label(v)))
        .collect()
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

struct Families {
    messages: CounterFamily,
    incidents: GaugeFamily,
    occurrences: GaugeFamily,
    bans: GaugeFamily,
    calls: GaugeFamily,
    answered: GaugeFamily,
    guard_up: GaugeFamily,
    guard_age: FloatFamily,
    store_up: GaugeFamily,
    store_secs: FloatFamily,
    schema: GaugeFamily,
    stat: FloatFamily,
}

impl Families {
    fn register(reg: &mut Registry) -> Families {
        let f = Families {
            messages: CounterFamily::default(),
            incidents: GaugeFamily::default(),
            occurrences: GaugeFamily::default(),
            bans: GaugeFamily::default(),
            calls: GaugeFamily::default(),
            answered: GaugeFamily::default(),
            guard_up: GaugeFamily::default(),
            guard_age: FloatFamily::default(),
            store_up: GaugeFamily::default(),
            store_secs: FloatFamily::default(),
            schema: GaugeFamily::default(),
            stat: FloatFamily::default(),
        };
        reg.register(
            "messages",
            "SIP messages the guard saw, by method and verdict",
            f.messages.clone(),
        );
        reg.register(
            "incidents",
            "Incidents in the store, by kind",
            f.incidents.clone(),
        );
        reg.register(
            "incident_occurrences",
            "Occurrences of the stored incidents, by kind",
            f.occurrences.clone(),
        );
        reg.register("bans_active", "Bans in force, by origin", f.bans.clone());
        reg.register("ghost_calls", "Ghost calls in the store", f.calls.clone());
        reg.register(
            "ghost_calls_answered",
            "Stored ghost calls that were answered",
            f.answered.clone(),
        );
        reg.register(
            "guard_up",
            "1 when the site's guard wrote a heartbeat in the last 3 minutes",
            f.guard_up.clone(),
        );
        reg.register(
            "guard_heartbeat_age_seconds",
            "Age of the site's last guard heartbeat",
            f.guard_age.clone(),
        );
        reg.register(
            "store_up",
            "1 when the store answered this scrape",
            f.store_up.clone(),
        );
        reg.register(
            "store_query_seconds",
            "Time the store took to answer this scrape",
            f.store_secs.clone(),
        );
        reg.register(
            "store_schema_version",
            "The store's schema version",
            f.schema.clone(),
        );
        reg.register(
            "guard_stat",
            "Every number of the guard's last heartbeat, by name",
            f.stat.clone(),
        );
        f
    }
}

/// The engine counters of a heartbeat, by metric name.
fn engine_metrics(reg: &mut Registry, beats: &[(String, GuardStats)]) {
    type Pick = fn(&ghostguard_store::EngineStats) -> u64;
    let counters: [(&str, &str, Pick); 6] = [
        ("engine_packets", "Packets the guard read", |e| e.packets),
        (
            "engine_backlog_dropped",
            "Packets dropped at the engine's full backlog",
            |e| e.backlog_dropped,
        ),
        (
            "engine_decode_errors",
            "Packets that did not decode as SIP",
            |e| e.decode_errors,
        ),
        (
            "engine_sources_evicted",
            "Per-source state evicted at the bound",
            |e| e.sources_evicted,
        ),
        (
            "engine_store_errors",
            "Store writes the guard could not make",
            |e| e.store_errors,
        ),
        (
            "engine_firewall_errors",
            "Firewall batches that failed",
            |e| e.firewall_errors,
        ),
    ];
    for (name, help, pick) in counters {
        let fam = CounterFamily::default();
        for (site, s) in beats {
            fam.get_or_create(&labels(&[("site", site)]))
                .inc_by(pick(&s.engine));
        }
        reg.register(name, help, fam);
    }
    let tracked = GaugeFamily::default();
    for (site, s) in beats {
        tracked
            .get_or_create(&labels(&[("site", site)]))
            .set(i(s.engine.sources_tracked));
    }
    reg.register(
        "engine_sources_tracked",
        "Sources the detectors hold state for",
        tracked,
    );
}

async fn fill(
    store: &Store,
    f: &Families,
    reg: &mut Registry,
) -> Result<(), ghostguard_store::StoreError> {
    let now = now_ms();
    let health = store.health().await?;
    let backend = serde_json::to_value(health.backend)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    f.schema
        .get_or_create(&labels(&[("backend", &backend)]))
        .set(health.schema_version);
    for c in store.incident_counts().await? {
        let l = labels(&[("site", &c.site), ("kind", &c.label)]);
        f.incidents.get_or_create(&l).set(i(c.count));
        f.occurrences.get_or_create(&l).set(i(c.occurrences));
    }
    for c in store.active_ban_counts(now).await? {
        f.bans
            .get_or_create(&labels(&[("site", &c.site), ("origin", &c.label)]))
            .set(i(c.count));
    }
    for c in store.ghost_call_counts().await? {
        let l = labels(&[("site", &c.site)]);
        f.calls.get_or_create(&l).set(i(c.count));
        f.answered.get_or_create(&l).set(i(c.occurrences));
    }
    let mut beats = Vec::new();
    for hb in store.heartbeats().await? {
        let l = labels(&[("site", &hb.site)]);
        let age = (now - hb.last_seen).max(0);
        f.guard_up.get_or_create(&l).set(i64::from(age < 180_000));
        f.guard_age.get_or_create(&l).set(age as f64 / 1000.0);
        let stats = GuardStats::parse(&hb.stats);
        for (name, v) in flat_numbers(&hb.stats) {
            f.stat
                .get_or_create(&labels(&[("site", &hb.site), ("name", &name)]))
                .set(v);
        }
        for m in &stats.messages {
            f.messages
                .get_or_create(&labels(&[
                    ("site", &hb.site),
                    ("method", &m.method),
                    ("verdict", &m.verdict),
                ]))
                .inc_by(m.count);
        }
        beats.push((hb.site, stats));
    }
    engine_metrics(reg, &beats);
    Ok(())
}

/// DoS: most heartbeat numbers exported per site.
const MAX_STATS: usize = 64;

/// The top-level numbers of a heartbeat's stats, names cut to label-safe
/// text.
fn flat_numbers(json: &str) -> Vec<(String, f64)> {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| v.as_f64().map(|n| (k, n)))
        .filter(|(k, _)| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .take(MAX_STATS)
        .map(|(k, n)| (k.clone(), n))
        .collect()
}

fn serve_metrics(st: &AppState, reg: &mut Registry) {
    if let Some(s) = st.alert_stats() {
        for (name, help, v) in [
            (
                "alerts_sent",
                "Alerts delivered (webhook or syslog)",
                &s.sent,
            ),
            (
                "alerts_failed",
                "Alerts that failed after their retries",
                &s.failed,
            ),
            (
                "alerts_held",
                "Alerts held back by grouping or the hourly cap",
                &s.held,
            ),
            (
                "alerts_dropped",
                "Webhook deliveries dropped (too many in flight)",
                &s.dropped,
            ),
        ] {
            let c: Counter = Counter::default();
            c.inc_by(v.load(Ordering::Relaxed));
            reg.register(name, help, c);
        }
    }
    let imports = st.imports();
    if !imports.is_empty() {
        let ok = GaugeFamily::default();
        let n = GaugeFamily::default();
        let at = GaugeFamily::default();
        for s in &imports {
            let l = labels(&[("source", &s.source)]);
            ok.get_or_create(&l).set(i64::from(s.error.is_none()));
            n.get_or_create(&l).set(i(s.accepted));
            at.get_or_create(&l).set(s.at / 1000);
        }
        reg.register(
            "feed_import_ok",
            "1 when the last scheduled import of the list worked",
            ok,
        );
        reg.register(
            "feed_import_addresses",
            "Addresses the last import of the list banned",
            n,
        );
        reg.register(
            "feed_import_time_seconds",
            "Unix time of the last import of the list",
            at,
        );
    }
}

/// `GET /metrics`.
pub async fn scrape(State(st): State<AppState>) -> Response {
    let mut reg = Registry::with_prefix("ghostguard");
    let f = Families::register(&mut reg);
    let started = Instant::now();
    let up = match fill(st.store(), &f, &mut reg).await {
        Ok(()) => 1,
        Err(e) => {
            eprintln!("ghostguard serve: metrics: {e}");
            0
        }
    };
    f.store_up.get_or_create(&Vec::new()).set(up);
    f.store_secs
        .get_or_create(&Vec::new())
        .set(started.elapsed().as_secs_f64());
    serve_metrics(&st, &mut reg);
    let mut out = String::new();
    if encode(&mut out, &reg).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out).into_response()
}

//! One source address (everything it did, and when) and the sites.

use askama::Template;
use axum::extract::{Path, Query, State};
use ghostguard_store::SourceSummary;
use serde::Deserialize;

use super::{BanRow, PageResult, ban_rows, page_err, render};
use crate::access::PageCtx;
use crate::clock::format_ms;
use crate::state::AppState;
use crate::view::{self, SiteView, parse_ip};

struct Event {
    time: String,
    event: String,
    site: String,
    detail: String,
}

struct Incident {
    id: i64,
    kind: String,
    code: String,
    confidence: u8,
    count: u64,
    last: String,
    site: String,
}

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    ip: String,
    summary: Option<SourceSummary>,
    first: String,
    last: String,
    kinds: String,
    banned_site: Option<String>,
    default_site: String,
    events: Vec<Event>,
    incidents: Vec<Incident>,
    bans: Vec<BanRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SiteQuery {
    site: Option<String>,
}

/// `GET /sources/{ip}`.
pub(crate) async fn source(
    State(st): State<AppState>,
    p: PageCtx,
    Path(ip): Path<String>,
    Query(q): Query<SiteQuery>,
) -> PageResult {
    let ip = parse_ip(&ip).map_err(page_err)?;
    let site = q.site.filter(|s| !s.is_empty());
    let v = view::source(st.store(), site.as_deref(), ip)
        .await
        .map_err(page_err)?;
    let now = crate::clock::now_ms();
    let banned_site = v
        .bans
        .iter()
        .find(|b| b.is_active(now))
        .map(|b| b.site.clone());
    let page = SourcePage {
        title: ip.to_string(),
        nav: "",
        ip: ip.to_string(),
        first: v
            .summary
            .as_ref()
            .map(|s| format_ms(s.first_seen))
            .unwrap_or_default(),
        last: v
            .summary
            .as_ref()
            .map(|s| format_ms(s.last_seen))
            .unwrap_or_default(),
        kinds: v
            .summary
            .as_ref()
            .map(|s| {
                s.kinds
                    .iter()
                    .map(|k| p.tr.kind(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        banned_site,
        default_site: site.unwrap_or_else(|| st.config().bans.site.clone()),
        events: v
            .timeline
            .iter()
            .map(|e| Event {
                time: format_ms(e.time),
                event: p.tr.t(&format!("event-{}", e.event)),
                site: e.site.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        incidents: v
            .incidents
            .iter()
            .map(|i| Incident {
                id: i.id,
                kind: p.tr.kind(&i.kind),
                code: i.code.clone(),
                confidence: i.confidence,
                count: i.count,
                last: format_ms(i.last_seen),
                site: i.site.clone(),
            })
            .collect(),
        bans: ban_rows(&v.bans, &p),
        summary: v.summary,
        p,
    };
    Ok(render(&page))
}

struct SiteRow {
    v: SiteView,
    last: String,
    version: String,
}

#[derive(Template)]
#[template(path = "sites.html")]
struct SitesPage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    rows: Vec<SiteRow>,
}

/// `GET /sites`.
pub(crate) async fn sites(State(st): State<AppState>, p: PageCtx) -> PageResult {
    let rows = view::sites(st.store())
        .await
        .map_err(page_err)?
        .into_iter()
        .map(|v| SiteRow {
            last: v
                .heartbeat
                .as_ref()
                .map(|h| format_ms(h.last_seen))
                .unwrap_or_default(),
            version: v
                .heartbeat
                .as_ref()
                .map(|h| h.version.clone())
                .unwrap_or_default(),
            v,
        })
        .collect();
    let page = SitesPage {
        title: p.tr.t("nav-sites"),
        nav: "sites",
        rows,
        p,
    };
    Ok(render(&page))
}

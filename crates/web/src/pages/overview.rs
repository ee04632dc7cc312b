//! The overview: attacks over time, top sources, ghost calls per phone,
//! current bans, and what changed since yesterday.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{BanRow, PageResult, ban_rows, page_err, render};
use crate::access::PageCtx;
use crate::clock::format_ms;
use crate::state::AppState;
use crate::view::{self, DayCounts, Overview};

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    o: Overview,
    /// Shown window's end, for the stale note.
    window_end: String,
    chart: String,
    changes: Vec<Change>,
    sources: Vec<SourceRow>,
    phones: Vec<PhoneRow>,
    bans: Vec<BanRow>,
    sites: Vec<String>,
    site: String,
}

/// One "since yesterday" figure.
struct Change {
    label: String,
    now: u64,
    before: u64,
    /// `up`, `down` or `same`, for the arrow's colour.
    trend: &'static str,
}

struct SourceRow {
    ip: String,
    occurrences: u64,
    incidents: u64,
    confidence: u8,
    last: String,
}

struct PhoneRow {
    phone: String,
    calls: u64,
    answered: u64,
    sources: u64,
    last: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SiteQuery {
    site: Option<String>,
}

fn changes(p: &PageCtx, now: DayCounts, before: DayCounts) -> Vec<Change> {
    let one = |id: &str, a: u64, b: u64| Change {
        label: p.tr.t(id),
        now: a,
        before: b,
        trend: match a.cmp(&b) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "same",
        },
    };
    vec![
        one("change-incidents", now.incidents, before.incidents),
        one("change-new-sources", now.new_sources, before.new_sources),
        one("change-bans", now.bans, before.bans),
        one("change-ghost-calls", now.ghost_calls, before.ghost_calls),
    ]
}

/// The chart's data for `assets/app.js`: unix seconds and three series.
fn chart_json(p: &PageCtx, o: &Overview) -> String {
    let b = &o.activity;
    serde_json::json!({
        "t": b.iter().map(|b| b.start / 1000).collect::<Vec<_>>(),
        "series": [
            {"label": p.tr.t("series-incidents"), "data": b.iter().map(|b| b.incidents).collect::<Vec<_>>()},
            {"label": p.tr.t("series-bans"), "data": b.iter().map(|b| b.bans).collect::<Vec<_>>()},
            {"label": p.tr.t("series-ghost-calls"), "data": b.iter().map(|b| b.ghost_calls).collect::<Vec<_>>()},
        ]
    })
    .to_string()
}

/// `GET /`.
pub(crate) async fn page(
    State(st): State<AppState>,
    p: PageCtx,
    Query(q): Query<SiteQuery>,
) -> PageResult {
    let site = q.site.filter(|s| !s.is_empty());
    let o = view::overview(st.store(), site.as_deref())
        .await
        .map_err(page_err)?;
    let sites = st.store().sites().await.map_err(|e| page_err(e.into()))?;
    let page = OverviewPage {
        title: p.tr.t("nav-overview"),
        nav: "overview",
        window_end: format_ms(o.window_end),
        chart: chart_json(&p, &o),
        changes: changes(&p, o.last_day, o.previous_day),
        sources: o
            .top_sources
            .iter()
            .map(|s| SourceRow {
                ip: s.source.to_string(),
                occurrences: s.occurrences,
                incidents: s.incidents,
                confidence: s.confidence,
                last: format_ms(s.last_seen),
            })
            .collect(),
        phones: o
            .phones
            .iter()
            .map(|c| PhoneRow {
                phone: c.phone.to_string(),
                calls: c.calls,
                answered: c.answered,
                sources: c.sources,
                last: format_ms(c.last),
            })
            .collect(),
        bans: ban_rows(&o.active_bans, &p),
        site: site.unwrap_or_default(),
        sites,
        o,
        p,
    };
    Ok::<Response, Response>(render(&page))
}

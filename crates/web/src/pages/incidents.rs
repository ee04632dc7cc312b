//! The incident list (filters, search, pages) and one incident with its
//! evidence and the SIP messages involved.

use askama::Template;
use axum::extract::{Path, Query, State};
use ghostguard_engine::Kind;
use ghostguard_store::Incident;

use super::{PageResult, page_err, render};
use crate::access::{PageCtx, percent_encode};
use crate::clock::format_ms;
use crate::error::WebError;
use crate::state::AppState;
use crate::view::{self, IncidentFilter};

struct IncidentRow {
    id: i64,
    site: String,
    source: String,
    kind: String,
    code: String,
    confidence: u8,
    count: u64,
    last: String,
    internal: bool,
}

impl IncidentRow {
    fn new(i: &Incident, p: &PageCtx) -> IncidentRow {
        IncidentRow {
            id: i.id,
            site: i.site.clone(),
            source: i.source.to_string(),
            kind: p.tr.kind(&i.kind),
            code: i.code.clone(),
            confidence: i.confidence,
            count: i.count,
            last: format_ms(i.last_seen),
            internal: i.internal,
        }
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    f: IncidentFilter,
    kinds: Vec<Choice>,
    sites: Vec<Choice>,
    hours: Vec<Choice>,
    rows: Vec<IncidentRow>,
    summary: String,
    prev: Option<String>,
    next: Option<String>,
}

fn choices(values: &[(String, String)], current: Option<&str>) -> Vec<Choice> {
    values
        .iter()
        .map(|(v, l)| Choice {
            value: v.clone(),
            label: l.clone(),
            selected: current == Some(v.as_str()),
        })
        .collect()
}

/// The list's URL with `offset` changed.
fn page_link(f: &IncidentFilter, offset: u64) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("site", f.site.clone()),
        ("kind", f.kind.clone()),
        ("source", f.source.clone()),
        ("q", f.q.clone()),
        ("hours", f.hours.map(|h| h.to_string())),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", percent_encode(&v)));
        }
    }
    parts.push(format!("offset={offset}"));
    format!("/incidents?{}", parts.join("&"))
}

/// `GET /incidents`.
pub(crate) async fn list(
    State(st): State<AppState>,
    p: PageCtx,
    Query(f): Query<IncidentFilter>,
) -> PageResult {
    let page = view::incidents(st.store(), &f).await.map_err(page_err)?;
    let sites = st.store().sites().await.map_err(|e| page_err(e.into()))?;
    let kinds: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), p.tr.kind(k.as_str())))
        .collect();
    let sites: Vec<(String, String)> = sites.into_iter().map(|s| (s.clone(), s)).collect();
    let hours: Vec<(String, String)> = [
        (1, "last-hour"),
        (24, "last-day"),
        (168, "last-week"),
        (720, "last-month"),
    ]
    .iter()
    .map(|(h, id)| (h.to_string(), p.tr.t(id)))
    .collect();
    let shown = page.items.len() as u64;
    let page_out = ListPage {
        title: p.tr.t("nav-incidents"),
        nav: "incidents",
        kinds: choices(&kinds, f.kind.as_deref()),
        sites: choices(&sites, f.site.as_deref()),
        hours: choices(&hours, f.hours.map(|h| h.to_string()).as_deref()),
        rows: page.items.iter().map(|i| IncidentRow::new(i, &p)).collect(),
        summary: p.tr.args(
            "incidents-total",
            &[
                ("count", page.total.to_string()),
                ("from", (page.offset + u64::from(shown > 0)).to_string()),
                ("to", (page.offset + shown).to_string()),
            ],
        ),
        prev: (page.offset > 0)
            .then(|| page_link(&f, page.offset.saturating_sub(u64::from(page.limit)))),
        next: (page.offset + shown < page.total).then(|| page_link(&f, page.offset + shown)),
        f,
        p,
    };
    Ok(render(&page_out))
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage {
    p: PageCtx,
    title: String,
    nav: &'static str,
    i: IncidentRow,
    detector: String,
    first: String,
    mac: String,
    vendor: String,
    facts: Vec<(String, String)>,
    messages: Vec<String>,
    raw: String,
}

/// The facts (`args`) and SIP messages (`messages`) of an evidence JSON,
/// whatever else it holds.
pub(crate) fn evidence_parts(json: &str) -> (Vec<(String, String)>, Vec<String>, String) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return (Vec::new(), Vec::new(), json.to_owned());
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut facts = Vec::new();
    match v.get("args") {
        Some(serde_json::Value::Object(m)) => {
            facts.extend(m.iter().map(|(k, v)| (k.clone(), text(v))));
        }
        Some(serde_json::Value::Array(a)) => {
            for pair in a {
                if let Some([k, v]) = pair.as_array().map(Vec::as_slice) {
                    facts.push((text(k), text(v)));
                }
            }
        }
        _ => {}
    }
    if facts.is_empty()
        && let Some(m) = v.as_object()
    {
        facts.extend(
            m.iter()
                .filter(|(k, v)| k.as_str() != "messages" && !v.is_object() && !v.is_array())
                .map(|(k, v)| (k.clone(), text(v))),
        );
    }
    let messages = v
        .get("messages")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().take(20).map(text).collect())
        .unwrap_or_default();
    let raw = serde_json::to_string_pretty(&v).unwrap_or_default();
    (facts, messages, raw)
}

/// `GET /incidents/{id}`.
pub(crate) async fn detail(
    State(st): State<AppState>,
    p: PageCtx,
    Path(id): Path<i64>,
) -> PageResult {
    let i = st
        .store()
        .incident(id)
        .await
        .map_err(|e| page_err(e.into()))?
        .ok_or_else(|| page_err(WebError::NotFound))?;
    let (facts, messages, raw) = evidence_parts(&i.evidence);
    let page = DetailPage {
        title: format!("{} {}", p.tr.t("incident"), i.id),
        nav: "incidents",
        detector: i.detector.clone(),
        first: format_ms(i.first_seen),
        mac: i.mac.clone().unwrap_or_default(),
        vendor: i.vendor.clone().unwrap_or_default(),
        i: IncidentRow::new(&i, &p),
        facts,
        messages,
        raw,
        p,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::evidence_parts;

    #[test]
    fn evidence_in_every_shape() {
        let (f, m, _) = evidence_parts(
            r#"{"code":"x","args":{"user_agent":"friendly-scanner"},"messages":["OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"]}"#,
        );
        assert_eq!(f, vec![("user_agent".into(), "friendly-scanner".into())]);
        assert_eq!(m.len(), 1);
        let (f, _, _) = evidence_parts(r#"{"args":[["users","40"]]}"#);
        assert_eq!(f, vec![("users".into(), "40".into())]);
        let (f, m, raw) = evidence_parts(r#"{"user_agent":"sipvicious","n":3}"#);
        assert_eq!(f.len(), 2);
        assert!(m.is_empty() && raw.contains("sipvicious"));
        let (f, _, raw) = evidence_parts("not json");
        assert!(f.is_empty() && raw == "not json");
    }
}

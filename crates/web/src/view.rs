//! What the dashboard shows, as data: built from the store once and given
//! to both the HTML pages and the JSON API, so they cannot disagree.

use std::net::IpAddr;

use ghostguard_store::{
    Ban, BanQuery, Bucket, GhostCall, GhostCallQuery, Heartbeat, Incident, IncidentQuery,
    PhoneCalls, SourceRank, SourceSummary, Store, Totals, UnixMillis,
};
use serde::{Deserialize, Serialize};

use crate::clock::{DAY, HOUR, now_ms};
use crate::error::WebError;

/// Counts over one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayCounts {
    pub incidents: u64,
    pub bans: u64,
    pub ghost_calls: u64,
    pub new_sources: u64,
}

/// The overview page.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub site: Option<String>,
    pub now: UnixMillis,
    /// The end of the shown window: now, or the last activity when the
    /// store saw nothing in the last week (an old store, the sample).
    pub window_end: UnixMillis,
    pub stale: bool,
    pub totals: Totals,
    /// The 24 hours up to `window_end`, and the 24 before.
    pub last_day: DayCounts,
    pub previous_day: DayCounts,
    pub top_sources: Vec<SourceRank>,
    pub phones: Vec<PhoneCalls>,
    pub active_bans: Vec<Ban>,
    /// Hourly buckets over the week up to `window_end`.
    pub activity: Vec<Bucket>,
}

/// Builds the overview of `site` (or every site).
///
/// # Errors
/// Store errors.
pub async fn overview(store: &Store, site: Option<&str>) -> Result<Overview, WebError> {
    let now = now_ms();
    let latest = store.latest_activity(site).await?;
    let (end, stale) = match latest {
        Some(t) if t < now - 7 * DAY => ((t / HOUR + 1) * HOUR, true),
        _ => (now, false),
    };
    let day = store.activity(site, end - 2 * DAY, end, DAY).await?;
    let counts = |b: Option<&Bucket>| DayCounts {
        incidents: b.map_or(0, |b| b.incidents),
        bans: b.map_or(0, |b| b.bans),
        ghost_calls: b.map_or(0, |b| b.ghost_calls),
        new_sources: 0,
    };
    let mut previous_day = counts(day.first());
    let mut last_day = counts(day.get(1));
    let new_since_yesterday = store.count_new_sources(site, end - DAY).await?;
    let new_since_two = store.count_new_sources(site, end - 2 * DAY).await?;
    last_day.new_sources = new_since_yesterday;
    previous_day.new_sources = new_since_two.saturating_sub(new_since_yesterday);
    let active_bans = store
        .bans(&BanQuery {
            site: site.map(str::to_owned),
            active_at: Some(now),
            limit: 20,
            ..BanQuery::default()
        })
        .await?;
    Ok(Overview {
        site: site.map(str::to_owned),
        now,
        window_end: end,
        stale,
        totals: store.totals(site, now).await?,
        last_day,
        previous_day,
        top_sources: store.top_sources(site, end - 7 * DAY, 10).await?,
        phones: store.ghost_calls_by_phone(site, end - 7 * DAY, 10).await?,
        active_bans,
        activity: store.activity(site, end - 7 * DAY, end, HOUR).await?,
    })
}

/// Filters of the incident list (query string of the page and the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct IncidentFilter {
    pub site: Option<String>,
    pub kind: Option<String>,
    pub source: Option<String>,
    /// Free-text search.
    pub q: Option<String>,
    /// Only incidents seen in the last N hours.
    #[serde(deserialize_with = "opt_number")]
    pub hours: Option<u32>,
    #[serde(deserialize_with = "opt_number")]
    pub limit: Option<u32>,
    #[serde(deserialize_with = "opt_number")]
    pub offset: Option<u64>,
}

/// A number from a query string where an empty value (a form's blank
/// field) means "not given".
fn opt_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

fn blank_none(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl IncidentFilter {
    /// The store query; a malformed source address is a bad request.
    ///
    /// # Errors
    /// [`WebError::BadRequest`].
    pub fn query(&self) -> Result<IncidentQuery, WebError> {
        let source = match blank_none(self.source.as_ref()) {
            Some(s) => Some(parse_ip(&s)?),
            None => None,
        };
        Ok(IncidentQuery {
            site: blank_none(self.site.as_ref()),
            source,
            kind: blank_none(self.kind.as_ref()),
            since: self.hours.map(|h| now_ms() - i64::from(h) * HOUR),
            until: None,
            text: blank_none(self.q.as_ref()),
            limit: self.limit.unwrap_or(50).clamp(1, 500),
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// A page of incidents and how many match.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentPage {
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    pub items: Vec<Incident>,
}

/// # Errors
/// Bad filters, store errors.
pub async fn incidents(store: &Store, f: &IncidentFilter) -> Result<IncidentPage, WebError> {
    let q = f.query()?;
    Ok(IncidentPage {
        total: store.count_incidents(&q).await?,
        limit: q.limit,
        offset: q.offset,
        items: store.incidents(&q).await?,
    })
}

/// Everything about one source address.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub source: IpAddr,
    pub summary: Option<SourceSummary>,
    pub incidents: Vec<Incident>,
    pub bans: Vec<Ban>,
    pub ghost_calls: Vec<GhostCall>,
    /// Incidents, bans and ghost calls in time order, newest first.
    pub timeline: Vec<TimelineEntry>,
}

/// One thing a source did, or was done to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub time: UnixMillis,
    /// `incident`, `ban`, `lift` or `ghost-call`.
    pub event: &'static str,
    pub site: String,
    pub detail: String,
}

/// # Errors
/// Store errors.
pub async fn source(store: &Store, site: Option<&str>, ip: IpAddr) -> Result<SourceView, WebError> {
    let site_s = site.map(str::to_owned);
    let incidents = store
        .incidents(&IncidentQuery {
            site: site_s.clone(),
            source: Some(ip),
            limit: 200,
            ..IncidentQuery::default()
        })
        .await?;
    let bans = store
        .bans(&BanQuery {
            site: site_s.clone(),
            ip: Some(ip.into()),
            limit: 200,
            ..BanQuery::default()
        })
        .await?;
    let ghost_calls = store
        .ghost_calls(&GhostCallQuery {
            site: site_s,
            source: Some(ip),
            limit: 200,
            ..GhostCallQuery::default()
        })
        .await?;
    let mut timeline = Vec::new();
    for i in &incidents {
        timeline.push(TimelineEntry {
            time: i.first_seen,
            event: "incident",
            site: i.site.clone(),
            detail: format!("{} {} ({}×, {}%)", i.kind, i.code, i.count, i.confidence),
        });
    }
    for b in &bans {
        timeline.push(TimelineEntry {
            time: b.created_at,
            event: "ban",
            site: b.site.clone(),
            detail: format!("{} by {}: {}", b.origin, b.actor, b.reason),
        });
        if let (Some(at), Some(by)) = (b.lifted_at, &b.lifted_by) {
            timeline.push(TimelineEntry {
                time: at,
                event: "lift",
                site: b.site.clone(),
                detail: format!("by {by}"),
            });
        }
    }
    for c in &ghost_calls {
        timeline.push(TimelineEntry {
            time: c.time,
            event: "ghost-call",
            site: c.site.clone(),
            detail: format!("{} → {}", c.caller, c.phone),
        });
    }
    timeline.sort_by_key(|e| std::cmp::Reverse(e.time));
    Ok(SourceView {
        source: ip,
        summary: store.source(site, ip).await?,
        incidents,
        bans,
        ghost_calls,
        timeline,
    })
}

/// One site: its guard's heartbeat (if any) and totals.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub site: String,
    pub heartbeat: Option<Heartbeat>,
    /// The guard wrote a heartbeat in the last five minutes.
    pub online: bool,
    pub totals: Totals,
}

/// Every site of the store.
///
/// # Errors
/// Store errors.
pub async fn sites(store: &Store) -> Result<Vec<SiteView>, WebError> {
    let now = now_ms();
    let beats = store.heartbeats().await?;
    let mut out = Vec::new();
    for site in store.sites().await? {
        let heartbeat = beats.iter().find(|h| h.site == site).cloned();
        out.push(SiteView {
            online: heartbeat
                .as_ref()
                .is_some_and(|h| now - h.last_seen < 5 * 60_000),
            totals: store.totals(Some(&site), now).await?,
            heartbeat,
            site,
        });
    }
    Ok(out)
}

/// An address from a form or path.
///
/// # Errors
/// [`WebError::BadRequest`] naming the text.
/// What a ban covers: an address, or an IPv6 network such as
/// `2001:db8:1:2::/64`.
pub fn parse_target(s: &str) -> Result<ghostguard_store::BanTarget, WebError> {
    s.parse()
        .map_err(|e: ghostguard_store::BanTargetError| WebError::BadRequest(e.to_string()))
}

pub fn parse_ip(s: &str) -> Result<IpAddr, WebError> {
    s.trim()
        .parse()
        .map_err(|_| WebError::BadRequest(format!("`{}` is not an IP address", s.trim())))
}

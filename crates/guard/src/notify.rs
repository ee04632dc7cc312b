//! Sends alerts: JSON webhooks (with retries and exponential backoff) and
//! syslog lines on the local socket, through the [`Throttle`].

use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::alert::{Alert, Offer, Throttle};
use crate::config::Alerts;

/// DoS: webhook deliveries in flight at once; more are dropped and counted
/// (a dead webhook endpoint must not pile up tasks).
pub const MAX_IN_FLIGHT: usize = 16;

fn connect_syslog(path: &std::path::Path) -> std::io::Result<UnixDatagram> {
    let s = UnixDatagram::unbound()?;
    s.connect(path)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

#[derive(Debug, Default)]
pub struct NotifyStats {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dropped: AtomicU64,
    pub held: AtomicU64,
}

#[derive(Debug)]
pub struct Notifier {
    cfg: Alerts,
    site: String,
    throttle: Throttle,
    client: reqwest::Client,
    syslog: Option<UnixDatagram>,
    in_flight: Arc<Semaphore>,
    pub stats: Arc<NotifyStats>,
}

impl Notifier {
    #[must_use]
    pub fn new(cfg: &Alerts, site: &str) -> Notifier {
        let syslog = if cfg.syslog.enabled {
            connect_syslog(&cfg.syslog.socket)
                .map_err(|e| {
                    eprintln!(
                        "ghostguard: syslog socket {}: {e}; retrying at the next alert",
                        cfg.syslog.socket.display()
                    );
                })
                .ok()
        } else {
            None
        };
        Notifier {
            throttle: Throttle::new(cfg.group_window, cfg.max_per_hour),
            cfg: cfg.clone(),
            site: site.to_string(),
            client: reqwest::Client::builder()
                .user_agent(concat!("ghostguard/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            syslog,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            stats: Arc::new(NotifyStats::default()),
        }
    }

    #[must_use]
    pub fn site(&self) -> &str {
        &self.site
    }

    /// Offers an alert; sends it unless the throttle holds it back.
    pub fn offer(&mut self, mut alert: Alert) {
        match self
            .throttle
            .offer(alert.source, alert.event, alert.time_ms)
        {
            Offer::Send { grouped } => {
                alert.grouped = grouped;
                self.send(&alert);
            }
            Offer::Held => {
                self.stats.held.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends the summaries of groups whose window closed.
    pub fn flush(&mut self, now_ms: i64) {
        for h in self.throttle.due(now_ms) {
            let summary = match h.source {
                Some(s) => format!("{} more {} alerts about {s} were grouped", h.held, h.event),
                None => format!("{} alerts were held back by the hourly limit", h.held),
            };
            let alert = Alert {
                site: self.site.clone(),
                event: "summary",
                source: h.source,
                kind: Some(h.event.to_string()),
                confidence: None,
                summary,
                time_ms: now_ms,
                ban_secs: None,
                ban_target: None,
                grouped: h.held,
                evidence: serde_json::Value::Null,
            };
            self.send(&alert);
        }
    }

    fn send(&mut self, alert: &Alert) {
        if self.cfg.syslog.enabled {
            let line = alert.syslog_line(&self.cfg.syslog.facility, std::process::id());
            // Non-blocking: a full /dev/log never stalls the daemon; after a
            // syslog restart the socket is connected again once.
            let mut sent = self
                .syslog
                .as_ref()
                .is_some_and(|s| s.send(line.as_bytes()).is_ok());
            if !sent {
                self.syslog = connect_syslog(&self.cfg.syslog.socket).ok();
                sent = self
                    .syslog
                    .as_ref()
                    .is_some_and(|s| s.send(line.as_bytes()).is_ok());
            }
            let counter = if sent {
                &self.stats.sent
            } else {
                &self.stats.failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if self.cfg.webhook.is_empty() {
            return;
        }
        let Ok(body) = serde_json::to_vec(alert) else {
            return;
        };
        for hook in &self.cfg.webhook {
            let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let (client, hook, body, stats) = (
                self.client.clone(),
                hook.clone(),
                body.clone(),
                self.stats.clone(),
            );
            tokio::spawn(async move {
                let _permit = permit;
                let mut delay = Duration::from_millis(500);
                for attempt in 0..=hook.retries {
                    let r = client
                        .post(&hook.url)
                        .timeout(hook.timeout)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match r {
                        Ok(resp) if resp.status().is_success() => {
                            stats.sent.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        // A 4xx other than 429 will not get better.
                        Ok(resp)
                            if resp.status().is_client_error() && resp.status().as_u16() != 429 =>
                        {
                            break;
                        }
                        _ if attempt < hook.retries => {
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_secs(60));
                        }
                        _ => {}
                    }
                }
                stats.failed.fetch_add(1, Ordering::Relaxed);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn alert(src: &str, t: i64) -> Alert {
        Alert {
            site: "office".into(),
            event: "incident",
            source: Some(src.parse::<IpAddr>().unwrap()),
            kind: Some("scanner".into()),
            confidence: Some(95),
            summary: "friendly-scanner".into(),
            time_ms: t,
            ban_secs: Some(3600),
            ban_target: None,
            grouped: 0,
            evidence: serde_json::json!({"code": "user-agent"}),
        }
    }

    /// A webhook receiver on loopback that fails the first `fail` requests
    /// with 503 and records the bodies of the rest.
    async fn receiver(
        fail: usize,
    ) -> (
        String,
        tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
    ) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = vec![0u8; 65_536];
                let mut len = 0;
                // Read headers and the body (Content-Length).
                let body = loop {
                    let k = s.read(&mut buf[len..]).await.unwrap();
                    len += k;
                    let text = String::from_utf8_lossy(&buf[..len]).to_string();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let cl: usize = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if len >= i + 4 + cl {
                            break text[i + 4..i + 4 + cl].to_string();
                        }
                    }
                    if k == 0 {
                        break String::new();
                    }
                };
                n += 1;
                if n <= fail {
                    s.write_all(
                        b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await
                    .unwrap();
                } else {
                    s.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                        .await
                        .unwrap();
                    tx.send(serde_json::from_str(&body).unwrap()).unwrap();
                }
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn webhook_retries_then_delivers_and_a_flood_is_one_alert_plus_a_summary() {
        let (url, mut rx) = receiver(2).await;
        let cfg: Alerts = toml::from_str(&format!(
            "group_window = \"1s\"\n[[webhook]]\nurl = \"{url}\"\nretries = 3\n"
        ))
        .unwrap();
        let mut n = Notifier::new(&cfg, "office");
        for i in 0..500 {
            n.offer(alert("198.51.100.7", i));
        }
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first["event"], "incident");
        assert_eq!(first["source"], "198.51.100.7");
        assert_eq!(first["site"], "office");
        n.flush(1_000);
        let summary = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary["event"], "summary");
        assert_eq!(summary["grouped"], 499);
        assert_eq!(n.stats.held.load(Ordering::Relaxed), 499);
    }

    #[test]
    fn syslog_lines_reach_the_socket() {
        let dir = std::env::temp_dir().join(format!("gg-syslog-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let server = UnixDatagram::bind(&dir).unwrap();
        let cfg: Alerts = toml::from_str(&format!(
            "[syslog]\nenabled = true\nsocket = \"{}\"\nfacility = \"local0\"\n",
            dir.display()
        ))
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut n = Notifier::new(&cfg, "office");
            n.offer(alert("198.51.100.9", 0));
        });
        let mut buf = [0u8; 1024];
        let k = server.recv(&mut buf).unwrap();
        let line = String::from_utf8_lossy(&buf[..k]).to_string();
        assert!(line.starts_with("<132>ghostguard["), "{line}");
        assert!(line.contains("source=198.51.100.9 kind=scanner"), "{line}");
        let _ = std::fs::remove_file(&dir);
    }
}

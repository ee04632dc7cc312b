//! The trusted servers: fixed prefixes plus DNS names (A/AAAA and SRV),
//! looked up again when their records expire, keeping the last good answer
//! when DNS fails, so a resolver outage never turns the provider into a
//! stranger whose calls are dropped.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use ipnet::IpNet;

use crate::config::{GuardConfig, ServerName};

/// A name's addresses and how long they are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub addrs: Vec<IpAddr>,
    pub ttl: Duration,
}

/// Looks names up (hickory in the daemon; a table in tests).
pub trait Lookup {
    /// A and AAAA records of `host`.
    fn host(&self, host: &str) -> impl Future<Output = Result<Answer, String>> + Send;
    /// SRV targets of `name`, each resolved to its addresses.
    fn srv(&self, name: &str) -> impl Future<Output = Result<Answer, String>> + Send;
}

/// What one refresh found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// Every trusted prefix now (fixed ones and resolved names).
    pub nets: Vec<IpNet>,
    /// When to look again.
    pub next: Duration,
    /// Names that failed, with the reason and whether a last good answer
    /// is kept in their place.
    pub failures: Vec<(String, String, bool)>,
}

#[derive(Debug, Clone)]
pub struct TrustedServers {
    fixed: Vec<IpNet>,
    names: Vec<ServerName>,
    last_good: BTreeMap<String, Vec<IpAddr>>,
    min: Duration,
    max: Duration,
}

impl TrustedServers {
    pub fn new(cfg: &GuardConfig) -> Result<TrustedServers, crate::config::ConfigError> {
        let mut fixed = Vec::new();
        let mut names = Vec::new();
        for s in cfg.servers()? {
            match s {
                ServerName::Net(n) => fixed.push(n),
                other => names.push(other),
            }
        }
        Ok(TrustedServers {
            fixed,
            names,
            last_good: BTreeMap::new(),
            min: cfg.trusted.refresh_min,
            max: cfg.trusted.refresh_max,
        })
    }

    /// Takes over the last good answers of `old` for the names both know
    /// (a reload during a DNS outage keeps the provider trusted).
    pub fn adopt(&mut self, old: &TrustedServers) {
        for (name, addrs) in &old.last_good {
            let known = self.names.iter().any(|n| match n {
                ServerName::Host(h) | ServerName::Srv(h) => h == name,
                ServerName::Net(_) => false,
            });
            if known && !self.last_good.contains_key(name) {
                self.last_good.insert(name.clone(), addrs.clone());
            }
        }
    }

    /// Whether any name needs DNS.
    #[must_use]
    pub fn has_names(&self) -> bool {
        !self.names.is_empty()
    }

    /// The prefixes known without asking DNS again.
    #[must_use]
    pub fn current(&self) -> Vec<IpNet> {
        let mut nets = self.fixed.clone();
        nets.extend(self.last_good.values().flatten().map(|&ip| IpNet::from(ip)));
        nets.sort();
        nets.dedup();
        nets
    }

    /// Looks every name up; failures keep the last good answer.
    pub async fn refresh(&mut self, dns: &impl Lookup) -> Refresh {
        let mut next = self.max;
        let mut failures = Vec::new();
        for name in &self.names {
            let (key, result) = match name {
                ServerName::Host(h) => (h.clone(), dns.host(h).await),
                ServerName::Srv(s) => (s.clone(), dns.srv(s).await),
                ServerName::Net(_) => continue,
            };
            match result {
                Ok(a) if !a.addrs.is_empty() => {
                    next = next.min(a.ttl);
                    let mut addrs = a.addrs;
                    addrs.sort();
                    addrs.dedup();
                    addrs.truncate(256);
                    self.last_good.insert(key, addrs);
                }
                Ok(_) => {
                    next = self.min;
                    let kept = self.last_good.contains_key(&key);
                    failures.push((key, "no addresses".to_string(), kept));
                }
                Err(e) => {
                    next = self.min;
                    let kept = self.last_good.contains_key(&key);
                    failures.push((key, e, kept));
                }
            }
        }
        Refresh {
            nets: self.current(),
            next: next.clamp(self.min, self.max),
            failures,
        }
    }
}

/// The system's resolver configuration (`/etc/resolv.conf`), through
/// hickory.
#[derive(Debug, Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

impl Dns {
    pub fn system() -> Result<Dns, String> {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the resolver configuration: {e}"))?
            .build();
        Ok(Dns { resolver })
    }

    /// Asks the name server at `server` only (tests, split-horizon setups).
    #[must_use]
    pub fn at(server: std::net::SocketAddr) -> Dns {
        use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig};
        use hickory_resolver::name_server::TokioConnectionProvider;
        let group = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
        let cfg = ResolverConfig::from_parts(None, vec![], group);
        let resolver = hickory_resolver::Resolver::builder_with_config(
            cfg,
            TokioConnectionProvider::default(),
        )
        .build();
        Dns { resolver }
    }
}

fn ttl_of(valid_until: std::time::Instant) -> Duration {
    valid_until.saturating_duration_since(std::time::Instant::now())
}

impl Lookup for Dns {
    async fn host(&self, host: &str) -> Result<Answer, String> {
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let l = self
            .resolver
            .lookup_ip(fqdn)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Answer {
            addrs: l.iter().collect(),
            ttl: ttl_of(l.valid_until()),
        })
    }

    async fn srv(&self, name: &str) -> Result<Answer, String> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let l = self
            .resolver
            .srv_lookup(fqdn)
            .await
            .map_err(|e| e.to_string())?;
        let mut ttl = ttl_of(l.as_lookup().valid_until());
        let mut addrs: Vec<IpAddr> = l.ip_iter().collect();
        // Targets whose addresses were not in the additional section.
        let targets: Vec<String> = l.iter().take(32).map(|s| s.target().to_ascii()).collect();
        if addrs.is_empty() {
            for t in targets {
                if let Ok(a) = self.host(&t).await {
                    ttl = ttl.min(a.ttl);
                    addrs.extend(a.addrs);
                }
            }
        }
        Ok(Answer { addrs, ttl })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Table(Mutex<BTreeMap<String, Result<Answer, String>>>);

    impl Lookup for Table {
        async fn host(&self, host: &str) -> Result<Answer, String> {
            self.0
                .lock()
                .unwrap()
                .get(host)
                .cloned()
                .unwrap_or(Err("NXDOMAIN".into()))
        }
        async fn srv(&self, name: &str) -> Result<Answer, String> {
            self.host(name).await
        }
    }

    fn answer(ips: &[&str], ttl: u64) -> Result<Answer, String> {
        Ok(Answer {
            addrs: ips.iter().map(|s| s.parse().unwrap()).collect(),
            ttl: Duration::from_secs(ttl),
        })
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn names_resolve_refresh_on_ttl_and_keep_the_last_good_answer() {
        let cfg = GuardConfig::parse(
            "[network]\nprotected = [\"192.168.1.0/24\"]\n[trusted]\n\
             servers = [\"203.0.113.10\", \"sip.provider.example\", \"_sip._udp.provider.example\"]\n\
             refresh_min = \"30s\"\nrefresh_max = \"1h\"\n",
        )
        .unwrap();
        let mut t = TrustedServers::new(&cfg).unwrap();
        assert!(t.has_names());
        let dns = Table(Mutex::new(BTreeMap::from([
            (
                "sip.provider.example".to_string(),
                answer(&["198.51.100.5"], 300),
            ),
            (
                "_sip._udp.provider.example".to_string(),
                answer(&["198.51.100.6", "2001:db8::6"], 120),
            ),
        ])));
        let r = block_on(t.refresh(&dns));
        let nets: Vec<String> = r.nets.iter().map(ToString::to_string).collect();
        assert_eq!(
            nets,
            [
                "198.51.100.5/32",
                "198.51.100.6/32",
                "203.0.113.10/32",
                "2001:db8::6/128"
            ]
        );
        assert_eq!(r.next, Duration::from_secs(120), "the shortest TTL");
        assert!(r.failures.is_empty());

        // DNS fails: the last good answer stays, and we retry soon.
        dns.0
            .lock()
            .unwrap()
            .insert("sip.provider.example".into(), Err("SERVFAIL".into()));
        let r = block_on(t.refresh(&dns));
        assert!(r.nets.contains(&"198.51.100.5/32".parse().unwrap()));
        assert_eq!(r.next, Duration::from_secs(30));
        assert_eq!(
            r.failures,
            vec![("sip.provider.example".into(), "SERVFAIL".into(), true)]
        );

        // The provider moved: the new address replaces the old one.
        dns.0
            .lock()
            .unwrap()
            .insert("sip.provider.example".into(), answer(&["198.51.100.50"], 5));
        let r = block_on(t.refresh(&dns));
        assert!(r.nets.contains(&"198.51.100.50/32".parse().unwrap()));
        assert!(!r.nets.contains(&"198.51.100.5/32".parse().unwrap()));
        assert_eq!(
            r.next,
            Duration::from_secs(30),
            "a tiny TTL is raised to refresh_min"
        );
    }
}

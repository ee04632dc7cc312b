//! Turning `--trusted` words (addresses, CIDRs, host names) into prefixes.

use std::net::{IpAddr, ToSocketAddrs};

use ipnet::IpNet;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("`{word}` is not an address, a CIDR prefix or a host name that resolves: {reason}")]
    Unresolvable { word: String, reason: String },
    #[error("`{word}` is not a valid {what}")]
    Invalid { word: String, what: &'static str },
}

/// An address or CIDR.
pub fn parse_net(word: &str, what: &'static str) -> Result<IpNet, ResolveError> {
    let w = word.trim();
    if let Ok(n) = w.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    w.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| ResolveError::Invalid {
            word: w.to_string(),
            what,
        })
}

/// An address, a CIDR, or a host name resolved through DNS (A and AAAA).
pub fn resolve_trusted(word: &str) -> Result<Vec<IpNet>, ResolveError> {
    if let Ok(n) = parse_net(word, "address") {
        return Ok(vec![n]);
    }
    let host = word.trim();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(ResolveError::Invalid {
            word: host.to_string(),
            what: "address, CIDR or host name",
        });
    }
    let addrs = (host, 5060)
        .to_socket_addrs()
        .map_err(|e| ResolveError::Unresolvable {
            word: host.to_string(),
            reason: e.to_string(),
        })?;
    let mut out: Vec<IpNet> = addrs.map(|a| IpNet::from(a.ip())).collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(ResolveError::Unresolvable {
            word: host.to_string(),
            reason: "no A/AAAA records".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_cidrs_and_bad_words() {
        assert_eq!(
            resolve_trusted("198.51.100.10").unwrap(),
            vec!["198.51.100.10/32".parse::<IpNet>().unwrap()]
        );
        assert_eq!(
            resolve_trusted("198.51.100.77/24").unwrap(),
            vec!["198.51.100.0/24".parse::<IpNet>().unwrap()]
        );
        assert!(!resolve_trusted("localhost").unwrap().is_empty());
        let e = resolve_trusted("not a host!").unwrap_err().to_string();
        assert!(e.contains("`not a host!`"), "{e}");
        assert!(parse_net("10.0.0.300", "CIDR").is_err());
    }
}

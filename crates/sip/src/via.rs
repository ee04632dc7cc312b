//! Via values (RFC 3261 §20.42, §18.2.1; RFC 3581 `rport`; RFC 5118 §4.5) and
//! CSeq (RFC 3261 §20.16).

use std::net::IpAddr;

use crate::method::Method;
use crate::params;
use crate::text::{
    is_lws, is_token, is_token_char, parse_u16, parse_u32, trim_lws, trim_lws_start,
};
use crate::uri::{Host, parse_ipv6, scan_host};

/// One `via-parm`: `sent-protocol LWS sent-by *( SEMI via-params )`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `protocol-name/protocol-version/transport` as received (LWS around the
    /// slashes kept, RFC 4475 §3.1.1.1), e.g. `SIP/2.0/UDP`.
    pub protocol: &'a [u8],
    /// `protocol-name`, e.g. `SIP`.
    pub name: &'a [u8],
    /// `protocol-version`, e.g. `2.0`.
    pub version: &'a [u8],
    /// `transport`, e.g. `UDP`, `TLS` or an unknown token (RFC 4475 §3.1.1.10).
    pub transport: &'a [u8],
    /// The `sent-by` host.
    pub host: Host<'a>,
    /// The `sent-by` port, when given.
    pub port: Option<u16>,
    /// The parameters, starting with their first `;` (empty when none).
    pub params: &'a [u8],
}

/// Takes a token after optional LWS; returns it and the rest.
fn take_token(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = trim_lws_start(s);
    let end = s.iter().position(|&b| !is_token_char(b)).unwrap_or(s.len());
    (end > 0).then(|| (&s[..end], &s[end..]))
}

/// Reads `sent-by = host [ COLON port ]` where `COLON = SWS ":" SWS`
/// (RFC 3261 §25.1), so LWS may surround the colon. Returns the rest.
fn sent_by(s: &[u8]) -> Option<(Host<'_>, Option<u16>, &[u8])> {
    let (host, rest) = scan_host(s)?;
    let after = trim_lws_start(rest);
    let Some(p) = after.strip_prefix(b":") else {
        return Some((host, None, rest));
    };
    let p = trim_lws_start(p);
    let digits = p
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(p.len());
    Some((host, Some(parse_u16(&p[..digits])?), &p[digits..]))
}

/// Expects `/` after optional LWS.
fn take_slash(s: &[u8]) -> Option<&[u8]> {
    trim_lws_start(s).strip_prefix(b"/")
}

impl<'a> Via<'a> {
    /// Parses one Via value (one element of the comma list). Parameters are
    /// kept raw; see [`Via::params_well_formed`].
    #[must_use]
    pub fn parse(raw: &'a [u8]) -> Option<Self> {
        let s = trim_lws(raw);
        // Nearly every Via starts `SIP/2.0/`: the general path below would
        // read the same two tokens and slashes from it.
        let (name, version, after) = match s.split_at_checked(8) {
            Some((head, after)) if head == b"SIP/2.0/" => (&s[..3], &s[4..7], after),
            _ => {
                let (name, rest) = take_token(s)?;
                let (version, rest) = take_token(take_slash(rest)?)?;
                (name, version, take_slash(rest)?)
            }
        };
        let (transport, rest) = take_token(after)?;
        let protocol = &s[..s.len() - rest.len()];
        if !rest.first().is_some_and(|&b| is_lws(b)) {
            return None;
        }
        let (host, port, rest) = sent_by(trim_lws_start(rest))?;
        // Only LWS may separate sent-by from the parameters.
        let params = trim_lws_start(rest);
        if !matches!(params.first(), None | Some(b';')) {
            return None;
        }
        Some(Via {
            protocol,
            name,
            version,
            transport,
            host,
            port,
            params,
        })
    }

    /// A parameter's value (`Some(b"")` for a flag), case-insensitive.
    #[must_use]
    pub fn param(&self, name: &[u8]) -> Option<&'a [u8]> {
        params::find(self.params, name)
    }

    /// The `branch` parameter (RFC 3261 §8.1.1.7).
    #[must_use]
    pub fn branch(&self) -> Option<&'a [u8]> {
        self.param(b"branch")
    }

    /// The `received` parameter as received (RFC 3261 §18.2.1).
    #[must_use]
    pub fn received(&self) -> Option<&'a [u8]> {
        self.param(b"received")
    }

    /// The `received` address, with or without `[` `]` around an IPv6
    /// address (RFC 5118 §4.5 asks receivers to accept both).
    #[must_use]
    pub fn received_addr(&self) -> Option<IpAddr> {
        let v = self.received()?;
        if let Some(inner) = v.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) {
            return parse_ipv6(inner).map(IpAddr::V6);
        }
        let text = std::str::from_utf8(v).ok()?;
        text.parse().ok().or_else(|| parse_ipv6(v).map(IpAddr::V6))
    }

    /// `rport` (RFC 3581 §4): `None` when absent, `Some(None)` when present
    /// without a (valid) port, `Some(Some(port))` otherwise.
    #[must_use]
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param(b"rport").map(parse_u16)
    }

    /// True when every parameter has a token name and, after `=`, a value
    /// (RFC 3261 §20.42; RFC 4475 §3.1.2.1).
    #[must_use]
    pub fn params_well_formed(&self) -> bool {
        params::well_formed(self.params)
    }
}

/// The CSeq header (RFC 3261 §20.16): `1*DIGIT LWS Method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number. RFC 3261 requires it below 2**31; larger values
    /// that still fit 32 bits are returned and flagged as
    /// [`crate::Defects::BAD_CSEQ`].
    pub seq: u32,
    /// The method (case-sensitive).
    pub method: Method<'a>,
}

impl<'a> CSeq<'a> {
    /// Parses a CSeq value; `None` when the number does not fit 32 bits
    /// (RFC 4475 §3.1.2.4) or the method is not a token.
    #[must_use]
    pub fn parse(raw: &'a [u8]) -> Option<Self> {
        let s = trim_lws(raw);
        let digits = s
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len());
        let seq = parse_u32(&s[..digits])?;
        let rest = &s[digits..];
        if !rest.first().is_some_and(|&b| is_lws(b)) {
            return None;
        }
        let method = trim_lws(rest);
        is_token(method).then(|| CSeq {
            seq,
            method: Method::from_bytes(method),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tortured_vias() {
        let v = Via::parse(b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.name, v.version, v.transport),
            (&b"SIP"[..], &b"2.0"[..], &b"UDP"[..])
        );
        assert_eq!(v.protocol, b"SIP  /   2.0\r\n /UDP");
        assert_eq!(v.host, Host::Ipv4("192.0.2.2".parse().unwrap()));
        assert_eq!(v.branch(), Some(&b"390skdjuw"[..]));
        let v = Via::parse(
            b"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
        )
        .unwrap();
        assert_eq!(
            (v.host, v.port),
            (Host::Domain(b"spindle.example.com"), None)
        );
        assert_eq!(v.branch(), Some(&b"z9hG4bK9ikj8"[..]));
        let v =
            Via::parse(b"SIP/2.0/TCP [2001:db8::1] : 5060 ;received=2001:db8::9;rport").unwrap();
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(v.received_addr(), Some("2001:db8::9".parse().unwrap()));
        assert_eq!(v.rport(), Some(None));
    }

    #[test]
    fn via_params_and_failures() {
        let v = Via::parse(b"SIP/2.0/UDP 192.0.2.15;;").unwrap();
        assert!(!v.params_well_formed());
        let v = Via::parse(b"SIP/2.0/UDP h:5060;received=[2001:db8::9:255];rport=7").unwrap();
        assert_eq!(v.received_addr(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(v.rport(), Some(Some(7)));
        assert!(v.params_well_formed());
        for bad in [
            &b""[..],
            b";",
            b"SIP/2.0 host",
            b"SIP/2.0/UDP",
            b"SIP/2.0/UDPhost",
            b"SIP/2.0/UDP host:x",
        ] {
            assert_eq!(Via::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse(b"0009\r\n  INVITE"),
            Some(CSeq {
                seq: 9,
                method: Method::Invite
            })
        );
        assert_eq!(CSeq::parse(b"36893488147419103232 REGISTER"), None);
        assert_eq!(CSeq::parse(b"1INVITE"), None);
        assert_eq!(CSeq::parse(b"1 INVITE x"), None);
        assert_eq!(
            CSeq::parse(b"2 NEW%METHOD").map(|c| c.method),
            Some(Method::Other(b"NEW%METHOD"))
        );
    }
}

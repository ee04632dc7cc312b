//! SIP ALG detection: what the path changed between the message sent and
//! the message that arrived.
//!
//! A SIP ALG (a router's "SIP helper", the kernel's `nf_nat_sip`) rewrites
//! the addresses in SIP so that they match the NAT: the top Via, Contact,
//! the SDP `c=`/`o=` addresses and `m=` ports (RFC 8866 §5.2, §5.7, §5.14),
//! and then Content-Length. Some also add or drop headers. Plain NAT
//! changes only the IP and UDP/TCP headers, never the SIP text, so any
//! difference in the text is the work of something that reads SIP.
//!
//! [`compare`] is a pure function over the two messages. It compares the
//! request line, every header by its canonical name (a compact form such as
//! `v` counts as Via), the SDP lines `c=`, `o=` and `m=`, and the rest of
//! the body, and names each change.

use std::collections::BTreeMap;

use ghostguard_sip::{HeaderName, Message};

/// Characters of a value shown in a change.
const SHOW: usize = 80;

/// How a field differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Present on both sides with different values.
    Changed,
    /// Only in the message that arrived.
    Added,
    /// Only in the message that was sent.
    Removed,
}

impl ChangeKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `Via`, `Contact`, `SDP c=`, `Content-Length`, `Request-Line`,
    /// `body`, or another header's canonical name.
    pub field: String,
    pub kind: ChangeKind,
    /// The value sent (first differing one), shortened.
    pub sent: String,
    /// The value that arrived, shortened.
    pub received: String,
}

/// The result of comparing the two messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// In message order: request line, headers, SDP, body.
    pub changes: Vec<Change>,
    /// Set when the message that arrived was not SIP any more.
    pub unparseable: bool,
}

impl Comparison {
    /// Whether the message arrived exactly as sent.
    #[must_use]
    pub fn unchanged(&self) -> bool {
        self.changes.is_empty() && !self.unparseable
    }

    /// The names of the changed fields, each once, in order.
    #[must_use]
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.changes {
            if !out.contains(&c.field.as_str()) {
                out.push(&c.field);
            }
        }
        out
    }
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let s = s.trim();
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SHOW)
        .collect();
    if s.chars().count() > SHOW {
        out.push('…');
    }
    out
}

/// The canonical name of a header (`v` -> `Via`), for grouping.
fn canonical(name: &HeaderName<'_>) -> String {
    match name {
        HeaderName::Other(raw) => String::from_utf8_lossy(raw).to_ascii_lowercase(),
        known => String::from_utf8_lossy(known.as_bytes()).into_owned(),
    }
}

/// Header values grouped by canonical name, names in first-seen order.
fn grouped(m: &Message<'_>) -> (Vec<String>, BTreeMap<String, Lines>) {
    let mut order = Vec::new();
    let mut map: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for h in m.headers() {
        let name = canonical(&h.name);
        if !map.contains_key(&name) {
            order.push(name.clone());
        }
        // One entry per comma-separated value, so `Via: a, b` equals two Vias.
        let values = map.entry(name).or_default();
        for v in h.values() {
            values.push(trim(v).to_vec());
        }
    }
    (order, map)
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn diff_lists(field: &str, sent: &[Vec<u8>], got: &[Vec<u8>], out: &mut Vec<Change>) {
    let kind = match (sent.is_empty(), got.is_empty()) {
        (true, true) => return,
        (true, false) => ChangeKind::Added,
        (false, true) => ChangeKind::Removed,
        (false, false) if sent == got => return,
        (false, false) => ChangeKind::Changed,
    };
    // Show the first value that differs.
    let i = (0..sent.len().max(got.len()))
        .find(|&i| sent.get(i) != got.get(i))
        .unwrap_or(0);
    out.push(Change {
        field: field.to_string(),
        kind,
        sent: sent.get(i).map_or_else(String::new, |v| show(v)),
        received: got.get(i).map_or_else(String::new, |v| show(v)),
    });
}

/// Lines (or values) as owned bytes.
type Lines = Vec<Vec<u8>>;

/// SDP lines by type (`c`, `o`, `m`) and the other lines.
fn sdp_lines(body: &[u8]) -> (BTreeMap<u8, Lines>, Lines) {
    let mut typed: BTreeMap<u8, Vec<Vec<u8>>> = BTreeMap::new();
    let mut rest = Vec::new();
    for line in body.split(|&b| b == b'\n') {
        let line = trim(line);
        match line {
            [t @ (b'c' | b'o' | b'm'), b'=', v @ ..] => {
                typed.entry(*t).or_default().push(v.to_vec())
            }
            [] => {}
            l => rest.push(l.to_vec()),
        }
    }
    (typed, rest)
}

fn is_sdp(m: &Message<'_>) -> bool {
    m.header(HeaderName::ContentType).is_some_and(|h| {
        h.raw_value
            .to_ascii_lowercase()
            .windows(15)
            .any(|w| w == b"application/sdp")
    })
}

/// Compares the message that was sent with the message that arrived.
#[must_use]
pub fn compare(sent: &[u8], received: &[u8]) -> Comparison {
    let mut out = Comparison::default();
    let Ok(s) = ghostguard_sip::parse(sent) else {
        // Our own message always parses; if not, nothing can be said.
        out.unparseable = true;
        return out;
    };
    let Ok(r) = ghostguard_sip::parse(received) else {
        out.unparseable = true;
        return out;
    };
    let first_line = |b: &[u8]| -> Vec<u8> {
        let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
        trim(&b[..end]).to_vec()
    };
    diff_lists(
        "Request-Line",
        &[first_line(sent)],
        &[first_line(received)],
        &mut out.changes,
    );
    let (s_order, s_map) = grouped(&s);
    let (r_order, r_map) = grouped(&r);
    let empty = Vec::new();
    let names = s_order
        .iter()
        .chain(r_order.iter().filter(|n| !s_map.contains_key(*n)));
    for name in names {
        let a = s_map.get(name).unwrap_or(&empty);
        let b = r_map.get(name).unwrap_or(&empty);
        diff_lists(name, a, b, &mut out.changes);
    }
    if s.body() != r.body() {
        if is_sdp(&s) || is_sdp(&r) {
            let (st, srest) = sdp_lines(s.body());
            let (rt, rrest) = sdp_lines(r.body());
            for t in [b'c', b'o', b'm'] {
                let field = format!("SDP {}=", char::from(t));
                diff_lists(
                    &field,
                    st.get(&t).unwrap_or(&empty),
                    rt.get(&t).unwrap_or(&empty),
                    &mut out.changes,
                );
            }
            diff_lists("SDP other lines", &srest, &rrest, &mut out.changes);
        } else {
            diff_lists(
                "body",
                &[s.body().to_vec()],
                &[r.body().to_vec()],
                &mut out.changes,
            );
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SENT: &str = "INVITE sip:echo@198.51.100.10:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.50:40000;branch=z9hG4bK-gg1;rport\r\n\
        Max-Forwards: 70\r\n\
        From: <sip:diagnose@192.0.2.50>;tag=gg1\r\n\
        To: <sip:echo@198.51.100.10>\r\n\
        Call-ID: gg1@192.0.2.50\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:diagnose@192.0.2.50:40000;transport=udp>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 84\r\n\r\n\
        v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=x\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";

    fn fixed_length(msg: &str) -> String {
        let (head, body) = msg.split_once("\r\n\r\n").unwrap();
        let head: Vec<&str> = head
            .split("\r\n")
            .filter(|l| !l.starts_with("Content-Length"))
            .collect();
        format!(
            "{}\r\nContent-Length: {}\r\n\r\n{body}",
            head.join("\r\n"),
            body.len()
        )
    }

    #[test]
    fn identical_messages_have_no_changes() {
        let sent = fixed_length(SENT);
        let c = compare(sent.as_bytes(), sent.as_bytes());
        assert!(c.unchanged(), "{c:?}");
    }

    #[test]
    fn kernel_alg_rewrite_names_via_contact_sdp_and_length() {
        // What nf_nat_sip does: LAN address -> WAN address everywhere.
        let sent = fixed_length(SENT);
        let got = fixed_length(&SENT.replace("192.0.2.50", "198.51.100.1"));
        let c = compare(sent.as_bytes(), got.as_bytes());
        assert_eq!(
            c.fields(),
            [
                "Via",
                "From",
                "Call-ID",
                "Contact",
                "Content-Length",
                "SDP c=",
                "SDP o="
            ]
        );
        let via = &c.changes[0];
        assert_eq!(via.kind, ChangeKind::Changed);
        assert!(via.sent.contains("192.0.2.50:40000"), "{via:?}");
        assert!(via.received.contains("198.51.100.1:40000"), "{via:?}");
    }

    #[test]
    fn only_via_port_changed() {
        let sent = fixed_length(SENT);
        let got = sent.replace("192.0.2.50:40000;branch", "192.0.2.50:1024;branch");
        let c = compare(sent.as_bytes(), got.as_bytes());
        assert_eq!(c.fields(), ["Via"]);
    }

    #[test]
    fn added_removed_and_compact_headers() {
        let sent = fixed_length(SENT);
        // Compact `v:` for Via is the same header; Max-Forwards removed;
        // a Record-Route added; the m= port changed.
        let got = sent
            .replace("Via: ", "v: ")
            .replace("Max-Forwards: 70\r\n", "")
            .replace(
                "CSeq: 1 INVITE\r\n",
                "CSeq: 1 INVITE\r\nRecord-Route: <sip:alg;lr>\r\n",
            )
            .replace("m=audio 40002", "m=audio 50002");
        let c = compare(sent.as_bytes(), got.as_bytes());
        let summary: Vec<(String, ChangeKind)> = c
            .changes
            .iter()
            .map(|c| (c.field.clone(), c.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("Max-Forwards".to_string(), ChangeKind::Removed),
                ("Record-Route".to_string(), ChangeKind::Added),
                ("SDP m=".to_string(), ChangeKind::Changed),
            ]
        );
    }

    #[test]
    fn garbage_back_is_unparseable_not_a_panic() {
        let c = compare(SENT.as_bytes(), b"\xff\xfe garbage");
        assert!(c.unparseable && !c.unchanged());
    }
}

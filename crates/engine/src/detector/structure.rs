//! Structural fingerprints of scanners: what the tools build, not what they
//! say about themselves. These survive a changed User-Agent and From.
//!
//! **Attack**: SIPVicious, SIPPTS and Nmap's NSE scripts build their
//! requests the same way every time.
//!
//! **Signals** (each with a confidence in the rules file's `[structure]`):
//! - `sipvicious_tag` (95): the From-tag is the hex text of
//!   `<data> 0x01 <decimal>` (SIPVicious `createTag`). For `svmap` the data is
//!   the target's IP and port in hex: the address the scanner aimed at, which
//!   shows a port forward when it is the router's public address. For
//!   `svwar` it is the extension tried; for `svcrack`, `user:password`.
//! - `sipvicious_shape` (70): Via branch `z9hG4bK-` + decimal digits, a
//!   decimal Call-ID with no `@host`, and a To URI equal to the From URI.
//! - `sippts_shape` (60): a Via branch without the RFC 3261 `z9hG4bK`
//!   cookie, a 32-hex-digit Call-ID and an 8-hex-digit From-tag.
//! - `nmap_nse` (90): branch `foo`, Call-ID `50000` or From-tag `root`.
//!
//! **False positives**: RFC 2543-era clients omit the cookie (hence SIPPTS
//! also needs the Call-ID and tag shapes). No real UA builds the SIPVicious tag.
//!
//! **References**: SIPVicious `libs/svhelper.py` (`createTag`, `makeRequest`),
//! threat notes; RFC 3261 §8.1.1.7 (branch cookie).

use std::net::{IpAddr, Ipv4Addr};

use crate::detector::Detector;
use crate::event::{Ctx, text};
use crate::finding::{Args, Hit, Kind, push_arg};
use crate::rules;

#[derive(Debug)]
pub(crate) struct Structure {
    conf: rules::Structure,
}

impl Structure {
    pub(crate) fn new(conf: rules::Structure) -> Self {
        Structure { conf }
    }
}

/// What a SIPVicious From-tag decodes to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum VTag {
    /// svmap: the probed address.
    Target(IpAddr, u16),
    /// svwar / svcrack: the text it embedded (extension, or `user:password`).
    Data(String),
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The `<data>` of a SIPVicious tag (hex of `<data> 0x01 <6–10 decimal
/// digits>`), decoded into `buf`; `None` when `tag` is not one.
fn vtag_data<'b>(tag: &[u8], buf: &'b mut [u8; 256]) -> Option<&'b [u8]> {
    if tag.len() < 6 || tag.len() % 2 != 0 || tag.len() > 512 {
        return None;
    }
    // Decoded on the stack: this runs on the From-tag of every request.
    let raw = &mut buf[..tag.len() / 2];
    for (out, pair) in raw.iter_mut().zip(tag.chunks_exact(2)) {
        *out = hex_val(pair[0])? << 4 | hex_val(pair[1])?;
    }
    let raw = &*raw;
    let sep = raw.iter().rposition(|&b| b == 1)?;
    let (data, digits) = (&raw[..sep], &raw[sep + 1..]);
    // `getrandbits(32)` printed in decimal: 6 digits or more for all but
    // 1 in 40,000 tags; fewer lets random 8-hex-digit tags of real phones match.
    if digits.len() < 6 || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if data.is_empty() || !data.iter().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some(data)
}

/// Whether a From-tag is a SIPVicious tag (no allocation).
fn is_vtag(tag: &[u8]) -> bool {
    vtag_data(tag, &mut [0u8; 256]).is_some()
}

/// Decodes a SIPVicious tag: hex of `<data> 0x01 <6–10 decimal digits>`.
pub(crate) fn decode_vtag(tag: &[u8]) -> Option<VTag> {
    let mut buf = [0u8; 256];
    let data = vtag_data(tag, &mut buf)?;
    // svmap (IPv4): 8 hex digits of address + 4 of port.
    if data.len() == 12 && data.iter().all(u8::is_ascii_hexdigit) {
        let n: Vec<u8> = data
            .chunks_exact(2)
            .filter_map(|p| Some(hex_val(p[0])? << 4 | hex_val(p[1])?))
            .collect();
        if n.len() == 6 {
            let ip = IpAddr::V4(Ipv4Addr::new(n[0], n[1], n[2], n[3]));
            return Some(VTag::Target(ip, u16::from_be_bytes([n[4], n[5]])));
        }
    }
    Some(VTag::Data(String::from_utf8_lossy(data).into_owned()))
}

fn all(bytes: &[u8], f: impl Fn(&u8) -> bool) -> bool {
    !bytes.is_empty() && bytes.iter().all(f)
}

impl Structure {
    /// Which fingerprint the request carries, with its configured confidence.
    fn classify(&self, ctx: &Ctx<'_>) -> Option<(&'static str, u8)> {
        let tag = ctx.caller_tag();
        if tag.is_some_and(is_vtag) {
            return Some(("sipvicious-tag", self.conf.sipvicious_tag));
        }
        let b = ctx.branch()?;
        let call_id = ctx.call_id.unwrap_or_default();
        let vbranch = b.len() > 8
            && b[..8].eq_ignore_ascii_case(b"z9hG4bK-")
            && all(&b[8..], u8::is_ascii_digit);
        if vbranch && all(call_id, u8::is_ascii_digit) {
            let same = match (ctx.to(), ctx.from()) {
                (Some(to), Some(f)) => to.raw_uri.eq_ignore_ascii_case(f.raw_uri),
                _ => false,
            };
            if same {
                return Some(("sipvicious-shape", self.conf.sipvicious_shape));
            }
        }
        let cookie = b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"z9hG4bK");
        if !cookie
            && call_id.len() == 32
            && all(call_id, u8::is_ascii_hexdigit)
            && tag.is_some_and(|t| t.len() == 8 && all(t, u8::is_ascii_hexdigit))
        {
            return Some(("sippts-shape", self.conf.sippts_shape));
        }
        if b == b"foo" && (call_id == b"50000" || tag == Some(b"root".as_slice())) {
            return Some(("nmap-shape", self.conf.nmap_nse));
        }
        None
    }
}

impl Detector for Structure {
    fn name(&self) -> &'static str {
        "structure"
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if !ctx.is_request() {
            return;
        }
        if let Some((code, conf)) = self.classify(ctx) {
            if conf > 0 {
                out.push(Hit::new(ctx.src, Kind::Scanner, conf, code));
            }
        }
    }

    fn describe(&self, hit: &Hit, ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        let branch = ctx.branch().map(text).unwrap_or_default();
        match hit.code {
            "sipvicious-tag" => match ctx.caller_tag().and_then(decode_vtag) {
                Some(VTag::Target(ip, port)) => {
                    push_arg(&mut args, "tool", "SIPVicious svmap");
                    push_arg(&mut args, "target", format!("{ip}:{port}"));
                }
                Some(VTag::Data(d)) => {
                    push_arg(&mut args, "tool", "SIPVicious");
                    push_arg(&mut args, "data", d);
                }
                None => {}
            },
            "sipvicious-shape" => {
                push_arg(&mut args, "tool", "SIPVicious");
                push_arg(&mut args, "branch", branch);
            }
            "sippts-shape" => {
                push_arg(&mut args, "tool", "SIPPTS");
                push_arg(&mut args, "branch", branch);
            }
            _ => push_arg(&mut args, "tool", "Nmap NSE"),
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn svmap_tag_names_the_target() {
        // createTag('%02x%02x%02x%02x%04x' % (198,51,100,1,5060))
        let t = hex(b"c633640113c4\x011234567890");
        assert_eq!(
            decode_vtag(t.as_bytes()),
            Some(VTag::Target("198.51.100.1".parse().unwrap(), 5060))
        );
    }

    #[test]
    fn svwar_and_svcrack_tags() {
        assert_eq!(
            decode_vtag(hex(b"100\x011987654321").as_bytes()),
            Some(VTag::Data("100".into()))
        );
        assert_eq!(
            decode_vtag(hex(b"200:secret\x01420042").as_bytes()),
            Some(VTag::Data("200:secret".into()))
        );
    }

    #[test]
    fn ordinary_tags_are_not_sipvicious() {
        for t in [
            "as5f3a7c1b",
            "1928301774",
            "a48s",
            "d5f1f8b4-13c4-4a3b",
            "0123456789abcdef",
            "",
        ] {
            assert_eq!(decode_vtag(t.as_bytes()), None, "{t}");
        }
        // A real phone's random 8-hex-digit tag that happens to decode as
        // "4Q" 0x01 "9": too few digits to be SIPVicious.
        assert_eq!(decode_vtag(b"34510139"), None);
        // Hex of text without the 0x01 separator.
        assert_eq!(decode_vtag(hex(b"hello").as_bytes()), None);
        // Separator but no digits after it.
        assert_eq!(decode_vtag(hex(b"abc\x01").as_bytes()), None);
    }
}

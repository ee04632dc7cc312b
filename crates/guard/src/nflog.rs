//! NFLOG (`nfnetlink_log`): the kernel copies packets matched by an
//! nftables `log group N` rule to a netlink socket.
//!
//! The wire format is small and fixed (`linux/netfilter/nfnetlink_log.h`),
//! and it is the guard's hot path, so messages are built and parsed here
//! without allocation: one `recv` returns a batch of netlink messages, each
//! an `nfgenmsg` and a list of attributes, of which the guard reads the
//! payload (the IP packet), the timestamp and the hardware address.
//! Everything is bounds-checked; a malformed message is skipped and
//! counted, never trusted.

/// `NFNL_SUBSYS_ULOG`.
const SUBSYS_ULOG: u16 = 4;
/// `NFULNL_MSG_PACKET`, `NFULNL_MSG_CONFIG`.
const MSG_PACKET: u16 = 0;
const MSG_CONFIG: u16 = 1;
/// `NLMSG_ERROR`, `NLMSG_DONE`, `NLMSG_OVERRUN`.
const NLMSG_ERROR: u16 = 2;
const NLMSG_OVERRUN: u16 = 4;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;

/// Packet attributes (`enum nfulnl_attr_type`).
const NFULA_TIMESTAMP: u16 = 3;
const NFULA_HWADDR: u16 = 8;
const NFULA_PAYLOAD: u16 = 9;
const NFULA_PREFIX: u16 = 10;

/// Config attributes (`enum nfulnl_attr_config`) and commands.
const NFULA_CFG_CMD: u16 = 1;
const NFULA_CFG_MODE: u16 = 2;
const NFULA_CFG_NLBUFSIZ: u16 = 3;
const NFULA_CFG_TIMEOUT: u16 = 4;
const NFULA_CFG_QTHRESH: u16 = 5;
pub const CMD_BIND: u8 = 1;
pub const CMD_UNBIND: u8 = 2;
/// `NFULNL_COPY_PACKET`.
const COPY_PACKET: u8 = 2;

const NLMSG_HDR: usize = 16;
const NFGEN_HDR: usize = 4;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn push_attr(buf: &mut Vec<u8>, ty: u16, value: &[u8]) {
    let len = 4 + value.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(value);
    buf.resize(align4(buf.len()), 0);
}

/// One config request for `group` (`res_id`), with attributes.
fn config_message(seq: u32, group: u16, attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(&[0; NLMSG_HDR]);
    // nfgenmsg: family AF_UNSPEC, version NFNETLINK_V0, res_id (big endian).
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(&group.to_be_bytes());
    for (ty, value) in attrs {
        push_attr(&mut buf, *ty, value);
    }
    let len = buf.len() as u32;
    buf[0..4].copy_from_slice(&len.to_ne_bytes());
    buf[4..6].copy_from_slice(&((SUBSYS_ULOG << 8) | MSG_CONFIG).to_ne_bytes());
    buf[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    buf[8..12].copy_from_slice(&seq.to_ne_bytes());
    buf
}

/// A bind (or unbind) command for `group`.
#[must_use]
pub fn command(seq: u32, group: u16, cmd: u8) -> Vec<u8> {
    config_message(seq, group, &[(NFULA_CFG_CMD, &[cmd])])
}

/// Copy mode (whole packets up to `range` bytes), kernel buffer size,
/// flush timeout (1/100 s) and batch threshold for `group`.
#[must_use]
pub fn tune(
    seq: u32,
    group: u16,
    range: u32,
    nlbufsiz: u32,
    timeout_cs: u32,
    qthresh: u32,
) -> Vec<u8> {
    let mut mode = [0u8; 6];
    mode[..4].copy_from_slice(&range.to_be_bytes());
    mode[4] = COPY_PACKET;
    config_message(
        seq,
        group,
        &[
            (NFULA_CFG_MODE, &mode),
            (NFULA_CFG_NLBUFSIZ, &nlbufsiz.to_be_bytes()),
            (NFULA_CFG_TIMEOUT, &timeout_cs.to_be_bytes()),
            (NFULA_CFG_QTHRESH, &qthresh.to_be_bytes()),
        ],
    )
}

/// One packet the kernel logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged<'a> {
    pub group: u16,
    /// The layer-3 packet (IPv4 or IPv6), as far as the copy range went.
    pub payload: &'a [u8],
    /// Kernel timestamp (seconds, microseconds) when the skb carried one.
    pub timestamp: Option<(u64, u64)>,
    /// Link-layer source address of the frame (incoming packets).
    pub hwaddr: Option<[u8; 6]>,
    pub prefix: Option<&'a [u8]>,
}

/// Something the socket said that is not a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// An ack (`errno` 0) or error for request `seq`.
    Ack { seq: u32, errno: i32 },
    /// The kernel dropped messages (receive buffer full).
    Overrun,
    /// A message that does not follow the format; skipped.
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Packet(Logged<'a>),
    Control(Control),
}

/// The netlink messages in one `recv` buffer.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

#[must_use]
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { rest: buf }
}

fn u16_ne(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_ne(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_be(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl<'a> Iterator for Messages<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.rest.len() < NLMSG_HDR {
            self.rest = &[];
            return None;
        }
        let b = self.rest;
        let len = u32_ne(b, 0)? as usize;
        if len < NLMSG_HDR || len > b.len() {
            self.rest = &[];
            return Some(Item::Control(Control::Malformed));
        }
        self.rest = b.get(align4(len).min(b.len())..).unwrap_or(&[]);
        let ty = u16_ne(b, 4)?;
        let seq = u32_ne(b, 8)?;
        let body = &b[NLMSG_HDR..len];
        Some(match ty {
            NLMSG_ERROR => {
                let errno = u32_ne(body, 0).map_or(-1, |e| e as i32);
                Item::Control(Control::Ack { seq, errno: -errno })
            }
            NLMSG_OVERRUN => Item::Control(Control::Overrun),
            t if t == (SUBSYS_ULOG << 8) | MSG_PACKET => match parse_packet(body) {
                Some(p) => Item::Packet(p),
                None => Item::Control(Control::Malformed),
            },
            _ => Item::Control(Control::Malformed),
        })
    }
}

fn parse_packet(body: &[u8]) -> Option<Logged<'_>> {
    let group = u16::from_be_bytes(body.get(2..4)?.try_into().ok()?);
    let mut at = NFGEN_HDR;
    let mut out = Logged {
        group,
        payload: &[],
        timestamp: None,
        hwaddr: None,
        prefix: None,
    };
    let mut have_payload = false;
    while at + 4 <= body.len() {
        let alen = u16_ne(body, at)? as usize;
        let ty = u16_ne(body, at + 2)? & 0x3fff;
        if alen < 4 || at + alen > body.len() {
            return None;
        }
        let v = &body[at + 4..at + alen];
        match ty {
            NFULA_PAYLOAD => {
                out.payload = v;
                have_payload = true;
            }
            NFULA_TIMESTAMP => out.timestamp = Some((u64_be(v, 0)?, u64_be(v, 8)?)),
            NFULA_HWADDR => {
                // struct nfulnl_msg_packet_hw { __be16 hw_addrlen; u16 pad; u8 hw_addr[8]; }
                let n = u16::from_be_bytes(v.get(0..2)?.try_into().ok()?);
                if n == 6 {
                    out.hwaddr = v.get(4..10).and_then(|m| m.try_into().ok());
                }
            }
            NFULA_PREFIX => out.prefix = Some(v.strip_suffix(&[0]).unwrap_or(v)),
            _ => {}
        }
        at += align4(alen);
    }
    have_payload.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packet message as the kernel lays it out.
    fn packet_msg(group: u16, payload: &[u8], hw: Option<[u8; 6]>) -> Vec<u8> {
        let mut b = vec![0; NLMSG_HDR];
        b.extend_from_slice(&[2, 0]);
        b.extend_from_slice(&group.to_be_bytes());
        // NFULA_PACKET_HDR: hw_protocol 0x0800, hook 2.
        push_attr(&mut b, 1, &[0x08, 0x00, 2, 0]);
        if let Some(hw) = hw {
            let mut v = vec![0, 6, 0, 0];
            v.extend_from_slice(&hw);
            v.extend_from_slice(&[0, 0]);
            push_attr(&mut b, NFULA_HWADDR, &v);
        }
        let mut ts = 1_700_000_000u64.to_be_bytes().to_vec();
        ts.extend_from_slice(&250_000u64.to_be_bytes());
        push_attr(&mut b, NFULA_TIMESTAMP, &ts);
        push_attr(&mut b, NFULA_PREFIX, b"gg\0");
        push_attr(&mut b, NFULA_PAYLOAD, payload);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b[4..6].copy_from_slice(&((SUBSYS_ULOG << 8) | MSG_PACKET).to_ne_bytes());
        b
    }

    #[test]
    fn parses_a_batch_of_packets() {
        let mut buf = packet_msg(5060, b"\x45abc", Some([2, 0, 0, 0, 0, 9]));
        buf.extend(packet_msg(5060, b"\x60defgh", None));
        let items: Vec<_> = messages(&buf).collect();
        assert_eq!(items.len(), 2);
        let Item::Packet(p) = items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!((p.group, p.payload), (5060, &b"\x45abc"[..]));
        assert_eq!(p.hwaddr, Some([2, 0, 0, 0, 0, 9]));
        assert_eq!(p.timestamp, Some((1_700_000_000, 250_000)));
        assert_eq!(p.prefix, Some(&b"gg"[..]));
        let Item::Packet(q) = items[1] else { panic!() };
        assert_eq!(q.payload, b"\x60defgh");
        assert_eq!(q.hwaddr, None);
    }

    #[test]
    fn acks_and_errors() {
        let mut b = vec![0; NLMSG_HDR];
        b.extend_from_slice(&(-1i32).to_ne_bytes()); // -EPERM
        b.extend_from_slice(&[0; 16]);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        b[8..12].copy_from_slice(&7u32.to_ne_bytes());
        assert_eq!(
            messages(&b).collect::<Vec<_>>(),
            vec![Item::Control(Control::Ack { seq: 7, errno: 1 })]
        );
    }

    #[test]
    fn config_messages_have_the_kernel_layout() {
        let m = command(1, 5060, CMD_BIND);
        assert_eq!(m.len(), 16 + 4 + 8);
        assert_eq!(u32_ne(&m, 0), Some(28));
        assert_eq!(u16_ne(&m, 4), Some(0x0401));
        assert_eq!(&m[18..20], &5060u16.to_be_bytes());
        assert_eq!(&m[20..25], &[5, 0, 1, 0, 1]);
        let t = tune(2, 1, 0xffff, 1 << 20, 1, 64);
        assert_eq!(u32_ne(&t, 0).map(|l| l as usize), Some(t.len()));
        assert_eq!(&t[24..30], &[0, 0, 0xff, 0xff, COPY_PACKET, 0]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(buf in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            for _ in messages(&buf) {}
        }

        #[test]
        fn truncations_never_panic(cut in 0usize..120) {
            let m = packet_msg(1, b"\x45payload-bytes", Some([1, 2, 3, 4, 5, 6]));
            for _ in messages(&m[..cut.min(m.len())]) {}
        }
    }
}

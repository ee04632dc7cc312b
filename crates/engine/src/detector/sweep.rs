//! Address and port sweeps.
//!
//! **Attack**: SIPVicious `svmap` and SIPPTS `sipscan` send OPTIONS (or
//! INVITE/REGISTER) to every address of a range, or to many ports of one
//! host, to find phones and PBXs. A LAN computer doing this to its
//! neighbours is the "hacked computer" cause of ghost calls.
//!
//! **Signals**: distinct destination address:port pairs of requests from one
//! source within a window.
//!
//! **Defaults**: 10 distinct destinations within 60 s. Confidence 80.
//!
//! **Threads**: with `analyze --threads N` this detector runs in the engine
//! of the requester (a request's source, a response's destination), which
//! sees all of that requester's exchanges with every responder, so it
//! counts as with one thread.
//!
//! **False positives**: a monitoring system pinging many SIP devices with
//! OPTIONS (allowlist it); an SBC that keeps NAT bindings alive for many
//! phones (trust it).
//!
//! **References**: threat notes; SIPVicious `svmap.py`.

use std::net::IpAddr;

use ghostguard_packet::Span;

use crate::config::Thresholds;
use crate::detector::{Detector, secs};
use crate::event::Ctx;
use crate::finding::{Args, Hit, Kind, push_arg};
use crate::window::{Distinct, KeyHasher, Table};

#[derive(Debug, Default)]
struct State {
    targets: Distinct,
    hosts: Distinct,
    last_hosts: usize,
}

#[derive(Debug)]
pub(crate) struct Sweep {
    targets: u32,
    window: Span,
    by_source: Table<IpAddr, State>,
    hasher: KeyHasher,
}

impl Sweep {
    pub(crate) fn new(t: &Thresholds, cap: usize) -> Self {
        Sweep {
            targets: t.sweep_targets,
            window: Span::from_secs(t.sweep_window_secs.into()),
            by_source: Table::new(cap),
            hasher: KeyHasher::default(),
        }
    }
}

impl Detector for Sweep {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn keyed_by_requester(&self) -> bool {
        true
    }

    fn on_message(&mut self, ctx: &Ctx<'_>, out: &mut Vec<Hit>) {
        if !ctx.is_request() {
            return;
        }
        let st = self.by_source.entry(&ctx.src);
        let n = st
            .targets
            .insert(ctx.ts, self.window, self.hasher.hash(&ctx.d.dst));
        st.last_hosts = st
            .hosts
            .insert(ctx.ts, self.window, self.hasher.hash(&ctx.dst));
        if n >= self.targets as usize {
            out.push(
                Hit::new(ctx.src, Kind::Sweep, 80, "distinct-destinations").magnitude(n as u32),
            );
        }
    }

    fn describe(&self, hit: &Hit, _ctx: &Ctx<'_>) -> Args {
        let mut args = Args::new();
        push_arg(&mut args, "destinations", hit.magnitude.to_string());
        let hosts = self.by_source.peek(&hit.source).map_or(0, |s| s.last_hosts);
        push_arg(&mut args, "hosts", hosts.to_string());
        push_arg(&mut args, "window_secs", secs(self.window));
        args
    }
}

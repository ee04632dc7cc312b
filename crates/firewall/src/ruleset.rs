//! The table as data: sets, chains and rules built from a
//! [`FirewallSpec`], before any rendering. `render` turns it into the
//! `nft -f` batch that is applied (and printed by dry-run).

use ipnet::IpNet;

use crate::spec::{FirewallSpec, Mode, Nflog, Policy, QueueBackend, SpecError};

/// An address family of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Both families, IPv4 first.
    pub const BOTH: [Self; 2] = [Self::V4, Self::V6];

    /// The family of `net`.
    #[must_use]
    pub fn of(net: &IpNet) -> Self {
        match net {
            IpNet::V4(_) => Self::V4,
            IpNet::V6(_) => Self::V6,
        }
    }
}

/// What a set holds. Each role has one set per family (`ban4`, `ban6`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetRole {
    /// Banned sources; `flags timeout`, one timeout per element. Kept
    /// across reinstalls.
    Ban,
    /// Trusted SIP servers; `flags interval` (networks).
    Trusted,
    /// Allowlisted sources; `flags interval`.
    Allow,
    /// Protected phones or networks; `flags interval`.
    Protected,
}

impl SetRole {
    /// Every role, in the order the table declares them.
    pub const ALL: [Self; 4] = [Self::Ban, Self::Trusted, Self::Allow, Self::Protected];

    /// The role's word: `ban`, `trusted`, `allow`, `protected`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ban => "ban",
            Self::Trusted => "trusted",
            Self::Allow => "allow",
            Self::Protected => "protected",
        }
    }

    /// The set's name in the table.
    #[must_use]
    pub fn set_name(self, family: Family) -> &'static str {
        match (self, family) {
            (Self::Ban, Family::V4) => "ban4",
            (Self::Ban, Family::V6) => "ban6",
            (Self::Trusted, Family::V4) => "trusted4",
            (Self::Trusted, Family::V6) => "trusted6",
            (Self::Allow, Family::V4) => "allow4",
            (Self::Allow, Family::V6) => "allow6",
            (Self::Protected, Family::V4) => "protected4",
            (Self::Protected, Family::V6) => "protected6",
        }
    }
}

/// One named set and, for interval sets, its elements (aggregated: no
/// overlaps, host bits cleared, sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDef {
    pub role: SetRole,
    pub family: Family,
    pub elements: Vec<IpNet>,
}

/// The netfilter hook of a base chain. Every base chain is a `filter`
/// chain at priority `filter - 5` (-5): before the usual filter tables
/// (firewalld, ufw, iptables-nft at 0), after DNAT (-100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    Forward,
    Input,
    Output,
}

/// One match expression of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// `meta l4proto { tcp, udp }`
    TcpOrUdp,
    /// `th dport { ... }`
    DstPort(Vec<u16>),
    /// `th sport { ... }`
    SrcPort(Vec<u16>),
    /// `ip saddr @set` / `ip6 saddr @set`
    Source(SetRole, Family),
    /// `ip daddr @set` / `ip6 daddr @set`
    Destination(SetRole, Family),
    /// `ip daddr != @set` / `ip6 daddr != @set`
    NotDestination(SetRole, Family),
}

/// One statement of a rule, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    Log(Nflog),
    Counter,
    /// Ends evaluation of *this table's* chain for the packet; base chains
    /// of other tables on the same hook still see it (only `drop` is final
    /// across tables).
    Accept,
    Drop,
    Goto(&'static str),
    /// `queue num N bypass`
    Queue(u16),
}

/// One rule: matches, then statements, then a comment for the operator
/// reading `nft list table inet ghostguard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub matches: Vec<Match>,
    pub statements: Vec<Statement>,
    pub comment: &'static str,
}

/// One chain; `hook` is `Some` for base chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: &'static str,
    pub hook: Option<Hook>,
    pub rules: Vec<Rule>,
}

/// Every chain name ghostguard may create: an install removes all of them
/// before creating the ones the spec needs, so a mode change leaves no
/// stale chain behind.
pub const CHAIN_NAMES: [&str; 6] = ["forward", "input", "output", "sip", "sip_in", "sip_out"];

/// The whole table content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruleset {
    pub sets: Vec<SetDef>,
    pub chains: Vec<Chain>,
}

impl Ruleset {
    /// Builds the table for `spec`.
    ///
    /// # Errors
    /// The spec's first problem ([`FirewallSpec::validate`]).
    pub fn from_spec(spec: &FirewallSpec) -> Result<Self, SpecError> {
        spec.validate()?;
        let mut sets = Vec::new();
        for role in SetRole::ALL {
            let nets: &[IpNet] = match role {
                SetRole::Ban => &[],
                SetRole::Trusted => &spec.trusted,
                SetRole::Allow => &spec.allow,
                SetRole::Protected => &spec.protected,
            };
            for family in Family::BOTH {
                sets.push(SetDef {
                    role,
                    family,
                    elements: normalize(nets, family),
                });
            }
        }
        let chains = match spec.mode {
            Mode::Gateway => vec![
                base_chain("forward", Hook::Forward, "sip", &spec.ports()),
                Chain {
                    name: "sip",
                    hook: None,
                    rules: inbound_rules(spec, true),
                },
            ],
            Mode::Host => vec![
                base_chain("input", Hook::Input, "sip_in", &spec.ports()),
                base_chain("output", Hook::Output, "sip_out", &spec.ports()),
                Chain {
                    name: "sip_in",
                    hook: None,
                    rules: inbound_rules(spec, false),
                },
                Chain {
                    name: "sip_out",
                    hook: None,
                    rules: outbound_rules(spec),
                },
            ],
        };
        Ok(Self { sets, chains })
    }
}

/// The nets of `family`, host bits cleared, overlaps merged, sorted: an
/// interval set rejects overlapping elements.
#[must_use]
pub fn normalize(nets: &[IpNet], family: Family) -> Vec<IpNet> {
    let picked: Vec<IpNet> = nets
        .iter()
        .filter(|n| Family::of(n) == family)
        .map(IpNet::trunc)
        .collect();
    IpNet::aggregate(&picked)
}

/// A base chain sending SIP (either port direction) to `target`. `goto`,
/// not `jump`: a packet with both ports on SIP is inspected once.
fn base_chain(name: &'static str, hook: Hook, target: &'static str, ports: &[u16]) -> Chain {
    let rule = |port: Match, comment| Rule {
        matches: vec![Match::TcpOrUdp, port],
        statements: vec![Statement::Goto(target)],
        comment,
    };
    Chain {
        name,
        hook: Some(hook),
        rules: vec![
            rule(
                Match::DstPort(ports.to_vec()),
                "SIP request or reply to a SIP port",
            ),
            rule(Match::SrcPort(ports.to_vec()), "SIP from a SIP port"),
        ],
    }
}

/// What enforce does where observe only counts.
fn stop(policy: Policy, log: Option<Nflog>) -> Vec<Statement> {
    let mut out: Vec<Statement> = log.map(Statement::Log).into_iter().collect();
    out.push(Statement::Counter);
    if policy == Policy::Enforce {
        out.push(Statement::Drop);
    }
    out
}

/// The checks on SIP towards the protected side: bans, trusted, allowed,
/// the trusted-only policy, then the copy (or queue) to the engine.
/// `replies_too` (gateway) also stops traffic *to* banned addresses.
fn inbound_rules(spec: &FirewallSpec, replies_too: bool) -> Vec<Rule> {
    // Trusted servers and the allowlist come first: a ban left over from
    // before an address became trusted (a provider's new address, an
    // allowlisted false positive) never cuts them off.
    let mut rules = Vec::new();
    let pass: Vec<Statement> = spec
        .nflog
        .map(Statement::Log)
        .into_iter()
        .chain([Statement::Accept])
        .collect();
    for (role, comment) in [
        (SetRole::Trusted, "trusted server: copy, skip our checks"),
        (SetRole::Allow, "allowlisted source: copy, skip our checks"),
    ] {
        for family in Family::BOTH {
            rules.push(Rule {
                matches: vec![Match::Source(role, family)],
                statements: pass.clone(),
                comment,
            });
        }
    }
    rules.extend(ban_rules(spec, Match::Source, "banned source"));
    if replies_too {
        rules.extend(ban_rules(
            spec,
            Match::Destination,
            "reply to a banned source",
        ));
    }
    if spec.trusted_only {
        // Observe: the final copy rule logs it; no second copy here.
        let log = (spec.policy == Policy::Enforce)
            .then_some(spec.nflog)
            .flatten();
        let comment = "SIP to a protected address from an untrusted source";
        if spec.protected.is_empty() {
            rules.push(Rule {
                matches: Vec::new(),
                statements: stop(spec.policy, log),
                comment,
            });
        }
        for family in Family::BOTH {
            if !normalize(&spec.protected, family).is_empty() {
                rules.push(Rule {
                    matches: vec![Match::Destination(SetRole::Protected, family)],
                    statements: stop(spec.policy, log),
                    comment,
                });
            }
        }
    }
    match spec.queue {
        Some(queue) if queue.backend == QueueBackend::Nft => {
            // The engine still gets its copy of each request (detection
            // and bans by behaviour) in the queue rule itself; `queue` ends
            // the chain for requests, so the copy rule after it sees the
            // rest (answers) once.
            rules.push(Rule {
                matches: vec![Match::DstPort(spec.ports())],
                statements: spec
                    .nflog
                    .map(Statement::Log)
                    .into_iter()
                    .chain([Statement::Queue(queue.num)])
                    .collect(),
                comment: "inline: copy to the engine, the verdict waits in the queue",
            });
            rules.extend(copy_rule(spec));
        }
        _ => rules.extend(copy_rule(spec)),
    }
    rules
}

/// The host's own SIP going out: replies to banned addresses stop, the
/// rest is copied.
fn outbound_rules(spec: &FirewallSpec) -> Vec<Rule> {
    let mut rules = ban_rules(spec, Match::Destination, "reply to a banned source");
    rules.extend(copy_rule(spec));
    rules
}

fn ban_rules(
    spec: &FirewallSpec,
    side: fn(SetRole, Family) -> Match,
    comment: &'static str,
) -> Vec<Rule> {
    Family::BOTH
        .into_iter()
        .map(|family| {
            let mut matches = vec![side(SetRole::Ban, family)];
            if side(SetRole::Ban, family) == Match::Destination(SetRole::Ban, family) {
                // SIP *to* a trusted server or an allowlisted address is
                // never stopped by a ban of that address (a hand-made ban or
                // an imported list holding the provider): a source-side
                // ban is skipped for them by the accept rules before.
                matches.push(Match::NotDestination(SetRole::Trusted, family));
                matches.push(Match::NotDestination(SetRole::Allow, family));
            }
            Rule {
                matches,
                statements: stop(spec.policy, None),
                comment,
            }
        })
        .collect()
}

fn copy_rule(spec: &FirewallSpec) -> Option<Rule> {
    spec.nflog.map(|nflog| Rule {
        matches: Vec::new(),
        statements: vec![Statement::Log(nflog)],
        comment: "copy to the engine",
    })
}

//! The cause model: *why* ghost calls reach the phones, with the evidence
//! and the remedies in the order to try them. `analyze` fills it from a
//! capture; `diagnose` fills the same model from active tests, so both give
//! the same verdict on the same evidence.

use serde::Serialize;

pub(crate) mod alg;
pub(crate) mod exposure;
pub(crate) mod loops;

/// The causes of ghost calls that the provider texts name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CauseKind {
    /// A port forward (or DMZ/UPnP opening) lets SIP from the internet reach a phone.
    PortForward,
    /// The router's SIP ALG (or hardware NAT) rewrites SIP in transit.
    SipAlg,
    /// A computer inside the LAN scans its neighbours.
    InfectedHost,
    /// Packets circulate in the network (routing or bridge loop, hub).
    Loop,
    /// The phone rings for SIP from anyone, not only its provider.
    OpenPhone,
    /// Hardware NAT (or a NAT that behaves like it) rewrites source ports
    /// or drops bindings in ways that break SIP.
    HardwareNat,
    /// An old or unknown modem/router without proper VoIP support.
    OldRouter,
}

impl CauseKind {
    /// Every cause, in the order to fix them.
    pub const ALL: [CauseKind; 7] = [
        CauseKind::InfectedHost,
        CauseKind::Loop,
        CauseKind::PortForward,
        CauseKind::SipAlg,
        CauseKind::HardwareNat,
        CauseKind::OldRouter,
        CauseKind::OpenPhone,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CauseKind::PortForward => "port-forward",
            CauseKind::SipAlg => "sip-alg",
            CauseKind::InfectedHost => "infected-host",
            CauseKind::Loop => "loop",
            CauseKind::OpenPhone => "open-phone",
            CauseKind::HardwareNat => "hardware-nat",
            CauseKind::OldRouter => "old-router",
        }
    }
}

/// Things to do, as stable ids. The report words them per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Remedy {
    /// Find the device by IP/MAC and take it off the network.
    IsolateInfectedHost,
    /// Clean or reinstall it; then change the WiFi password.
    CleanInfectedHostChangeWifi,
    /// To find it by hand: WiFi off, then computers off one by one.
    SwitchOffTest,
    /// Remove the port forward / DMZ / UPnP opening toward the phone.
    RemovePortForward,
    /// Switch off SIP ALG on the router/firewall.
    DisableSipAlg,
    /// Switch off hardware NAT / SIP passthrough acceleration.
    DisableHardwareNat,
    /// Phones re-register (or send NAT keep-alives) more often than the
    /// router forgets a NAT binding.
    ShortenRegisterInterval,
    /// Phone setting: accept SIP from the provider's servers only / no direct IP calls.
    PhoneTrustedServersOnly,
    /// Firewall: allow SIP only from the provider's servers.
    FirewallProviderOnly,
    /// Move the phone's SIP port away from 5060.
    ChangeSipPort,
    /// Find and break the loop: hubs, patch cables, STP.
    FixLoop,
    /// Restart network equipment and phones.
    RestartEquipment,
    /// Replace an old modem/router without proper VoIP support.
    ReplaceRouter,
    /// Connect the phone alone to the firewall to test.
    IsolatePhoneTest,
    /// A guessed password was accepted: change it (an attack's remedy, not
    /// a cause's; first in the plan).
    ChangeGuessedPassword,
    /// Calls to international or premium numbers were tried from outside:
    /// check the call records and have such calls blocked or capped.
    CheckTollFraud,
}

impl Remedy {
    /// Every remedy.
    pub const ALL: [Remedy; 16] = [
        Remedy::IsolateInfectedHost,
        Remedy::CleanInfectedHostChangeWifi,
        Remedy::SwitchOffTest,
        Remedy::RemovePortForward,
        Remedy::DisableSipAlg,
        Remedy::DisableHardwareNat,
        Remedy::ShortenRegisterInterval,
        Remedy::PhoneTrustedServersOnly,
        Remedy::FirewallProviderOnly,
        Remedy::ChangeSipPort,
        Remedy::FixLoop,
        Remedy::RestartEquipment,
        Remedy::ReplaceRouter,
        Remedy::IsolatePhoneTest,
        Remedy::ChangeGuessedPassword,
        Remedy::CheckTollFraud,
    ];

    /// The stable id (as in JSON).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Remedy::IsolateInfectedHost => "isolate-infected-host",
            Remedy::CleanInfectedHostChangeWifi => "clean-infected-host-change-wifi",
            Remedy::SwitchOffTest => "switch-off-test",
            Remedy::RemovePortForward => "remove-port-forward",
            Remedy::DisableSipAlg => "disable-sip-alg",
            Remedy::DisableHardwareNat => "disable-hardware-nat",
            Remedy::ShortenRegisterInterval => "shorten-register-interval",
            Remedy::PhoneTrustedServersOnly => "phone-trusted-servers-only",
            Remedy::FirewallProviderOnly => "firewall-provider-only",
            Remedy::ChangeSipPort => "change-sip-port",
            Remedy::FixLoop => "fix-loop",
            Remedy::RestartEquipment => "restart-equipment",
            Remedy::ReplaceRouter => "replace-router",
            Remedy::IsolatePhoneTest => "isolate-phone-test",
            Remedy::ChangeGuessedPassword => "change-guessed-password",
            Remedy::CheckTollFraud => "check-toll-fraud",
        }
    }
}

/// One fact behind a cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CauseEvidence {
    pub code: &'static str,
    #[serde(serialize_with = "crate::analysis::ser_args")]
    pub args: Vec<(&'static str, String)>,
}

impl CauseEvidence {
    #[must_use]
    pub fn new(code: &'static str) -> Self {
        CauseEvidence {
            code,
            args: Vec::new(),
        }
    }
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// What a test (or a capture) says about one cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// The evidence shows the cause is present.
    #[default]
    Found,
    /// It was tested and is not present (as far as the test can see).
    NotFound,
    /// It could not be tested; [`Cause::reason`] says why.
    NotTested,
}

impl Verdict {
    /// The stable id (as in JSON).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Found => "found",
            Verdict::NotFound => "not-found",
            Verdict::NotTested => "not-tested",
        }
    }
}

/// One cause with its verdict: the model `analyze` and `diagnose` share.
///
/// `analyze` lists only causes it found (a capture cannot show absence);
/// `diagnose` lists every cause, each found, not found or not tested.
#[derive(Clone, Debug, Serialize)]
pub struct Cause {
    pub cause: CauseKind,
    /// Found, not found, or could not be tested.
    pub verdict: Verdict,
    /// 0–100: how sure the verdict is.
    pub confidence: u8,
    pub evidence: Vec<CauseEvidence>,
    /// Why it could not be tested, or what limits a "not found".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CauseEvidence>,
    /// In the order to try them (empty unless found).
    pub remedies: Vec<Remedy>,
}

impl Cause {
    /// A cause the evidence shows, with its remedies.
    #[must_use]
    pub fn found(kind: CauseKind, confidence: u8, evidence: Vec<CauseEvidence>) -> Cause {
        Cause {
            cause: kind,
            verdict: Verdict::Found,
            confidence,
            evidence,
            reason: None,
            remedies: Cause::remedies_for(kind),
        }
    }

    /// A cause tested and not present; `evidence` says what was tested.
    #[must_use]
    pub fn not_found(kind: CauseKind, evidence: Vec<CauseEvidence>) -> Cause {
        Cause {
            cause: kind,
            verdict: Verdict::NotFound,
            confidence: 0,
            evidence,
            reason: None,
            remedies: Vec::new(),
        }
    }

    /// A cause that could not be tested, and why.
    #[must_use]
    pub fn not_tested(kind: CauseKind, reason: CauseEvidence) -> Cause {
        Cause {
            cause: kind,
            verdict: Verdict::NotTested,
            confidence: 0,
            evidence: Vec::new(),
            reason: Some(reason),
            remedies: Vec::new(),
        }
    }

    /// Whether the verdict is [`Verdict::Found`].
    #[must_use]
    pub fn is_found(&self) -> bool {
        self.verdict == Verdict::Found
    }

    /// The remedies for a cause, in order.
    #[must_use]
    pub fn remedies_for(kind: CauseKind) -> Vec<Remedy> {
        use Remedy::*;
        match kind {
            CauseKind::InfectedHost => vec![
                IsolateInfectedHost,
                CleanInfectedHostChangeWifi,
                SwitchOffTest,
            ],
            CauseKind::PortForward => {
                vec![
                    RemovePortForward,
                    FirewallProviderOnly,
                    PhoneTrustedServersOnly,
                    ChangeSipPort,
                ]
            }
            CauseKind::SipAlg => vec![
                DisableSipAlg,
                DisableHardwareNat,
                RestartEquipment,
                ReplaceRouter,
            ],
            CauseKind::Loop => vec![FixLoop, RestartEquipment, IsolatePhoneTest],
            CauseKind::OpenPhone => {
                vec![PhoneTrustedServersOnly, ChangeSipPort, FirewallProviderOnly]
            }
            CauseKind::HardwareNat => vec![DisableHardwareNat, RestartEquipment, ReplaceRouter],
            CauseKind::OldRouter => vec![ReplaceRouter, IsolatePhoneTest],
        }
    }

    /// Which cause to fix first: the one whose fix stops the most and is
    /// cheapest to try (a scanning PC inside is urgent; a loop breaks the
    /// whole network; forwards and ALGs are router settings).
    #[must_use]
    pub fn priority(kind: CauseKind) -> u8 {
        match kind {
            CauseKind::InfectedHost => 0,
            CauseKind::Loop => 1,
            CauseKind::PortForward => 2,
            CauseKind::SipAlg => 3,
            CauseKind::HardwareNat => 4,
            CauseKind::OldRouter => 5,
            CauseKind::OpenPhone => 6,
        }
    }
}

//! Errors of the firewall adapter: each names the step (which batch) and
//! the command, and carries the tool's own message.

use crate::spec::SpecError;

/// The part of the adapter's work that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    Install,
    Ban,
    Unban,
    ReplaceTrusted,
    ReplaceAllow,
    ListBans,
    Remove,
    QueueInstall,
    QueueRemove,
    QueueProbe,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Install => "install batch",
            Self::Ban => "ban batch",
            Self::Unban => "unban batch",
            Self::ReplaceTrusted => "trusted-set replace batch",
            Self::ReplaceAllow => "allow-set replace batch",
            Self::ListBans => "ban listing",
            Self::Remove => "remove batch",
            Self::QueueInstall => "iptables queue chain install",
            Self::QueueRemove => "iptables queue chain removal",
            Self::QueueProbe => "queue support probe",
        })
    }
}

/// A firewall operation that did not happen. The kernel applies each batch
/// whole or not at all, so after an error nothing of that batch is in force.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FirewallError {
    #[error("invalid firewall spec: {0}")]
    Spec(#[from] SpecError),
    #[error("{step}: `{program}` not found; install the {package} package")]
    NotFound {
        step: Step,
        program: String,
        package: &'static str,
    },
    #[error("{step}: `{command}` needs CAP_NET_ADMIN (run as root): {stderr}")]
    PermissionDenied {
        step: Step,
        command: String,
        stderr: String,
    },
    #[error("{step}: `{command}` failed ({status}): {stderr}")]
    Failed {
        step: Step,
        command: String,
        status: String,
        stderr: String,
    },
    #[error("{step}: could not run `{command}`: {source}")]
    Spawn {
        step: Step,
        command: String,
        source: std::io::Error,
    },
    #[error("{step}: unexpected JSON from `{command}`: {source}")]
    Output {
        step: Step,
        command: String,
        source: serde_json::Error,
    },
    #[error("{step}: cannot ban {net}: {why}")]
    Unbannable {
        step: Step,
        net: ipnet::IpNet,
        why: &'static str,
    },
    #[error("{step}: the table is not installed; call install first")]
    NotInstalled { step: Step },
    #[error("{step}: could not print the dry-run batch: {source}")]
    Print { step: Step, source: std::io::Error },
    #[error("{step}: the in-memory firewall was told to fail")]
    Injected { step: Step },
}

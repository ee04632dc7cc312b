//! Where the programs the adapter drives are found.

use std::path::PathBuf;

use crate::command::Tool;

/// Paths of `nft`, the iptables tools and `unshare`. The default finds
/// each on `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub nft: PathBuf,
    pub iptables: PathBuf,
    pub ip6tables: PathBuf,
    pub iptables_restore: PathBuf,
    pub ip6tables_restore: PathBuf,
    pub unshare: PathBuf,
}

impl Default for Tools {
    fn default() -> Self {
        Self {
            nft: "nft".into(),
            iptables: "iptables".into(),
            ip6tables: "ip6tables".into(),
            iptables_restore: "iptables-restore".into(),
            ip6tables_restore: "ip6tables-restore".into(),
            unshare: "unshare".into(),
        }
    }
}

impl Tools {
    pub(crate) fn nft(&self) -> Tool<'_> {
        Tool {
            path: &self.nft,
            package: "nftables",
        }
    }

    /// `(iptables, iptables-restore)` for IPv4, then the IPv6 pair.
    pub(crate) fn iptables_pairs(&self) -> [(Tool<'_>, Tool<'_>); 2] {
        let tool = |path| Tool {
            path,
            package: "iptables",
        };
        [
            (tool(&self.iptables), tool(&self.iptables_restore)),
            (tool(&self.ip6tables), tool(&self.ip6tables_restore)),
        ]
    }
}

//! What every request shares: the config, the store, the accounts and
//! sessions, and (when configured) this host's firewall.

use std::sync::{Arc, Mutex};

use ghostguard_firewall::Firewall;
use ghostguard_guard::notify::NotifyStats;
use ghostguard_store::Store;

use crate::auth::{Accounts, Sessions};
use crate::config::ServeConfig;
use crate::import::ImportStatus;

/// The kernel adapter ban changes are applied to (sync: `nft` runs as a
/// child process, so calls go through `spawn_blocking`).
pub type SharedFirewall = Arc<Mutex<dyn Firewall + Send>>;

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub cfg: ServeConfig,
    pub store: Store,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub firewall: Option<SharedFirewall>,
    pub alert_stats: Mutex<Option<Arc<NotifyStats>>>,
    pub imports: Mutex<Vec<ImportStatus>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("bind", &self.inner.cfg.bind)
            .field("store", self.inner.store.url())
            .field("firewall", &self.inner.firewall.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over an open store; `firewall` receives ban changes when set.
    #[must_use]
    pub fn new(cfg: ServeConfig, store: Store, firewall: Option<SharedFirewall>) -> AppState {
        let accounts = Accounts::new(cfg.users.clone(), cfg.tokens.clone());
        let sessions = Sessions::new(cfg.session.ttl);
        AppState {
            inner: Arc::new(Inner {
                cfg,
                store,
                accounts,
                sessions,
                firewall,
                alert_stats: Mutex::new(None),
                imports: Mutex::new(Vec::new()),
            }),
        }
    }

    #[must_use]
    pub fn config(&self) -> &ServeConfig {
        &self.inner.cfg
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn set_alert_stats(&self, stats: Arc<NotifyStats>) {
        *lock(&self.inner.alert_stats) = Some(stats);
    }

    pub(crate) fn alert_stats(&self) -> Option<Arc<NotifyStats>> {
        lock(&self.inner.alert_stats).clone()
    }

    pub(crate) fn record_import(&self, status: ImportStatus) {
        let mut list = lock(&self.inner.imports);
        list.retain(|s| s.source != status.source);
        list.push(status);
    }

    pub(crate) fn imports(&self) -> Vec<ImportStatus> {
        lock(&self.inner.imports).clone()
    }
}

/// Locks, taking the data of a poisoned mutex as it is (every writer
/// leaves it consistent).
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

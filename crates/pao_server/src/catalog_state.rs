//! The catalog the service answers from: loaded from the revision's current commit at start,
//! on `POST /catalog/refresh`, on a GitHub push and by the background poll. A load that fails
//! keeps the previous catalog in service (and the error for `/health/ready`); invalid files
//! never fail a load, they are left out and listed at `/catalog/validation-errors`.

use std::sync::{Arc, RwLock};

use pao_git::{CatalogReader, CatalogSnapshot};

use crate::metrics::Metrics;

/// The outcome of one load.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The commit now served.
    pub commit: String,
    /// Whether it differs from the commit served before.
    pub changed: bool,
    /// Valid documents.
    pub items: usize,
    /// Files left out.
    pub validation_errors: usize,
    /// Whether the parsed catalog came from the tree-id cache.
    pub cache_hit: bool,
}

/// The catalog in service.
pub struct CatalogState {
    reader: Arc<CatalogReader>,
    rev: String,
    current: RwLock<Option<Arc<CatalogSnapshot>>>,
    last_error: RwLock<Option<String>>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for CatalogState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogState").field("rev", &self.rev).finish_non_exhaustive()
    }
}

impl CatalogState {
    /// Nothing loaded yet.
    pub fn new(reader: Arc<CatalogReader>, rev: String) -> Self {
        Self {
            reader,
            rev,
            current: RwLock::new(None),
            last_error: RwLock::new(None),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The revision served (a branch follows the branch).
    pub fn rev(&self) -> &str {
        &self.rev
    }

    /// The reader.
    pub fn reader(&self) -> &Arc<CatalogReader> {
        &self.reader
    }

    /// The catalog in service, once one load succeeded.
    pub fn snapshot(&self) -> Option<Arc<CatalogSnapshot>> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Why the last load failed, when it did.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Loads the revision's current commit (concurrent callers wait for one load).
    ///
    /// # Errors
    /// When the revision cannot be resolved or read (the message says why); the previous
    /// catalog stays in service.
    pub async fn refresh(&self, metrics: &Metrics) -> Result<Refreshed, String> {
        let _guard = self.refresh_lock.lock().await;
        let reader = Arc::clone(&self.reader);
        let rev = self.rev.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let before = reader.parse_count();
            let snapshot = reader.load(&rev).map_err(|err| format!("cannot load the catalog at `{rev}`: {err}"));
            snapshot.map(|snapshot| (snapshot, reader.parse_count() == before))
        })
        .await
        .map_err(|err| format!("the catalog load task failed: {err}"))
        .and_then(|loaded| loaded);
        let (snapshot, cache_hit) = match loaded {
            Ok(loaded) => loaded,
            Err(err) => {
                *self.last_error.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(err.clone());
                return Err(err);
            }
        };
        metrics.catalog_loaded(cache_hit, snapshot.catalog.len(), snapshot.validation_errors().len());
        let previous = self.snapshot();
        let refreshed = Refreshed {
            commit: snapshot.commit.clone(),
            changed: previous.is_none_or(|p| p.commit != snapshot.commit),
            items: snapshot.catalog.len(),
            validation_errors: snapshot.validation_errors().len(),
            cache_hit,
        };
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(snapshot));
        *self.last_error.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Ok(refreshed)
    }
}

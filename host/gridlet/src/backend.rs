//! Where operator commands go: a [`Backend`] is the data directory, opened
//! by this process (the server stopped), or a running server's REST API.
//! [`crate::commands`] and [`crate::plugins`] add the operations each
//! command group needs (`impl Backend` blocks of their own).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use domain::Timestamp;
use store::{SledStore, StoreError};

use crate::client::ApiClient;
use crate::config::Config;

/// Where operator commands go.
pub enum Backend {
    /// The data directory, opened by this process.
    Local {
        /// The store.
        store: Arc<SledStore>,
        /// `auth.allow_stations_without_password`.
        allow_without_password: bool,
        /// The data directory (its `plugins/` is opened when a command needs it).
        data_dir: PathBuf,
    },
    /// A running server's API.
    Remote(ApiClient),
}

/// The time operator commands act at.
pub(crate) fn now() -> Timestamp {
    server::now()
}

/// Opens the data directory, explaining how to reach a running server
/// when another process holds it.
pub(crate) fn open_store(config: &Config) -> anyhow::Result<Arc<SledStore>> {
    match SledStore::open(&config.data_dir, config.store_options()) {
        Ok(store) => Ok(Arc::new(store)),
        Err(error @ StoreError::InUse { .. }) => Err(anyhow::anyhow!(
            "{error} (a running `gridlet serve`?). To work on a running server, go through its API: \
             `gridlet --api http://{} …` (or set GRIDLET_API_URL) with GRIDLET_API_KEY set to an API key; \
             create the first key with `gridlet api-key create --name NAME --scope admin` while the server is stopped",
            config.listen
        )),
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("cannot open the data directory {}", config.data_dir.display())))
        }
    }
}

impl Backend {
    /// The API at `api` if given, else the data directory.
    pub fn open(config: &Config, api: Option<&str>) -> anyhow::Result<Backend> {
        match api {
            Some(url) => Ok(Backend::Remote(ApiClient::new(url, std::env::var("GRIDLET_API_KEY").ok())?)),
            None => Ok(Backend::Local {
                store: open_store(config)?,
                allow_without_password: config.auth.allow_stations_without_password,
                data_dir: config.data_dir.clone(),
            }),
        }
    }

    /// Flushes and releases the data directory.
    pub fn close(self) -> anyhow::Result<()> {
        if let Backend::Local { store, .. } = self {
            store.close().context("could not flush the store")?;
        }
        Ok(())
    }
}

/// Runs `work` on `backend`, then closes it (also when `work` failed).
pub(crate) async fn with<T, F, Fut>(backend: Backend, work: F) -> anyhow::Result<T>
where
    F: FnOnce(Arc<Backend>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let backend = Arc::new(backend);
    let result = work(backend.clone()).await;
    match Arc::try_unwrap(backend) {
        Ok(backend) => backend.close()?,
        Err(_) => bail!("internal error: the data directory is still in use"),
    }
    result
}

/// The text of `file`, or of standard input when it is `-`.
pub(crate) fn read_input(file: &Path) -> anyhow::Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    }
}

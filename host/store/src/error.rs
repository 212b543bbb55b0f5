//! Why a store could not be opened.
//!
//! Failures after opening are the domain's [`StorageError`], which every
//! [`Storage`](domain::Storage) method returns.

use std::io;
use std::path::PathBuf;

use domain::StorageError;

/// Why [`SledStore::open`](crate::SledStore::open) failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (or another handle in this one) has the directory open.
    #[error("data directory {} is in use by another gridlet process", dir.display())]
    InUse {
        /// The data directory.
        dir: PathBuf,
    },
    /// The directory could not be created or its lock file not opened or locked.
    #[error("could not prepare data directory {}", dir.display())]
    Directory {
        /// The data directory.
        dir: PathBuf,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
    /// The database in the directory could not be opened.
    #[error("could not open the database in {}", dir.display())]
    Open {
        /// The data directory.
        dir: PathBuf,
        /// What the database said.
        #[source]
        source: io::Error,
    },
    /// The directory was written by a newer Gridlet.
    #[error(
        "data directory {} holds format version {found}, newer than the newest this gridlet reads ({supported}); run a newer gridlet",
        dir.display()
    )]
    NewerFormat {
        /// The data directory.
        dir: PathBuf,
        /// The format version on disk.
        found: u32,
        /// The newest format version this build reads.
        supported: u32,
    },
    /// The directory holds something that is not a Gridlet store, or a
    /// Gridlet store whose format marker is damaged.
    #[error("data directory {} does not hold a readable gridlet store: {detail}", dir.display())]
    NotAStore {
        /// The data directory.
        dir: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Reading or writing the store's metadata failed.
    #[error("could not prepare the store in {}", dir.display())]
    Storage {
        /// The data directory.
        dir: PathBuf,
        /// What failed.
        #[source]
        source: StorageError,
    },
    /// The flusher thread could not be started.
    #[error("could not start the store's flusher thread")]
    Flusher(#[source] io::Error),
    /// The writer thread could not be started.
    #[error("could not start the store's writer thread")]
    Writer(#[source] io::Error),
}

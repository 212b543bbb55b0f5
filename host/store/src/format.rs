//! The on-disk format version: written when a store is created, checked on
//! every open, and the one place where migrations from older formats run.
//!
//! The version covers the key layout (see the crate docs) and which record
//! versions may be found. Each value also starts with its own record version
//! byte (see [`crate::records`]), so a migration may rewrite records lazily.

use std::path::Path;

use crate::error::StoreError;
use crate::keys;

/// The format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Checks the format of the store in `db`; marks a new, empty store as
/// [`FORMAT_VERSION`]; migrates an older one.
pub(crate) fn check(db: &sled::Db, dir: &Path) -> Result<(), StoreError> {
    let storage = |e: sled::Error| StoreError::Storage {
        dir: dir.to_owned(),
        source: crate::backend(e),
    };
    let key = keys::meta(keys::meta::FORMAT);
    let Some(stored) = db.get(&key).map_err(storage)? else {
        if db.first().map_err(storage)?.is_some() {
            return Err(StoreError::NotAStore {
                dir: dir.to_owned(),
                detail: "it holds data but no format version".to_owned(),
            });
        }
        db.insert(&key, &FORMAT_VERSION.to_be_bytes())
            .map_err(storage)?;
        db.flush().map_err(storage)?;
        return Ok(());
    };
    let found = match <[u8; 4]>::try_from(stored.as_ref()) {
        Ok(bytes) => u32::from_be_bytes(bytes),
        Err(_) => {
            return Err(StoreError::NotAStore {
                dir: dir.to_owned(),
                detail: format!("its format version is {} bytes long, not 4", stored.len()),
            });
        }
    };
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            dir: dir.to_owned(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found < FORMAT_VERSION {
        migrate(db, dir, found)?;
    }
    Ok(())
}

/// Brings a store of format `from` up to [`FORMAT_VERSION`], one version at a
/// time, rewriting the format key after each step. Format 1 is the first, so
/// there is nothing to migrate yet; a step from N to N+1 goes here as
/// `N => migrate_N_to_N_plus_1(db)?`.
fn migrate(_db: &sled::Db, dir: &Path, from: u32) -> Result<(), StoreError> {
    Err(StoreError::NotAStore {
        dir: dir.to_owned(),
        detail: format!("format version {from} is unknown"),
    })
}

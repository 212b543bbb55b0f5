//! Opening a directory: one process at a time, and clear errors for what
//! cannot be read — never a panic.

use std::io::{Read, Write};
use std::path::Path;

use domain::{Change, Storage, StorageError};
use store::{FORMAT_VERSION, SledStore, StoreError};

use crate::support::*;

const HOLDER_DIR: &str = "GRIDLET_STORE_TEST_HOLDER_DIR";

#[test]
fn a_directory_in_use_by_another_process_is_refused_clearly() {
    if let Ok(dir) = std::env::var(HOLDER_DIR) {
        // the child half: hold the store open until the parent closes our stdin
        let _store = open(Path::new(&dir));
        println!("holding");
        std::io::stdout().flush().unwrap();
        std::io::stdin().read_to_end(&mut Vec::new()).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, mut stdout) = spawn_child(
        "opening::a_directory_in_use_by_another_process_is_refused_clearly",
        &[(HOLDER_DIR, dir.path().to_str().unwrap())],
    );
    next_line_with(&mut stdout, "holding").expect("the child did not open the store");

    let Err(error) = SledStore::open(dir.path(), options()) else {
        panic!("opened a directory in use")
    };
    assert!(matches!(error, StoreError::InUse { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "data directory {} is in use by another gridlet process",
            dir.path().display()
        )
    );

    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    open(dir.path());
}

#[test]
fn a_second_handle_in_the_same_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path());
    assert!(matches!(
        SledStore::open(dir.path(), options()),
        Err(StoreError::InUse { .. })
    ));
}

#[test]
fn a_corrupt_value_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    write(&store, Change::PutStation(station("CP1")));
    write(&store, Change::PutTransaction(transaction(3, "CP1", "TAG")));
    drop(store);
    // table 01 (stations), "CP1", text terminator 00 01: a record of version 1 cut short
    poke(dir.path(), b"\x01CP1\x00\x01", &[1, 0xFF]);
    // table 06 (transactions), number 3: a record of an unknown version
    poke(dir.path(), &[6, 0, 0, 0, 0, 0, 0, 0, 3], &[200, 1, 2, 3]);

    let store = open(dir.path());
    let error = store.station(&station_id("CP1")).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Corrupt {
                what: "station",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(matches!(
        store.stations(None, 10),
        Err(StorageError::Corrupt { .. })
    ));
    let error = store.transaction(3).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Corrupt {
                what: "transaction",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("unknown record version 200"),
        "{error}"
    );
    // the index still points at it: the lookup reports the damage too
    assert!(
        store
            .transaction_by_station_tx_id(&station_id("CP1"), "3")
            .is_err()
    );
}

#[test]
fn a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    // table 00 (meta), "format"
    poke(
        dir.path(),
        b"\x00format\x00\x01",
        &(FORMAT_VERSION + 1).to_be_bytes(),
    );
    let Err(error) = SledStore::open(dir.path(), options()) else {
        panic!("opened a newer format")
    };
    assert!(
        matches!(error, StoreError::NewerFormat { found, supported, .. } if found == FORMAT_VERSION + 1 && supported == FORMAT_VERSION),
        "{error:?}"
    );
    assert!(error.to_string().contains("run a newer gridlet"), "{error}");
}

#[test]
fn a_database_that_is_not_a_gridlet_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    poke(dir.path(), b"someone else's key", b"value");
    let Err(error) = SledStore::open(dir.path(), options()) else {
        panic!("opened a foreign database")
    };
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error:?}");
}

#[test]
fn a_data_directory_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, b"").unwrap();
    let Err(error) = SledStore::open(&file, options()) else {
        panic!("opened a file as a directory")
    };
    assert!(matches!(error, StoreError::Directory { .. }), "{error:?}");
}

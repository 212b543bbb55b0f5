//! `gridlet-test-kit PLUGIN.wasm [--manifest gridlet-plugin.toml] FIXTURE_OR_DIR...`
//!
//! Runs fixtures against a built tariff component and prints one line per
//! fixture and a closing `N passed, M failed` line; exits 1 on any failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gridlet_test_kit::{Fixture, TestKit};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut component = None;
    let mut manifest = None;
    let mut fixtures = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--manifest" => manifest = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!(
                    "usage: gridlet-test-kit PLUGIN.wasm [--manifest gridlet-plugin.toml] FIXTURE_OR_DIR..."
                );
                return ExitCode::SUCCESS;
            }
            _ if component.is_none() => component = Some(PathBuf::from(arg)),
            _ => fixtures.push(PathBuf::from(arg)),
        }
    }
    let Some(component) = component else {
        eprintln!("error: no component given (gridlet-test-kit --help)");
        return ExitCode::from(2);
    };
    let kit = match TestKit::load(&component, manifest.as_deref()) {
        Ok(kit) => kit,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcomes = Vec::new();
    for path in &fixtures {
        let result = if path.is_dir() {
            kit.run_dir(path)
        } else {
            Fixture::from_file(Path::new(path)).map(|f| vec![kit.run(&f)])
        };
        match result {
            Ok(mut o) => outcomes.append(&mut o),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    for outcome in &outcomes {
        match &outcome.failure {
            None => println!("ok     {}", outcome.name),
            Some(why) => println!("FAILED {}: {why}", outcome.name),
        }
    }
    println!("{} passed, {failed} failed", outcomes.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

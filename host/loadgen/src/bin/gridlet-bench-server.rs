//! The `gridlet` program, built inside the load generator's package so that
//! `gridlet-loadgen report` can start the exact server it measures (the same
//! entry point as `gridlet`, `gridlet::cli::main`) as a separate process.

fn main() -> std::process::ExitCode {
    gridlet::cli::main()
}

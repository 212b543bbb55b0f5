//! The `gridlet` program, built inside the test package so end-to-end tests
//! can start it as a separate process (and kill it).

fn main() -> std::process::ExitCode {
    gridlet::cli::main()
}

//! The `gridlet` program; everything lives in the library (`gridlet::cli`).

fn main() -> std::process::ExitCode {
    gridlet::cli::main()
}

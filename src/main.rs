//! The `veil` binary.

fn main() -> std::process::ExitCode {
    veil::cli::main()
}

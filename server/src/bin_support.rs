//! What the loopback binaries (techo-server, techo-booking-site) share: `--name value`
//! arguments, logging from `RUST_LOG`, and printing an error as the exit status.

/// The value after `name` in `args`, if any.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Prints `usage` for `--help`; otherwise sets up logging and runs `run`, printing its error
/// (prefixed with the binary's name) and failing the process when it returns one.
pub async fn main<F>(
    name: &str,
    usage: &str,
    run: impl FnOnce(Vec<String>) -> F,
) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{usage}");
        return std::process::ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

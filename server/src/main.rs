use clap::Parser;

/// mimalloc, not glibc's malloc: rendering a page allocates thousands of short
/// strings, and malloc/free were ~25 % of the server's CPU on the home page.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = tessera::cli::Cli::parse();
    // TLS for outgoing webhooks (https endpoints) uses ring's primitives.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(tessera::cli::run(cli));
    // A thread still blocked (a DNS lookup of a webhook host that does not
    // answer) must not hold the exit once serving has stopped.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

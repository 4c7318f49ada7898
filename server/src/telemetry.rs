use std::io::IsTerminal;
use tessera_core::config::{Config, LogFormat};
use tracing_subscriber::{EnvFilter, fmt};

/// Logs go to stderr; stdout is kept for what a person or a script reads
/// (the start-up banner with the URLs).
pub fn init(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&config.log_level)).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

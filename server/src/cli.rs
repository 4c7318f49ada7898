use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tessera_core::{Platform, config::Config, db::Db};

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "Tessera, the self-hostable voucher platform")]
pub struct Cli {
    /// A TOML configuration file; environment variables (TESSERA_*, DATABASE_URL) override it.
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the APIs and the webview (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Add the demo catalog (idempotent), then exit.
    Demo,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    crate::telemetry::init(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let platform = open(config).await?;
            crate::serve::serve(platform).await
        }
        Command::Migrate => {
            open(config).await?;
            println!("tessera: database is up to date");
            Ok(())
        }
        Command::Demo => {
            let platform = open(config).await?;
            let added = tessera_core::demo::seed(&platform.db).await.context("seeding demo data")?;
            println!("tessera: demo data ready ({added} rows added)");
            Ok(())
        }
    }
}

/// Connects to the database and brings its schema up to date.
async fn open(config: Config) -> anyhow::Result<Platform> {
    let db = Db::connect(&config.database, config.database_max_connections)
        .await
        .with_context(|| format!("could not open the database at {} (check DATABASE_URL)", config.database))?;
    db.migrate().await.context("could not apply database migrations")?;
    tracing::info!(database = %config.database, "database ready");
    Ok(Platform { db, config: config.into() })
}

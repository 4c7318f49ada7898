use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tessera_core::types::{ExternalUserId, PartnerId};
use tessera_core::{Platform, config::Config, db::Db, demo, partners, users};

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
    /// Add the demo partner, catalog and user (idempotent), then exit.
    Demo,
    /// Remove now what has outlived the retention (`retention_days`,
    /// `ledger_retention_days`; the server also does this every minute) and print
    /// what was removed, as JSON. Undelivered events are never removed.
    Prune,
    /// Manage partners.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Console and portal accounts (SPEC §12).
    #[command(subcommand)]
    User(UserCommand),
    /// Development tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Webhook tools for partners debugging their receiver.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Print the OpenAPI document the server serves at /openapi.json; or compare it
    /// with the committed copy (`--check`, exit 1 when they differ) or rewrite it (`--write`).
    Openapi {
        #[arg(long, conflicts_with = "write")]
        check: bool,
        #[arg(long)]
        write: bool,
        /// The committed copy.
        #[arg(long, default_value = "docs/openapi.json")]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Check a captured webhook: the raw body on standard input, its headers as
    /// arguments. Exits 0 when the signature verifies, 1 with the reason when not.
    ///
    /// Example: tessera webhook verify --scheme tessera --secret "$SECRET"
    ///          --header "X-Signature: t=1764000000,v1=5f0c…" < body.json
    Verify {
        /// The endpoint's signing secret.
        #[arg(long, env = "TESSERA_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        /// tessera, standard-webhooks, hubble or spaaza.
        #[arg(long, default_value = "tessera", value_parser = ["tessera", "standard-webhooks", "hubble", "spaaza"])]
        scheme: String,
        /// A received header, "Name: value" (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// Also check the timestamp is within 5 minutes of now (as a live receiver must).
        #[arg(long)]
        check_time: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its password (shown once; reading one from
    /// standard input with --password-stdin instead).
    Create {
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a one-time link (24 h) with which the person makes their own
    /// account, choosing their password. No email is sent.
    Invite {
        #[command(flatten)]
        who: Who,
    },
    /// Unlock an account locked after too many failed sign-ins.
    Unlock {
        #[arg(long)]
        email: String,
    },
}

/// Who an account is for: an email, and an operator or a partner's role.
#[derive(Debug, clap::Args)]
pub struct Who {
    #[arg(long)]
    email: String,
    /// An operator: everything, every partner.
    #[arg(long, conflicts_with_all = ["role", "partner"])]
    operator: bool,
    /// partner_admin, partner_developer or designer (with --partner).
    #[arg(long, requires = "partner")]
    role: Option<String>,
    #[arg(long)]
    partner: Option<String>,
}

/// The role of `--operator` or `--role`.
fn role_of(operator: bool, role: Option<&str>) -> anyhow::Result<tessera_core::people::Role> {
    use tessera_core::people::Role;
    match (operator, role) {
        (true, _) => Ok(Role::Operator),
        (false, Some(r)) => Role::parse(r)
            .filter(|r| *r != Role::Operator)
            .ok_or_else(|| anyhow::anyhow!("--role must be partner_admin, partner_developer or designer (or use --operator)")),
        (false, None) => anyhow::bail!("give --operator, or --role with --partner"),
    }
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Create a partner and print its credentials (shown once).
    Create {
        /// Lowercase letters, digits, - and _; generated when absent.
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        name: String,
        /// An origin allowed to embed the webview (repeatable).
        #[arg(long = "origin")]
        origins: Vec<String>,
        #[arg(long)]
        sandbox: bool,
    },
    /// Replace the API, JWT or integration secret; the old one keeps verifying for
    /// the grace period (at most 7 days).
    RotateSecret {
        #[arg(long)]
        partner: String,
        #[arg(long, value_parser = ["api", "jwt", "integration"])]
        kind: String,
        #[arg(long, default_value_t = 86_400)]
        grace_seconds: i64,
    },
    /// List partners (never their secrets).
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint an HS256 JWT for a partner's user, as the partner's backend would.
    Mint {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        user: String,
        /// Lifetime in seconds, at most 3600.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
}

/// `tessera openapi`: the document, compared or written (scripts/test runs `--check`).
/// `tessera openapi`: the document, and `docs/api.md` (the same reference as
/// Markdown, beside it) when writing or checking.
fn openapi_command(check: bool, write: bool, file: &std::path::Path) -> anyhow::Result<()> {
    let generated = crate::http::openapi::document();
    let markdown = tessera_app::pages::api_reference::Reference::from_openapi(&crate::http::openapi::spec()).markdown();
    let markdown_file = file.with_file_name("api.md");
    let files = [(file, &generated), (markdown_file.as_path(), &markdown)];
    if write {
        for (path, text) in files {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            println!("tessera: wrote {}", path.display());
        }
    } else if check {
        for (path, text) in files {
            let committed = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            if &committed != text {
                anyhow::bail!("{} is out of date: run `tessera openapi --write` and commit it", path.display());
            }
            println!("tessera: {} matches the code", path.display());
        }
    } else {
        use std::io::Write;
        // `tessera openapi | head` closing the pipe early is not an error.
        match std::io::stdout().write_all(generated.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Needs neither configuration nor database: it runs on a partner's laptop.
    if let Some(Command::Webhook(WebhookCommand::Verify { secret, scheme, headers, check_time })) = &cli.command {
        return verify_webhook(secret, scheme, headers, *check_time);
    }
    if let Some(Command::Openapi { check, write, file }) = &cli.command {
        return openapi_command(*check, *write, file);
    }
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
            let seeded = tessera_core::demo::seed(&platform).await.map_err(api_error).context("seeding demo data")?;
            println!("tessera: demo data ready ({} rows added)", seeded.rows_added);
            match seeded.new_credentials {
                Some(creds) => print_credentials(&creds),
                None => println!(
                    "  secrets     shown when the demo partner was created; for new ones (the old keep working 24 h):\n              \
                     target/debug/tessera partner rotate-secret --partner {} --kind api   (and --kind jwt)",
                    demo::PARTNER_ID
                ),
            }
            // The demo partner's backend is the built-in sandbox one, on this server.
            let base = platform.config.own_origin().map(|u| u.as_str().trim_end_matches('/').to_string()).unwrap_or_default();
            let sandbox = format!("{base}/sandbox/{}", demo::PARTNER_ID);
            if seeded.partner.view().integration_base_url.as_deref() != Some(sandbox.as_str()) {
                let input = partners::IntegrationInput { base_url: Some(sandbox.clone()), coins_ledger: Some(true) };
                partners::set_integration(&platform, &demo::PARTNER_ID.into(), &input).await.map_err(api_error)?;
            }
            println!("  backend     {sandbox}  (built-in sandbox: SSO and coins ledger)");
            // The demo's operator account for the console, made once (its password shown then).
            let (email, password) = ("operator@demo.example", tessera_core::people::generated_password());
            match tessera_core::people::create(&platform.db, email, &password, tessera_core::people::Role::Operator, None).await {
                Ok(_) => println!("  console     {email} / {password}  (sign in at /console/login; shown once)"),
                Err(e) if e.code() == tessera_core::error::ErrorCode::Conflict => {
                    println!("  console     {email}  (its password was shown when it was made)")
                }
                Err(e) => return Err(api_error(e)),
            }
            let token = mint_now(seeded.partner.jwt_secret(), &demo::PARTNER_ID.into(), &demo::USER_ID.into(), 3600);
            println!("  demo user   {} (partner {})", demo::USER_ID, demo::PARTNER_ID);
            println!("  JWT (1 h)   {token}");
            Ok(())
        }
        Command::Prune => {
            let platform = open(config).await?;
            let mut total = tessera_core::retention::Pruned::default();
            loop {
                let now = tessera_core::clock::now_ms();
                let pruned = tessera_core::retention::prune(&platform.db, platform.config.retention, now, 100).await.map_err(api_error)?;
                if pruned.total() == 0 {
                    break;
                }
                total += pruned;
            }
            println!("{}", serde_json::to_string(&total)?);
            Ok(())
        }
        Command::Webhook(_) | Command::Openapi { .. } => unreachable!("handled before the configuration is read"),
        Command::Partner(cmd) => {
            let platform = open(config).await?;
            partner_command(&platform, cmd).await
        }
        Command::User(cmd) => {
            let platform = open(config).await?;
            user_command(&platform, cmd).await
        }
        Command::Token(TokenCommand::Mint { partner, user, ttl }) => {
            if !(1..=3600).contains(&ttl) {
                anyhow::bail!("--ttl must be 1–3600 seconds: the platform refuses longer-lived tokens");
            }
            let platform = open(config).await?;
            let p = partners::get(&platform.db, &partner.into()).await.map_err(api_error)?;
            users::validate_external_user_id(&user).map_err(|e| anyhow::anyhow!("--user {e}"))?;
            println!("{}", mint_now(p.jwt_secret(), &p.id, &user.into(), ttl));
            Ok(())
        }
    }
}

/// Emails an invitation's link when a mail server is configured (`None` when
/// none is); why it did not go, if it did not.
pub async fn email_invitation(
    config: &tessera_core::config::Config,
    inv: &tessera_core::people::Invitation,
    link: &str,
) -> Option<Result<(), String>> {
    let smtp = config.smtp.as_ref()?;
    let role = inv.role.to_string().replace('_', " ");
    let as_what = match &inv.partner_id {
        Some(p) => format!("{role} of partner {}", p.as_str()),
        None => role,
    };
    let valid_until = inv.expires_at.to_rfc3339();
    let mail = tessera_core::mail::InvitationMail { to: &inv.email, link, as_what: &as_what, valid_until: &valid_until };
    let sent = tessera_core::mail::send_invitation(smtp, &mail).await;
    if let Err(why) = &sent {
        tracing::warn!(error = %why, "an invitation could not be emailed");
    }
    Some(sent)
}

/// The address of an invitation's page, on this server's public URL.
pub fn invitation_link(config: &tessera_core::config::Config, token: &str) -> String {
    let origin = config.own_origin().map(|u| u.as_str().trim_end_matches('/').to_string()).unwrap_or_default();
    format!("{origin}/console/invite/{token}")
}

fn api_error(e: tessera_core::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.body()["error"])
}

fn mint_now(secret: &str, partner: &PartnerId, user: &ExternalUserId, ttl: i64) -> String {
    tessera_core::tokens::mint(secret, partner, user, tessera_core::clock::now_ms() / 1000, ttl)
}

fn print_credentials(c: &partners::PartnerCredentials) {
    println!("  partner id  {}", c.partner_id);
    if let Some(s) = &c.api_secret {
        println!("  API secret  {s}");
    }
    if let Some(s) = &c.jwt_secret {
        println!("  JWT secret  {s}");
    }
    if let Some(s) = &c.integration_secret {
        println!("  integration secret  {s}  (X-Tessera-Secret)");
    }
    if let Some(until) = &c.previous_valid_until {
        println!("  the old secret verifies until {until}");
    }
    println!("  Store these now: they are not shown again.");
}

async fn user_command(platform: &Platform, cmd: UserCommand) -> anyhow::Result<()> {
    use tessera_core::people;
    let db = &platform.db;
    match cmd {
        UserCommand::Create { who: Who { email, operator, role, partner }, password_stdin } => {
            let role = role_of(operator, role.as_deref())?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (people::generated_password(), true)
            };
            let partner = partner.map(PartnerId::new);
            let person = people::create(db, &email, &password, role, partner.as_ref()).await.map_err(api_error)?;
            println!("tessera: account created");
            println!("  email       {}", person.email);
            println!("  role        {}", person.role);
            if let Some(p) = &person.partner_id {
                println!("  partner     {p}");
            }
            if generated {
                println!("  password    {password}");
                println!("  Store it now: it is not shown again. Sign in at /console/login.");
            }
        }
        UserCommand::Invite { who: Who { email, operator, role, partner } } => {
            let role = role_of(operator, role.as_deref())?;
            let partner = partner.map(PartnerId::new);
            let now = tessera_core::clock::now_ms();
            let (inv, token) = people::invite(db, None, &email, role, partner.as_ref(), now).await.map_err(api_error)?;
            println!("tessera: invitation made for {} ({})", inv.email, inv.role);
            let link = invitation_link(&platform.config, &token);
            println!("  link        {link}");
            println!("  valid until {} (once)", inv.expires_at.to_rfc3339());
            match email_invitation(&platform.config, &inv, &link).await {
                None => {}
                Some(Ok(())) => println!("  emailed to  {}", inv.email),
                Some(Err(why)) => println!("  not emailed ({why}): give them the link yourself"),
            }
        }
        UserCommand::Unlock { email } => {
            let person = people::unlock(db, None, &email, tessera_core::clock::now_ms()).await.map_err(api_error)?;
            println!("tessera: {} unlocked", person.email);
        }
    }
    Ok(())
}

async fn partner_command(platform: &Platform, cmd: PartnerCommand) -> anyhow::Result<()> {
    let db = &platform.db;
    match cmd {
        PartnerCommand::Create { id, name, origins, sandbox } => {
            let (_, creds) =
                partners::create(db, partners::NewPartner { id, name, allowed_origins: origins, sandbox }).await.map_err(api_error)?;
            println!("tessera: partner created");
            print_credentials(&creds);
        }
        PartnerCommand::RotateSecret { partner, kind, grace_seconds } => {
            let kind = match kind.as_str() {
                "api" => partners::SecretKind::Api,
                "jwt" => partners::SecretKind::Jwt,
                _ => partners::SecretKind::Integration,
            };
            let grace = partners::rotation_grace_ms(Some(grace_seconds)).map_err(api_error)?;
            let creds = partners::rotate_secret(platform, &partner.into(), kind, grace).await.map_err(api_error)?;
            println!("tessera: secret rotated");
            print_credentials(&creds);
        }
        PartnerCommand::List => {
            for p in partners::list(db).await.map_err(api_error)? {
                let v = p.view();
                println!("{}\t{}\t{}{}", v.id, v.name, v.allowed_origins.join(","), if v.sandbox { "\tsandbox" } else { "" });
            }
        }
    }
    Ok(())
}

/// Connects to the database and brings its schema up to date.
async fn open(config: Config) -> anyhow::Result<Platform> {
    let db = Db::connect(&config.database, config.database_max_connections)
        .await
        .with_context(|| format!("could not open the database at {} (check DATABASE_URL)", config.database))?;
    db.migrate().await.context("could not apply database migrations")?;
    tessera_core::vouchers::fill_plain_titles(&db).await.map_err(api_error).context("could not fill the vouchers' plain titles")?;
    tracing::info!(database = %config.database, "database ready");
    Ok(Platform::new(db, config.into()))
}

fn verify_webhook(secret: &str, scheme: &str, headers: &[String], check_time: bool) -> anyhow::Result<()> {
    use std::io::Read;
    use tessera_core::webhooks::signing::{self, Scheme};
    let scheme = Scheme::parse(scheme).context("unknown scheme")?;
    let mut map = axum::http::HeaderMap::new();
    for raw in headers {
        let (name, value) = raw.split_once(':').with_context(|| format!("--header {raw:?} is not \"Name: value\""))?;
        let name = axum::http::HeaderName::from_bytes(name.trim().as_bytes()).with_context(|| format!("{name:?} is not a header name"))?;
        let value = value.trim().parse().with_context(|| format!("the value of {name} is not a header value"))?;
        map.append(name, value);
    }
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).context("reading the body from standard input")?;
    let now = check_time.then(|| tessera_core::clock::now_ms() / 1000);
    match signing::verify(scheme, secret, &map, &body, now) {
        Ok(()) => {
            println!("valid: the {} signature matches this body ({} bytes)", scheme.as_str(), body.len());
            Ok(())
        }
        Err(why) => anyhow::bail!("not valid: {why}"),
    }
}

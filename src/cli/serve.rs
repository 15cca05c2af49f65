//! `skl-cms serve`: migrate, seed on first start, and serve until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, time::Instant};

use anyhow::Context;
use tokio::net::TcpListener;

use super::units::{parse_interval, parse_size};
use crate::{
    app::{self, AppState},
    backup,
    cli::Failure,
    content::transfer,
    db,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address and port to listen on. Behind a reverse proxy keep the loopback address.
    #[arg(
        long,
        env = "SKL_BIND",
        default_value = "127.0.0.1:3000",
        value_name = "ADDR:PORT"
    )]
    pub bind: SocketAddr,

    /// The public address of the site, used in canonical links, feeds and the sitemap, such as
    /// `https://www.example.se`. Defaults to `http://` and the bind address.
    #[arg(long, env = "SKL_BASE_URL", value_parser = parse_base_url, value_name = "URL")]
    pub base_url: Option<String>,

    /// The reverse proxies (nginx, Caddy) in front of the server, as addresses and CIDR ranges:
    /// `127.0.0.1,::1` or `10.0.0.0/8`. Only for requests from them are `X-Forwarded-For` (the
    /// rightmost address that is not one of them is the client, for the audit log and login
    /// throttling) and `X-Request-Id` believed; from anyone else they are ignored. None by default.
    #[arg(
        long,
        env = "SKL_TRUSTED_PROXIES",
        value_parser = crate::proxy::TrustedProxies::parse,
        value_name = "LIST"
    )]
    pub trusted_proxies: Option<crate::proxy::TrustedProxies>,

    /// Deprecated: `--trusted-proxies 127.0.0.1,::1` says the same (a proxy on this machine).
    #[arg(long, env = "SKL_BEHIND_PROXY")]
    pub behind_proxy: bool,

    /// The most memory the cache of rendered pages may hold, such as `64MiB` or `1GiB`. Past it, the
    /// pages used least make room. Each page takes about its size three times over (plain, gzip and
    /// brotli): 64 MiB holds some 4,000 pages of 15 KB. `0` keeps nothing: every request renders.
    #[arg(long, env = "SKL_CACHE_SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub cache_size: u64,

    /// How many seconds a shared cache in front of the site (a CDN) may serve public pages, feeds
    /// and the sitemap without asking again (`s-maxage`, with `stale-while-revalidate` as long).
    /// Browsers still revalidate every time. 0, the default, has every cache revalidate, so an
    /// edit is seen at once.
    #[arg(
        long,
        env = "SKL_CDN_MAX_AGE",
        default_value_t = 0,
        value_name = "SECONDS"
    )]
    pub cdn_max_age: u32,

    /// The most an upload to the media library may hold, all its files together, such as `10MiB`
    /// or `50MiB`. A larger one is refused with a page that names the limit, while it streams in.
    #[arg(long, env = "SKL_MAX_UPLOAD", default_value = "10MiB", value_parser = parse_size)]
    pub max_upload: u64,

    /// Where to serve `/metrics` (Prometheus text format), such as `127.0.0.1:9100`: an address of
    /// its own, never the site's. Off unless set.
    #[arg(long, env = "SKL_METRICS_BIND", value_name = "ADDR:PORT")]
    pub metrics_bind: Option<SocketAddr>,

    /// The most connections served at once. Past it, a new connection is answered 503 with
    /// `Retry-After: 1` and closed (logged once a minute with the count). Keep it below the
    /// process's limit of open files (`ulimit -n`, `LimitNOFILE=` in systemd).
    #[arg(
        long,
        env = "SKL_MAX_CONNECTIONS",
        default_value_t = crate::app::DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    pub max_connections: u32,

    /// How many months after its last review (a save, or "mark as reviewed") a published page is
    /// listed at `/admin/review` as due for another.
    #[arg(
        long,
        env = "SKL_REVIEW_AFTER",
        default_value_t = crate::app::DEFAULT_REVIEW_MONTHS,
        value_parser = clap::value_parser!(u32).range(1..=120),
        value_name = "MONTHS"
    )]
    pub review_after: u32,

    /// Require administrators to log in with a code from an authenticator app as well as their
    /// password. An administrator without one is shown only the screen that turns it on, and cannot
    /// turn it off. `skl-cms user reset-2fa NAME` turns it off for someone who lost their phone and
    /// their recovery codes.
    #[arg(long, env = "SKL_REQUIRE_2FA_FOR_ADMINS")]
    pub require_2fa_for_admins: bool,

    /// A folder for backups the server takes by itself, each checked before it is kept, named
    /// `skl-cms-{time}.db`. Off unless set.
    #[arg(long, env = "SKL_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<std::path::PathBuf>,

    /// How often to take a backup into `--backup-dir`: `24h`, `6h`, `30m`, `7d`. The first is taken
    /// when the newest in the folder is that old, at once if there is none.
    #[arg(long, env = "SKL_BACKUP_EVERY", default_value = "24h", value_parser = parse_interval)]
    pub backup_every: std::time::Duration,

    /// How many backups to keep in `--backup-dir`; older ones are removed after each new one.
    #[arg(long, env = "SKL_BACKUP_KEEP", default_value_t = 7, value_name = "N")]
    pub backup_keep: usize,
}

/// Accepts `http://host[:port]` or `https://host[:port]`, with an optional trailing slash.
pub(crate) fn parse_base_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` must start with http:// or https://"))?;
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !valid {
        return Err(format!(
            "`{text}` must be just a scheme and host, such as https://www.example.se"
        ));
    }
    Ok(trimmed.to_owned())
}

pub async fn run(
    database: &db::Location,
    cdn: Option<&crate::cdn::Endpoint>,
    args: Args,
) -> Result<(), Failure> {
    let started = Instant::now();
    // Held while serving, so that `skl-cms restore` never swaps the file under this server.
    let _hold = database
        .file()
        .map(backup::DatabaseLock::shared)
        .transpose()
        .map_err(|error| Failure::Usage(error.to_string()))?;
    let pool = database.open().await?;
    if let Some(report) = transfer::seed_if_new(&pool)
        .await
        .context("cannot seed the database")?
    {
        tracing::info!(
            pages = report.changes.len(),
            "seeded the new database with the built-in content"
        );
    }
    let base_url = args
        .base_url
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let mut state = AppState::new(pool.clone(), &base_url)
        .await
        .context("cannot read the database")?;
    let proxies = match (args.trusted_proxies, args.behind_proxy) {
        (Some(proxies), _) => proxies,
        (None, true) => {
            tracing::warn!(
                "--behind-proxy (SKL_BEHIND_PROXY) is deprecated: it trusts a proxy on this machine; \
                 say so with --trusted-proxies 127.0.0.1,::1 (SKL_TRUSTED_PROXIES)"
            );
            crate::proxy::TrustedProxies::loopback()
        }
        (None, false) => crate::proxy::TrustedProxies::default(),
    };
    if !proxies.is_empty() {
        state = state.with_trusted_proxies(proxies);
    }
    if args.cdn_max_age > 0 {
        state = state.with_cdn_max_age(args.cdn_max_age);
    }
    if let Some(endpoint) = cdn {
        tracing::info!(%endpoint, "purging the shared cache in front when content changes");
        state = state.with_cdn_purger(crate::cdn::Purger::start(endpoint.clone()));
    }
    state = state
        .with_max_upload(args.max_upload)
        .with_max_connections(args.max_connections as usize)
        .with_two_factor_for_admins(args.require_2fa_for_admins)
        .with_review_months(args.review_after);
    if args.cache_size != crate::render_cache::DEFAULT_BUDGET {
        state = state
            .with_cache_budget(args.cache_size)
            .await
            .context("cannot read the database")?;
    }
    if let Some(dir) = args.backup_dir {
        if database.file().is_none() {
            return Err(Failure::Usage(format!(
                "--backup-dir {} backs up a SQLite file; this site's database is PostgreSQL: back it \
                 up with pg_dump on a schedule of its own (see docs/deploy.md)",
                dir.display()
            )));
        }
        let schedule = backup::Schedule {
            dir,
            every: args.backup_every,
            keep: args.backup_keep,
        };
        tracing::info!(folder = %schedule.dir.display(), every = ?schedule.every, keep = schedule.keep, "backups scheduled");
        tokio::spawn(backup::schedule(
            pool.clone(),
            schedule,
            state.clock.clone(),
            std::sync::Arc::clone(&state.metrics),
        ));
    }
    crate::admin::login::offer_setup_link(&state)
        .await
        .context("cannot prepare the setup link")?;
    if let Some(metrics_bind) = args.metrics_bind {
        if metrics_bind == args.bind {
            return Err(Failure::Usage(format!(
                "--metrics-bind {metrics_bind} is the site's own address; give the metrics one of their own"
            )));
        }
        let listener = TcpListener::bind(metrics_bind).await.map_err(|error| {
            Failure::Usage(format!(
                "cannot listen on {metrics_bind} for metrics: {error}"
            ))
        })?;
        tracing::info!(address = %metrics_bind, "serving metrics at /metrics");
        let metrics = crate::metrics::router(state.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, metrics).await {
                tracing::error!(%error, "the metrics server stopped");
            }
        });
    }
    let listener = TcpListener::bind(args.bind)
        .await
        .map_err(|error| Failure::Usage(format!("cannot listen on {}: {error}", args.bind)))?;
    tracing::info!(
        address = %args.bind,
        %base_url,
        database = %database,
        startup_ms = started.elapsed().as_millis(),
        "serving"
    );
    app::serve(listener, state, app::shutdown_signal())
        .await
        .context("the server failed")?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

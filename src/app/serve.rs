//! The server loop: connections accepted within a limit, served until shutdown, and the task that
//! notices changes made by other processes.

use std::{future::Future, sync::Arc, time::Duration};

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::{AppState, CHANGE_POLL, HEADER_READ_TIMEOUT, Peer, SHUTDOWN_GRACE, router};
use crate::{db, front::Front};

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish.
///
/// The accept loop is hyper-util's rather than `axum::serve`'s because axum's sets no timer, and so no
/// header-read timeout: a client could hold a connection (and a file descriptor) open for ever by
/// sending its request head a byte at a time.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watcher = tokio::spawn(watch_for_outside_changes(state.clone()));
    let proxies = Arc::new(state.site.trusted_proxies.clone());
    let https = state.site.base_url.starts_with("https://");
    let app = Front::new(router(state.clone()), Arc::clone(&state.cache), https)
        .map_request(|request: axum::http::Request<Incoming>| request.map(Body::new));
    let mut connections = auto::Builder::new(TokioExecutor::new());
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    connections.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(state.site.max_connections));
    let mut refusals = Refusals::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Usually out of file descriptors: wait for connections to close rather than spin.
                    tracing::error!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            refusals.refuse(stream);
            continue;
        };
        // Small responses go out at once rather than waiting to be coalesced (Nagle's algorithm).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let proxies = Arc::clone(&proxies);
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: axum::http::Request<Incoming>| {
                // A request id is taken over only from a proxy this site trusts; anyone else's is
                // replaced by one of ours, so that log lines cannot be made to look like another's.
                if request.headers().contains_key("x-request-id") && !proxies.trusts(peer.ip()) {
                    request.headers_mut().remove("x-request-id");
                }
                if proxies.says_https(peer.ip(), request.headers()) {
                    request
                        .extensions_mut()
                        .insert(crate::proxy::ForwardedHttps);
                }
                // Only the admin area asks who is at the other end; the first extension of a request
                // allocates, which public pages, cache hits above all, are spared.
                if request.uri().path().starts_with("/admin") {
                    request.extensions_mut().insert(Peer(peer));
                }
                request
            },
        ));
        let connection = connections
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
    }
    watcher.abort();
    write_search_misses(&state).await;
    Ok(())
}

/// What a connection past `--max-connections` is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 50\r\nConnection: close\r\n\r\n\
The server is busy. Please try again in a moment.\n";

/// Refuses connections past the limit with [`BUSY`], and logs them once a minute at most, with how
/// many there were, rather than once each.
#[derive(Default)]
struct Refusals {
    since_logged: u64,
    logged_at: Option<std::time::Instant>,
}

impl Refusals {
    fn refuse(&mut self, stream: tokio::net::TcpStream) {
        // A small answer fits the socket's buffer at once; a client that does not read it is
        // closed on all the same.
        let _ = stream.try_write(BUSY);
        drop(stream);
        self.since_logged += 1;
        let due = self
            .logged_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        if due {
            tracing::warn!(
                refused = self.since_logged,
                "too many open connections (--max-connections): new ones get 503"
            );
            self.since_logged = 0;
            self.logged_at = Some(std::time::Instant::now());
        }
    }
}

/// Empties the render cache when pages change behind the server's back: an edit on another
/// instance on the same database, or an operator's `skl-cms import` against the database of a
/// running server; and retries a refresh that failed. Changes made through this server invalidate
/// the cache at once. Of the others, PostgreSQL sends notice the moment they commit
/// ([`db::changes::Notices`]); on SQLite, and for any notice missed, the content version (one row)
/// is read every [`CHANGE_POLL`].
async fn watch_for_outside_changes(state: AppState) {
    let mut ticks = tokio::time::interval(CHANGE_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The notices are heard by a task of their own, so that no notice is lost half-read when a
    // tick comes first, and handed over in order. Should the loop fall behind by more than the
    // channel holds, the task notes that some were dropped, and the loop reads the content version
    // instead. The task ends with this one (a `JoinSet` aborts its tasks when dropped).
    let (heard, mut notices) = tokio::sync::mpsc::channel::<db::changes::Notice>(256);
    let mut listening = tokio::task::JoinSet::new();
    listening.spawn({
        let mut listener = db::changes::Notices::of(&state.db);
        async move {
            loop {
                let notice = listener.next().await;
                match heard.try_send(notice) {
                    Ok(()) => {}
                    Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                        // The version check after the notices in the channel covers this one.
                        let _ = heard.send(db::changes::Notice::Something).await;
                    }
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
        }
    });
    let mut passed = state.cache.scheduled_passed();
    // Of several instances, one tells the shared cache in front that a scheduled page went live.
    let mut schedule_purge = state.cdn.as_ref().map(|cdn| {
        (
            cdn,
            db::lease::Lease::new(&state.db, db::lease::Work::SchedulePurge),
        )
    });
    loop {
        let told = tokio::select! {
            _ = ticks.tick() => {
                write_search_misses(&state).await;
                None
            }
            notice = notices.recv() => match notice {
                Some(db::changes::Notice::Told(text)) => Some(text),
                _ => None,
            },
        };
        // Another instance's change, told in detail: forget what it made stale, as for one of
        // this instance's own (or everything, if something else changed since).
        if let Some(changes) = told.as_deref().and_then(crate::change::announce::decode) {
            state.show_elsewhere(&changes).await;
        }
        // A scheduled page went live: anything a shared cache keeps may show the site without it.
        // The lease is asked for on every round, so that another instance takes it over within
        // seconds when the one that held it dies.
        if let Some((cdn, lease)) = &mut schedule_purge {
            let leading = lease.hold().await;
            let now = state.cache.scheduled_passed();
            if now != passed {
                passed = now;
                if leading {
                    cdn.purge_everything();
                }
            }
        }
        let Ok(outside) = state.changed_elsewhere().await else {
            continue;
        };
        if (outside || state.cache.is_unsure()) && state.content_changed().await.is_ok() {
            if outside {
                tracing::info!("pages changed elsewhere; cached pages dropped");
            } else {
                tracing::info!("the publishing schedule is readable again; pages are cached again");
            }
        }
    }
}

/// Writes the searches that found little, counted since the last time, and forgets those older
/// than the report keeps.
pub async fn write_search_misses(state: &AppState) {
    let misses = state.search_misses.take();
    if misses.is_empty() {
        return;
    }
    let keep_from =
        state.clock.now() - jiff::SignedDuration::from_hours(24 * db::search::KEEP_MISSES_DAYS);
    let keep_from = crate::time::to_db(keep_from);
    let day = crate::time::day_of(&keep_from);
    if let Err(error) = db::search::record_misses(&state.db, &misses, day).await {
        tracing::warn!(%error, "cannot write the counts of searches that found little");
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(super::BUSY).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .and_then(|length| length.parse().ok())
            .expect("a length");
        assert_eq!(length, body.len());
        assert!(head.starts_with("HTTP/1.1 503 ") && head.contains("Retry-After: 1"));
    }
}

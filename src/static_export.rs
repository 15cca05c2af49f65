//! A static copy of the site: every address a visitor can reach, written as files that any web
//! server, CDN or archive can serve without this program.
//!
//! Each address is rendered by the site's own router, so the copy is exactly what the server would
//! answer: every visible page, every page of the news lists, the feeds, the sitemap (and its files on
//! a large site), `robots.txt`, the "not found" page of each language (`404.html`, `en/404.html`) and
//! the static assets. Old addresses of moved pages become small pages that lead on to the new ones.
//! Beside each text file lie its gzip and brotli forms (`.gz`, `.br`), for nginx's `gzip_static`
//! and `brotli_static`. Search needs the server, so the copy's pages have no search box.
//!
//! A page's address `/om-oss` becomes the file `om-oss/index.html`; addresses with a file extension
//! (`/feed.xml`) keep their name. The copy is built in a folder beside the target and swapped in
//! when complete, so a failed or interrupted export leaves the previous copy as it was, and pages
//! removed since are gone from the new one.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use askama::Template;
use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderValue, Request, StatusCode, header},
};
use tokio::{sync::Semaphore, task::JoinSet};
use tower::ServiceExt;

use crate::{
    app::{self, AppState},
    db,
    lang::{Lang, Texts},
    public::{feeds, news},
    render_cache::{Bodies, CachedResponse, Effort, REVALIDATE},
};

/// The file in a copy's folder that marks it as one, so that a later export may replace the folder.
pub const MARKER: &str = ".skl-cms-export";

/// The largest response the export reads, far above any page the site renders.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// An address to write, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub url: String,
    pub kind: AddressKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// Answers 200: a page, a list, a feed, a sitemap, `robots.txt`.
    Page,
    /// The "not found" page of a language, which answers 404.
    NotFound(Lang),
    /// An old address of a page that has moved.
    Moved(Lang),
}

/// What an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Addresses written, assets included.
    pub addresses: usize,
    /// Files written, compressed forms included.
    pub files: usize,
    /// Bytes of the plain files, and of their gzip and brotli forms.
    pub bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
}

/// Every address of the site as it is now, assets excluded (they are fixed: see [`write()`]).
pub async fn addresses(state: &AppState) -> anyhow::Result<Vec<Address>> {
    let now = state.clock.now_db();
    let page = |url: String| Address {
        url,
        kind: AddressKind::Page,
    };
    let mut addresses: Vec<Address> = db::pages::visible_paths(&state.db, &now)
        .await?
        .into_iter()
        .map(|(lang, path)| page(lang.page_url(&path)))
        .collect();
    for lang in Lang::ALL {
        let total = db::pages::count_news(&state.db, lang, &now).await?;
        addresses.extend((1..=news::page_count(total)).map(|n| page(lang.news_page_url(n))));
        addresses.push(page(lang.feed_url()));
        addresses.push(Address {
            url: format!("{}/404.html", lang.prefix()),
            kind: AddressKind::NotFound(lang),
        });
    }
    addresses.push(page("/sitemap.xml".to_owned()));
    let sitemaps = feeds::sitemap_files(state, &now).await?;
    if sitemaps > 1 {
        addresses.extend((1..=sitemaps).map(|n| page(feeds::sitemap_file_url(n))));
    }
    addresses.push(page("/robots.txt".to_owned()));
    addresses.extend(
        crate::media::all_addresses(&state.db)
            .await?
            .into_iter()
            .map(page),
    );
    let taken: std::collections::HashSet<String> = addresses
        .iter()
        .map(|address| address.url.clone())
        .collect();
    for (lang, path) in db::redirects::all_from(&state.db).await? {
        let url = lang.page_url(&path);
        if !taken.contains(&url) {
            addresses.push(Address {
                url,
                kind: AddressKind::Moved(lang),
            });
        }
    }
    Ok(addresses)
}

/// The file an address is written to, relative to the copy's folder: `/` is `index.html`,
/// `/om-oss` is `om-oss/index.html`, `/feed.xml` stays `feed.xml`.
pub fn file_for(url: &str) -> PathBuf {
    let relative = url.trim_start_matches('/');
    let last = relative.rsplit('/').next().unwrap_or_default();
    if relative.is_empty() || relative.ends_with('/') {
        PathBuf::from(format!("{relative}index.html"))
    } else if last.contains('.') {
        PathBuf::from(relative)
    } else {
        PathBuf::from(format!("{relative}/index.html"))
    }
}

/// Checks that `dir` may receive a copy: it is missing, empty, or an earlier copy.
pub fn check_target(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("cannot read {}: {error}", dir.display())),
        Ok(mut entries) => {
            if entries.next().is_none() || dir.join(MARKER).is_file() {
                Ok(())
            } else {
                Err(format!(
                    "{} is not empty and holds no earlier export; choose a new or empty folder",
                    dir.display()
                ))
            }
        }
    }
}

#[derive(Template)]
#[template(path = "public/moved.html")]
struct MovedTemplate<'a> {
    layout: MovedLayout,
    href: &'a str,
    canonical: String,
}

/// What `base.html` needs of a moved page: its language, title and the site's assets.
struct MovedLayout {
    lang: Lang,
    t: &'static Texts,
    document_title: &'static str,
    css_href: String,
    icon_href: String,
}

/// Renders every address of `addresses` and every asset into `dir`, calling `progress` after each.
/// `dir` must pass [`check_target`]; it is replaced only when the whole copy is written.
pub async fn write(
    state: &AppState,
    dir: &Path,
    addresses: &[Address],
    progress: impl Fn(),
) -> anyhow::Result<Summary> {
    check_target(dir).map_err(anyhow::Error::msg)?;
    let staging = sibling(dir, "partial")?;
    if staging.exists() {
        tokio::fs::remove_dir_all(&staging)
            .await
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    tokio::fs::create_dir_all(&staging)
        .await
        .with_context(|| format!("cannot create {}", staging.display()))?;
    let written = write_into(state, &staging, addresses, progress).await;
    match written {
        Ok(summary) => {
            swap_in(&staging, dir).await?;
            Ok(summary)
        }
        Err(error) => {
            let _ = tokio::fs::remove_dir_all(&staging).await;
            Err(error)
        }
    }
}

async fn write_into(
    state: &AppState,
    root: &Path,
    addresses: &[Address],
    progress: impl Fn(),
) -> anyhow::Result<Summary> {
    let router = app::router(state.clone());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let writers = Arc::new(Semaphore::new(cores));
    let mut jobs: JoinSet<anyhow::Result<Summary>> = JoinSet::new();
    let mut summary = Summary::default();
    // Compressing takes most of the time, so it runs on every core while the next page renders.
    let spawn = |jobs: &mut JoinSet<_>, file: PathBuf, content: Content| {
        let writers = Arc::clone(&writers);
        jobs.spawn(async move {
            let _permit = writers.acquire_owned().await?;
            tokio::task::spawn_blocking(move || write_file(&file, content.compressed().bodies()))
                .await?
        });
    };
    for (url, asset) in state.assets.iter() {
        spawn(
            &mut jobs,
            root.join(file_for(url)),
            Content::Compressed(Arc::clone(asset)),
        );
    }
    for address in addresses {
        match render(state, &router, address).await? {
            Some(content) => spawn(&mut jobs, root.join(file_for(&address.url)), content),
            None => progress(),
        }
        // Keep the number of rendered responses waiting for a writer bounded.
        while jobs.len() > 4 * cores {
            if let Some(done) = jobs.join_next().await {
                summary.add(done??);
                progress();
            }
        }
    }
    while let Some(done) = jobs.join_next().await {
        summary.add(done??);
        progress();
    }
    std::fs::write(
        root.join(MARKER),
        "A static copy of the site, written by `skl-cms export-site`; the next export replaces this folder.\n",
    )
    .context("cannot write the export's marker")?;
    Ok(summary)
}

/// What a file holds.
enum Content {
    /// An asset, compressed when the program started.
    Compressed(Arc<CachedResponse>),
    /// A rendered response, to compress.
    Plain(HeaderValue, Bytes),
}

impl Content {
    /// The content with its best compression; blocks for milliseconds.
    fn compressed(self) -> Arc<CachedResponse> {
        match self {
            Content::Compressed(response) => response,
            Content::Plain(content_type, body) => Arc::new(CachedResponse::prepare(
                StatusCode::OK,
                content_type,
                HeaderValue::from_static(REVALIDATE),
                body,
                Effort::Best,
            )),
        }
    }
}

/// The content of `address`, as the site answers it; `None` for an old address whose page is no
/// longer visible, which the copy leaves unanswered as the site does.
async fn render(
    state: &AppState,
    router: &Router,
    address: &Address,
) -> anyhow::Result<Option<Content>> {
    let request = Request::get(&address.url)
        .header(header::ACCEPT_ENCODING, "identity")
        .body(Body::empty())?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), MAX_BODY).await?;
    let expected = match address.kind {
        AddressKind::Page => StatusCode::OK,
        AddressKind::NotFound(_) => StatusCode::NOT_FOUND,
        AddressKind::Moved(_) if status == StatusCode::NOT_FOUND => return Ok(None),
        AddressKind::Moved(lang) => {
            let Some(href) = location.filter(|_| status.is_redirection()) else {
                bail!("{} answered {status}, not a redirect", address.url);
            };
            let t = lang.texts();
            let layout = MovedLayout {
                lang,
                t,
                document_title: t.moved_title,
                css_href: state.assets.url("site.css").to_owned(),
                icon_href: state.assets.url("favicon.svg").to_owned(),
            };
            let html = MovedTemplate {
                layout,
                canonical: state.site.absolute(&href),
                href: &href,
            }
            .render()?;
            return Ok(Some(Content::Plain(
                HeaderValue::from_static("text/html; charset=utf-8"),
                html.into(),
            )));
        }
    };
    if status != expected {
        bail!("{} answered {status}, not {expected}", address.url);
    }
    Ok(Some(Content::Plain(content_type, body)))
}

/// Writes `bodies` to `file` and its compressed forms beside it.
fn write_file(file: &Path, bodies: Bodies<'_>) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let mut put = |path: PathBuf, bytes: &Bytes| -> anyhow::Result<u64> {
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        summary.files += 1;
        Ok(bytes.len() as u64)
    };
    let beside = |suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let bytes = put(file.to_owned(), bodies.plain)?;
    let gzip_bytes = match bodies.gzip {
        Some(gzip) => put(beside(".gz"), gzip)?,
        None => 0,
    };
    let brotli_bytes = match bodies.brotli {
        Some(brotli) => put(beside(".br"), brotli)?,
        None => 0,
    };
    summary.addresses = 1;
    summary.bytes = bytes;
    summary.gzip_bytes = gzip_bytes;
    summary.brotli_bytes = brotli_bytes;
    Ok(summary)
}

impl Summary {
    fn add(&mut self, other: Summary) {
        self.addresses += other.addresses;
        self.files += other.files;
        self.bytes += other.bytes;
        self.gzip_bytes += other.gzip_bytes;
        self.brotli_bytes += other.brotli_bytes;
    }

    /// The line the command ends with.
    pub fn line(&self, dir: &Path, elapsed: Duration) -> String {
        let megabytes = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
        format!(
            "exported {} addresses as {} files to {} in {:.1} s: {} plain, {} gzip, {} brotli",
            self.addresses,
            self.files,
            dir.display(),
            elapsed.as_secs_f64(),
            megabytes(self.bytes),
            megabytes(self.gzip_bytes),
            megabytes(self.brotli_bytes),
        )
    }
}

/// A folder beside `dir`, named after it with `suffix`.
fn sibling(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = dir
        .file_name()
        .with_context(|| format!("{} is not a folder's name", dir.display()))?;
    let mut sibling = name.to_owned();
    sibling.push(format!(".{suffix}"));
    Ok(dir.with_file_name(sibling))
}

/// Puts the finished copy at `dir`, removing an earlier one.
async fn swap_in(staging: &Path, dir: &Path) -> anyhow::Result<()> {
    let cannot = |what: &str, path: &Path| format!("cannot {what} {}", path.display());
    if tokio::fs::try_exists(dir).await.unwrap_or(false) {
        let old = sibling(dir, "old")?;
        if old.exists() {
            tokio::fs::remove_dir_all(&old)
                .await
                .with_context(|| cannot("remove", &old))?;
        }
        tokio::fs::rename(dir, &old)
            .await
            .with_context(|| cannot("move aside", dir))?;
        tokio::fs::rename(staging, dir)
            .await
            .with_context(|| cannot("move into place", staging))?;
        tokio::fs::remove_dir_all(&old)
            .await
            .with_context(|| cannot("remove", &old))?;
    } else {
        tokio::fs::rename(staging, dir)
            .await
            .with_context(|| cannot("move into place", staging))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_files_a_web_server_finds() {
        for (url, file) in [
            ("/", "index.html"),
            ("/en/", "en/index.html"),
            ("/om-oss", "om-oss/index.html"),
            ("/en/about/history", "en/about/history/index.html"),
            ("/nyheter/sida/2", "nyheter/sida/2/index.html"),
            ("/feed.xml", "feed.xml"),
            ("/en/404.html", "en/404.html"),
            ("/static/site.0123456789.css", "static/site.0123456789.css"),
            ("/sitemaps/2.xml", "sitemaps/2.xml"),
        ] {
            assert_eq!(file_for(url), PathBuf::from(file), "{url}");
        }
    }

    #[test]
    fn only_an_empty_folder_or_an_earlier_copy_is_replaced() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let target = dir.path().join("site");
        assert!(check_target(&target).is_ok(), "missing");
        std::fs::create_dir(&target).expect("folder");
        assert!(check_target(&target).is_ok(), "empty");
        std::fs::write(target.join("notes.txt"), "mine").expect("file");
        assert!(check_target(&target).is_err(), "someone's files");
        std::fs::write(target.join(MARKER), "").expect("marker");
        assert!(check_target(&target).is_ok(), "an earlier copy");
    }
}

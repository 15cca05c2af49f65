//! Machine-readable views of the site: Atom feeds of the news, the sitemap and robots.txt.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};

use crate::{
    app::AppState,
    db,
    error::AppError,
    lang::Lang,
    public::{Keep, PublicRequest, address_number},
    render_cache::{CachedResponse, Effort, REVALIDATE},
    time::{self, Moment},
};

/// How many news items a feed carries.
const FEED_ENTRIES: i64 = 20;

#[derive(Template)]
#[template(path = "public/feed.xml")]
pub struct FeedTemplate {
    pub lang: Lang,
    pub title: &'static str,
    /// The feed's permanent id and the address it is fetched from.
    pub self_href: String,
    pub news_href: String,
    /// The latest change to any entry, or the oldest possible time for an empty feed.
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

#[derive(Debug)]
pub struct FeedEntry {
    pub href: String,
    pub title: String,
    pub summary: String,
    /// Sanitised HTML, escaped again by the template as Atom's `type="html"` requires.
    pub content: String,
    pub published: String,
    pub updated: String,
}

/// The Atom feed of the request's language.
pub async fn atom(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let lang = request.lang;
    let now = state.clock.now_db();
    let news = db::pages::news(&state.db, lang, &now, FEED_ENTRIES, 0).await?;
    let entries: Vec<FeedEntry> = news
        .into_iter()
        .map(|page| FeedEntry {
            href: state.site.absolute(&lang.page_url(&page.content.path)),
            published: page
                .content
                .publish_at
                .clone()
                .unwrap_or_else(|| page.created_at.clone()),
            updated: page.updated_at,
            title: page.content.title,
            summary: page.content.description,
            content: page.body_html,
        })
        .collect();
    let updated = entries
        .iter()
        .map(|entry| entry.updated.clone())
        .max()
        .unwrap_or_else(|| {
            // An empty feed has changed at no known time; the epoch is a stable answer.
            time::rfc3339(jiff::Timestamp::UNIX_EPOCH)
        });
    let xml = FeedTemplate {
        lang,
        title: lang.texts().feed_title,
        self_href: state.site.absolute(&lang.feed_url()),
        news_href: state.site.absolute(&lang.news_url()),
        updated,
        entries,
    }
    .render()?;
    // A quick compression now, the best one off the runtime (see `PublicRequest::publish`).
    let response = CachedResponse::with_effort(
        StatusCode::OK,
        "application/atom+xml; charset=utf-8",
        REVALIDATE,
        xml.into(),
        Effort::Quick,
    );
    let keep = Keep::when(request.query.is_none(), super::stale::news_shows(lang));
    Ok(request.publish(&state, response, keep))
}

/// The most URLs one sitemap file may list, as the sitemap protocol says. A site with more has
/// `/sitemap.xml` as a sitemap index of files of this many at `/sitemaps/N.xml`.
pub const SITEMAP_URLS: i64 = 50_000;

#[derive(Template)]
#[template(path = "public/sitemap.xml")]
pub struct SitemapTemplate {
    pub urls: Vec<SitemapUrl>,
}

#[derive(Debug)]
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
    /// Every language version, this one included; empty when there is only one.
    pub alternates: Vec<(Lang, String)>,
}

#[derive(Template)]
#[template(path = "public/sitemap_index.xml")]
pub struct SitemapIndexTemplate {
    /// The absolute addresses of the sitemap files.
    pub sitemaps: Vec<String>,
}

/// Every visible page with its language versions linked as `xhtml:link` alternates, or, on a site
/// of more than [`SITEMAP_URLS`] addresses, the index of the sitemap files that list them.
pub async fn sitemap(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let now = state.clock.now_db();
    let files = sitemap_files(&state, &now).await?;
    let xml = if files == 1 {
        sitemap_file(&state, &now, 1).await?
    } else {
        SitemapIndexTemplate {
            sitemaps: (1..=files)
                .map(|number| state.site.absolute(&sitemap_file_url(number)))
                .collect(),
        }
        .render()?
    };
    Ok(publish_sitemap(&state, &request, xml))
}

/// Sitemap file `N.xml` of a site that needs more than one (see [`sitemap`]).
pub async fn sitemap_part(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let number = file
        .strip_suffix(".xml")
        .and_then(address_number)
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now_db();
    let files = sitemap_files(&state, &now).await?;
    if files == 1 || !(1..=files).contains(&number) {
        return Err(AppError::NotFound);
    }
    let xml = sitemap_file(&state, &now, number).await?;
    Ok(publish_sitemap(&state, &request, xml))
}

/// The address of sitemap file `number`, from 1.
pub fn sitemap_file_url(number: i64) -> String {
    format!("/sitemaps/{number}.xml")
}

/// How many sitemap files the site's addresses take: every visible page and the news list of each
/// language.
pub async fn sitemap_files(state: &AppState, now: &Moment) -> Result<i64, AppError> {
    let urls = db::pages::count_visible(&state.db, now).await? + news_lists(state).len() as i64;
    Ok(((urls + SITEMAP_URLS - 1) / SITEMAP_URLS).max(1))
}

/// The news list of each language, with each other as alternates.
fn news_lists(state: &AppState) -> Vec<(Lang, String)> {
    Lang::ALL
        .iter()
        .map(|lang| (*lang, state.site.absolute(&lang.news_url())))
        .collect()
}

/// Sitemap file `number` (from 1): the news lists first, then the pages by language and path.
async fn sitemap_file(state: &AppState, now: &Moment, number: i64) -> Result<String, AppError> {
    let news_lists = news_lists(state);
    let lists = news_lists.len() as i64;
    let first = (number - 1) * SITEMAP_URLS;
    let mut urls = Vec::new();
    if number == 1 {
        urls.extend(news_lists.iter().map(|(_, loc)| SitemapUrl {
            loc: loc.clone(),
            lastmod: None,
            alternates: news_lists.clone(),
        }));
    }
    let offset = (first - lists).max(0);
    let limit = SITEMAP_URLS - urls.len() as i64;
    let entries = db::pages::sitemap(&state.db, now, limit, offset).await?;
    urls.extend(entries.into_iter().map(|entry| {
        let loc = state.site.absolute(&entry.lang.page_url(&entry.path));
        let alternates = match entry.translation_path {
            Some(path) => {
                let other = entry.lang.other();
                let mut both = vec![
                    (entry.lang, loc.clone()),
                    (other, state.site.absolute(&other.page_url(&path))),
                ];
                both.sort();
                both
            }
            None => Vec::new(),
        };
        SitemapUrl {
            loc,
            lastmod: Some(entry.updated_at),
            alternates,
        }
    }));
    Ok(SitemapTemplate { urls }.render()?)
}

/// Answers with a sitemap or sitemap index, kept until any page changes.
fn publish_sitemap(state: &AppState, request: &PublicRequest, xml: String) -> Response {
    let response = CachedResponse::with_effort(
        StatusCode::OK,
        "application/xml; charset=utf-8",
        REVALIDATE,
        xml.into(),
        Effort::Quick,
    );
    let keep = Keep::when(request.query.is_none(), super::stale::sitemap_shows());
    request.publish(state, response, keep)
}

/// Lets every crawler in, except into the editors' area, and names the sitemap.
pub async fn robots(State(state): State<AppState>, request: PublicRequest) -> Response {
    let text = format!(
        "User-agent: *\nDisallow: /admin\n\nSitemap: {}\n",
        state.site.absolute("/sitemap.xml")
    );
    let response = CachedResponse::new(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        REVALIDATE,
        text.into(),
    );
    // Nothing but the base address, which does not change while the server runs.
    request.publish(
        &state,
        response,
        Keep::when(request.query.is_none(), Vec::new()),
    )
}

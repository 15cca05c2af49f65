//! Machine-readable views of the site: Atom feeds of the news, the sitemap and robots.txt.

use std::collections::HashMap;

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};

use crate::{
    app::AppState,
    db,
    error::AppError,
    lang::Lang,
    public::{Keep, PublicRequest},
    render_cache::{CachedResponse, Dep, Effort, REVALIDATE},
    time,
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
    let keep = Keep::when(request.query.is_none(), vec![Dep::News(lang)]);
    Ok(request.publish(&state, response, keep))
}

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

/// Every visible page, with its language versions linked as `xhtml:link` alternates.
pub async fn sitemap(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let now = state.clock.now_db();
    let entries = db::pages::sitemap(&state.db, &now).await?;
    let mut versions: HashMap<&str, Vec<(Lang, String)>> = HashMap::new();
    for entry in &entries {
        if let Some(key) = &entry.translation_key {
            let href = state.site.absolute(&entry.lang.page_url(&entry.path));
            versions
                .entry(key.as_str())
                .or_default()
                .push((entry.lang, href));
        }
    }
    let alternates_of = |key: Option<&str>| {
        let mut found = key
            .and_then(|key| versions.get(key))
            .cloned()
            .unwrap_or_default();
        found.sort();
        if found.len() > 1 { found } else { Vec::new() }
    };
    let mut urls: Vec<SitemapUrl> = entries
        .iter()
        .map(|entry| SitemapUrl {
            loc: state.site.absolute(&entry.lang.page_url(&entry.path)),
            lastmod: Some(entry.updated_at.clone()),
            alternates: alternates_of(entry.translation_key.as_deref()),
        })
        .collect();
    let news_lists: Vec<(Lang, String)> = Lang::ALL
        .iter()
        .map(|lang| (*lang, state.site.absolute(&lang.news_url())))
        .collect();
    for (_, loc) in &news_lists {
        urls.push(SitemapUrl {
            loc: loc.clone(),
            lastmod: None,
            alternates: news_lists.clone(),
        });
    }
    let xml = SitemapTemplate { urls }.render()?;
    let response = CachedResponse::with_effort(
        StatusCode::OK,
        "application/xml; charset=utf-8",
        REVALIDATE,
        xml.into(),
        Effort::Quick,
    );
    let keep = Keep::when(request.query.is_none(), vec![Dep::AllPages]);
    Ok(request.publish(&state, response, keep))
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

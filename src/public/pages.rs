//! A page by its address: the home pages and every page below them, in both languages.

use askama::Template;
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    app::AppState,
    content::PagePath,
    db::{self, pages::Page},
    error::AppError,
    ids::PageId,
    lang::Lang,
    public::{
        Keep, PublicRequest,
        layout::{DateView, Layout, PageMeta},
        news::NewsItem,
    },
    render_cache::Dep,
    time::Moment,
    vocab::Kind,
};

/// How many news items the home page lists.
const HOME_NEWS: i64 = 3;

/// A link in the breadcrumb trail or a section listing.
#[derive(Debug)]
pub struct Link {
    pub href: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "public/page.html")]
pub struct PageTemplate {
    pub layout: Layout,
    pub title: String,
    /// Sanitised when the page was saved.
    pub body_html: String,
    /// From the home page down to the page's parent; empty on the home page.
    pub breadcrumbs: Vec<Link>,
    /// The page's visible children.
    pub children: Vec<Link>,
    /// Shown for news items.
    pub date: Option<DateView>,
    pub archived: bool,
    /// The newest news items, on home pages only.
    pub latest_news: Vec<NewsItem>,
    /// Shown to an editor before publishing: marked as a preview, with what writing help says of
    /// the text.
    pub preview: Option<String>,
}

/// Shows the visible page at the request's address.
pub async fn show(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let lang = request.lang;
    let path = match resolve(&request)? {
        Address::Page(path) => path,
        Address::Redirect(to) => return Ok(Redirect::permanent(&to).into_response()),
    };
    let now = state.clock.now_db();
    let Some(page) = db::pages::find_visible(&state.db, lang, path.as_str(), &now).await? else {
        // An old address of a page that has moved leads to where it is now.
        return match db::redirects::target(&state.db, lang, path.as_str(), &now).await? {
            Some(target) => Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, lang.page_url(&target))],
            )
                .into_response()),
            None => Err(AppError::NotFound),
        };
    };
    let rendered = render(&state, page, &now, None).await?;
    // Query strings do not change a page; caching each would let anyone fill the cache.
    let keep = Keep::when(request.query.is_none(), rendered.shows);
    Ok(request.publish_html(&state, rendered.html, keep))
}

/// A page rendered, and what of the site's content it shows.
#[derive(Debug)]
pub struct Rendered {
    pub html: String,
    pub shows: Vec<Dep>,
}

/// Renders `page` as visitors see it at `now`. A `preview` (for editors, before the page is
/// published) is marked as one, with the sentence given, and kept out of search engines.
pub async fn render(
    state: &AppState,
    page: Page,
    now: &Moment,
    preview: Option<String>,
) -> Result<Rendered, AppError> {
    let lang = page.lang;
    let url = lang.page_url(&page.content.path);
    let translation_url = match &page.content.translation_key {
        Some(key) => db::pages::find_visible_translation(&state.db, lang.other(), key, now)
            .await?
            .map(|link| lang.other().page_url(&link.path)),
        None => None,
    };
    let (breadcrumbs, ancestors) = breadcrumbs(state, &page, now).await?;
    let shows = super::stale::page_shows(&page, &ancestors);
    // The menu marks the sections the page is in: its ancestors, not the home page.
    let trail: Vec<String> = breadcrumbs
        .iter()
        .skip(1)
        .map(|link| link.href.clone())
        .collect();
    let children = db::pages::children(&state.db, page.id, now)
        .await?
        .into_iter()
        .map(|child| Link {
            href: lang.page_url(&child.path),
            title: child.title,
        })
        .collect();
    let latest_news = if page.content.path.is_empty() {
        db::pages::news(&state.db, lang, now, HOME_NEWS, 0)
            .await?
            .iter()
            .map(NewsItem::from_page)
            .collect()
    } else {
        Vec::new()
    };

    let meta = PageMeta {
        lang,
        title: &page.content.title,
        description: &page.content.description,
        url: Some(&url),
        translation_url: translation_url.as_deref(),
        trail: &trail,
        article: page.content.kind == Kind::News,
    };
    let mut layout = Layout::load(state, meta, now).await?;
    layout.noindex |= preview.is_some();
    let date = (page.content.kind == Kind::News).then(|| DateView::of_page(&page, lang));
    let html = PageTemplate {
        layout,
        title: page.content.title,
        body_html: page.body_html,
        breadcrumbs,
        children,
        date,
        archived: page.content.archived,
        latest_news,
        preview,
    }
    .render()?;
    Ok(Rendered { html, shows })
}

/// Where a request's address leads.
enum Address {
    /// The page at this path in the request's language.
    Page(PagePath),
    /// The canonical form of the address, to redirect to.
    Redirect(String),
}

/// Reads the page path from the request's address: `/om-oss` and `/en/about`, with `/om-oss/` and `/en`
/// redirected to their canonical forms. Addresses that no page can have are not found.
fn resolve(request: &PublicRequest) -> Result<Address, AppError> {
    let lang = request.lang;
    let rest = match lang {
        Lang::Sv => request.path.strip_prefix('/').unwrap_or(&request.path),
        Lang::En => match request.path.strip_prefix("/en/") {
            Some(rest) => rest,
            None => return Ok(Address::Redirect(lang.page_url(""))),
        },
    };
    if let Some(trimmed) = rest.strip_suffix('/') {
        if trimmed == lang.news_path() {
            return Ok(Address::Redirect(lang.page_url(trimmed)));
        }
        // The target is a checked path, so the redirect cannot lead off the site.
        let path = PagePath::parse(trimmed).map_err(|_| AppError::NotFound)?;
        return Ok(Address::Redirect(lang.page_url(path.as_str())));
    }
    PagePath::parse(rest)
        .map(Address::Page)
        .map_err(|_| AppError::NotFound)
}

/// The trail from the home page to the page's parent: home, the news list for news items, then the
/// page's visible ancestors, with their ids. Empty on the home page itself.
async fn breadcrumbs(
    state: &AppState,
    page: &Page,
    now: &Moment,
) -> sqlx::Result<(Vec<Link>, Vec<PageId>)> {
    let lang = page.lang;
    let t = lang.texts();
    let mut trail = Vec::new();
    if !page.content.path.is_empty() {
        trail.push(Link {
            href: lang.page_url(""),
            title: t.home.to_owned(),
        });
    }
    if page.content.kind == Kind::News {
        trail.push(Link {
            href: lang.news_url(),
            title: t.news.to_owned(),
        });
    }
    let mut ids = Vec::new();
    for ancestor in db::pages::ancestors(&state.db, page.id, now).await? {
        ids.push(ancestor.id);
        trail.push(Link {
            href: lang.page_url(&ancestor.path),
            title: ancestor.title,
        });
    }
    Ok((trail, ids))
}

//! The news list: news items newest first, a page at a time.

use askama::Template;
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    app::AppState,
    db::{self, pages::Page},
    error::AppError,
    public::{
        Keep, PublicRequest, address_number,
        layout::{DateView, Layout, PageMeta},
    },
};

/// News items per page of the list.
pub const PAGE_SIZE: i64 = 10;

/// A news item as lists show it.
#[derive(Debug)]
pub struct NewsItem {
    pub href: String,
    pub title: String,
    pub description: String,
    pub date: DateView,
}

impl NewsItem {
    pub fn from_page(page: &Page) -> NewsItem {
        NewsItem {
            href: page.lang.page_url(&page.content.path),
            title: page.content.title.clone(),
            description: page.content.description.clone(),
            date: DateView::of_page(page, page.lang),
        }
    }
}

#[derive(Template)]
#[template(path = "public/news_list.html")]
pub struct NewsListTemplate {
    pub layout: Layout,
    pub items: Vec<NewsItem>,
    /// "Page 2 of 3", shown when there is more than one page.
    pub position: Option<String>,
    pub newer_href: Option<String>,
    pub older_href: Option<String>,
}

/// The first page of the news of the request's language. The query form of earlier versions,
/// `?page=N`, leads to the page's own address.
pub async fn list(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let lang = request.lang;
    match requested_page(request.query.as_deref()) {
        Requested::First => show(&state, &request, 1).await,
        Requested::Moved(number) => {
            Ok(Redirect::permanent(&lang.news_page_url(number)).into_response())
        }
        Requested::Invalid => Err(AppError::BadRequest(lang.texts().invalid_page_number)),
    }
}

/// A later page of the news list, at `/nyheter/sida/N` or `/en/news/page/N`: addresses that a static
/// copy of the site can have as files. Page 1 is the list's own address.
pub async fn numbered(
    State(state): State<AppState>,
    Path(number): Path<String>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let number = address_number(&number).ok_or(AppError::NotFound)?;
    if number == 1 {
        return Ok(Redirect::permanent(&request.lang.news_url()).into_response());
    }
    show(&state, &request, number).await
}

/// Page `number` of the news list; kept only when the address has no query.
async fn show(
    state: &AppState,
    request: &PublicRequest,
    number: i64,
) -> Result<Response, AppError> {
    let lang = request.lang;
    let t = lang.texts();
    let now = state.clock.now_db();
    let total = db::pages::count_news(&state.db, lang, &now).await?;
    let pages = page_count(total);
    if number > pages {
        return Err(AppError::NotFound);
    }
    let items = db::pages::news(&state.db, lang, &now, PAGE_SIZE, (number - 1) * PAGE_SIZE)
        .await?
        .iter()
        .map(NewsItem::from_page)
        .collect();
    let own = lang.news_page_url(number);
    let other_base = lang.other().news_url();
    let meta = PageMeta {
        lang,
        title: t.news,
        description: t.news_intro,
        url: Some(&own),
        translation_url: Some(&other_base)
            .filter(|_| number == 1)
            .map(String::as_str),
        trail: &[],
        article: false,
    };
    let layout = Layout::load(state, meta, &now).await?;
    let html = NewsListTemplate {
        layout,
        items,
        position: (pages > 1).then(|| {
            t.page_of
                .replace("{page}", &number.to_string())
                .replace("{pages}", &pages.to_string())
        }),
        newer_href: (number > 1).then(|| lang.news_page_url(number - 1)),
        older_href: (number < pages).then(|| lang.news_page_url(number + 1)),
    }
    .render()?;
    let keep = Keep::when(request.query.is_none(), super::stale::news_shows(lang));
    Ok(request.publish_html(state, html, keep))
}

/// How many pages a news list of `total` items has: at least one, which says so when it is empty.
pub fn page_count(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

/// What the query of the news list's own address asks for.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    /// The first page (no `page`, `page=1`, or only other parameters).
    First,
    /// A later page, which has an address of its own now.
    Moved(i64),
    /// `page` is not a number from 1.
    Invalid,
}

fn requested_page(query: Option<&str>) -> Requested {
    let mut requested = Requested::First;
    for pair in query.unwrap_or_default().split('&') {
        if let Some(value) = pair.strip_prefix("page=") {
            requested = match address_number(value) {
                Some(1) => Requested::First,
                Some(number) => Requested::Moved(number),
                None => return Requested::Invalid,
            };
        }
    }
    requested
}

#[cfg(test)]
mod tests {
    use super::{Requested, requested_page};

    #[test]
    fn reads_the_page_number_from_the_query() {
        assert_eq!(requested_page(None), Requested::First);
        assert_eq!(requested_page(Some("page=2")), Requested::Moved(2));
        assert_eq!(requested_page(Some("page=1")), Requested::First);
        assert_eq!(
            requested_page(Some("utm_source=x&page=3")),
            Requested::Moved(3)
        );
        assert_eq!(requested_page(Some("utm_source=x")), Requested::First);
        assert_eq!(requested_page(Some("page=0")), Requested::Invalid);
        assert_eq!(requested_page(Some("page=abc")), Requested::Invalid);
        assert_eq!(requested_page(Some("page=-1")), Requested::Invalid);
    }
}

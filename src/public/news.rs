//! The news list: news items newest first, a page at a time.

use askama::Template;
use axum::{extract::State, response::Response};

use crate::{
    app::AppState,
    db::{self, pages::Page},
    error::AppError,
    public::{
        Keep, PublicRequest,
        layout::{DateView, Layout, PageMeta},
    },
    render_cache::Dep,
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

/// Lists the news of the request's language; `?page=N` selects a page of the list.
pub async fn list(
    State(state): State<AppState>,
    request: PublicRequest,
) -> Result<Response, AppError> {
    let lang = request.lang;
    let t = lang.texts();
    let (number, canonical) =
        page_number(request.query.as_deref()).ok_or(AppError::BadRequest(t.invalid_page_number))?;
    let now = state.clock.now_db();
    let total = db::pages::count_news(&state.db, lang, &now).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if number > pages {
        return Err(AppError::NotFound);
    }
    let items = db::pages::news(&state.db, lang, &now, PAGE_SIZE, (number - 1) * PAGE_SIZE)
        .await?
        .iter()
        .map(NewsItem::from_page)
        .collect();
    let base = lang.news_url();
    let link = |n: i64| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}?page={n}")
        }
    };
    let own = link(number);
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
    let layout = Layout::load(&state, meta, &now).await?;
    let html = NewsListTemplate {
        layout,
        items,
        position: (pages > 1).then(|| {
            t.page_of
                .replace("{page}", &number.to_string())
                .replace("{pages}", &pages.to_string())
        }),
        newer_href: (number > 1).then(|| link(number - 1)),
        older_href: (number < pages).then(|| link(number + 1)),
    }
    .render()?;
    Ok(request.publish_html(&state, html, Keep::when(canonical, vec![Dep::News(lang)])))
}

/// The page number a query asks for, and whether the query is in its canonical form (absent, or
/// exactly `page=N` with N > 1), which alone is worth caching. `None` when `page` is not a number from 1.
fn page_number(query: Option<&str>) -> Option<(i64, bool)> {
    let Some(query) = query else {
        return Some((1, true));
    };
    let mut number = 1;
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix("page=") {
            number = value
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))?;
        }
    }
    let canonical = number > 1 && query == format!("page={number}");
    Some((number, canonical))
}

#[cfg(test)]
mod tests {
    use super::page_number;

    #[test]
    fn reads_the_page_number_from_the_query() {
        assert_eq!(page_number(None), Some((1, true)));
        assert_eq!(page_number(Some("page=2")), Some((2, true)));
        assert_eq!(page_number(Some("page=1")), Some((1, false)));
        assert_eq!(page_number(Some("utm_source=x&page=3")), Some((3, false)));
        assert_eq!(page_number(Some("utm_source=x")), Some((1, false)));
        assert_eq!(page_number(Some("page=0")), None);
        assert_eq!(page_number(Some("page=abc")), None);
        assert_eq!(page_number(Some("page=-1")), None);
    }
}

//! What every page of the site shares: the head, the header with its menu and language switch, and the
//! footer. Each page template holds a [`Layout`] and `templates/base.html` renders it.

use crate::{
    app::AppState,
    db::{self, pages::Page},
    lang::{Lang, Texts},
    time::{self, Moment},
};

/// A link to the same content in another language, for `hreflang` alternates.
#[derive(Debug, Clone)]
pub struct Alternate {
    pub lang: Lang,
    /// Absolute URL.
    pub href: String,
}

/// An entry of the main menu.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub href: String,
    pub title: String,
    /// This entry is the page shown (`aria-current="page"`) or one of its ancestors (marked, not
    /// announced as current).
    pub current: bool,
    pub in_section: bool,
}

/// The layout of a page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: Lang,
    pub t: &'static Texts,
    /// The page's own title, for OpenGraph.
    pub page_title: String,
    /// The `<title>`: the page title and the site name.
    pub document_title: String,
    pub description: String,
    /// Absolute canonical URL; empty on error pages, which have none.
    pub canonical: String,
    /// `website` or `article`.
    pub og_type: &'static str,
    /// The page in every language it exists in, itself included; empty when it exists in one only.
    pub alternates: Vec<Alternate>,
    /// Where the language switch leads: the translation, or the other language's home page.
    pub switch_href: String,
    pub switch_lang: Lang,
    pub menu: Vec<MenuItem>,
    pub home_href: &'static str,
    pub news_href: String,
    pub feed_href: String,
    pub accessibility_href: String,
    pub css_href: String,
    pub print_css_href: String,
    pub icon_href: String,
    /// Keep search engines away (error pages, search results).
    pub noindex: bool,
    /// Whether the header has a search box and the head an OpenSearch link.
    pub searchable: bool,
    /// Where the search box in the header sends its query.
    pub search_href: &'static str,
    /// What the search box shows: the query, on search pages.
    pub search_query: String,
    pub opensearch_href: String,
}

/// What a page tells the layout about itself.
#[derive(Debug)]
pub struct PageMeta<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub description: &'a str,
    /// The page's URL path; `None` for error pages.
    pub url: Option<&'a str>,
    /// The page's translation's URL path, if it has a visible one.
    pub translation_url: Option<&'a str>,
    /// URL paths of the menu entries to mark: the page and its ancestors.
    pub trail: &'a [String],
    pub article: bool,
}

impl Layout {
    /// Builds the layout, loading the main menu of the page's language.
    pub async fn load(state: &AppState, meta: PageMeta<'_>, now: &Moment) -> sqlx::Result<Layout> {
        let menu = db::pages::menu(&state.db, meta.lang, now).await?;
        Ok(Layout::with_menu(state, meta, menu))
    }

    /// Builds the layout around an already loaded menu.
    pub fn with_menu(
        state: &AppState,
        meta: PageMeta<'_>,
        menu: Vec<db::pages::PageLink>,
    ) -> Layout {
        let lang = meta.lang;
        let t = lang.texts();
        let news_href = lang.news_url();
        let mut menu: Vec<MenuItem> = menu
            .into_iter()
            .map(|link| {
                let href = lang.page_url(&link.path);
                MenuItem {
                    current: meta.url == Some(href.as_str()),
                    in_section: false,
                    href,
                    title: link.title,
                }
            })
            .collect();
        menu.push(MenuItem {
            current: meta.url == Some(news_href.as_str()),
            in_section: false,
            href: news_href.clone(),
            title: t.news.to_owned(),
        });
        for item in &mut menu {
            item.in_section = !item.current && meta.trail.contains(&item.href);
        }
        let alternates = match (meta.url, meta.translation_url) {
            (Some(own), Some(other)) => {
                let mut alternates = vec![
                    Alternate {
                        lang,
                        href: state.site.absolute(own),
                    },
                    Alternate {
                        lang: lang.other(),
                        href: state.site.absolute(other),
                    },
                ];
                alternates.sort_by_key(|alternate| alternate.lang);
                alternates
            }
            _ => Vec::new(),
        };
        let document_title = if meta.title == t.site_name {
            t.site_name.to_owned()
        } else {
            format!("{} – {}", meta.title, t.site_name)
        };
        Layout {
            lang,
            t,
            page_title: meta.title.to_owned(),
            document_title,
            description: meta.description.to_owned(),
            canonical: meta
                .url
                .map(|url| state.site.absolute(url))
                .unwrap_or_default(),
            og_type: if meta.article { "article" } else { "website" },
            alternates,
            switch_href: meta
                .translation_url
                .map_or_else(|| lang.other().page_url(""), str::to_owned),
            switch_lang: lang.other(),
            menu,
            home_href: if lang == Lang::Sv { "/" } else { "/en/" },
            news_href,
            feed_href: lang.feed_url(),
            accessibility_href: lang.page_url(t.accessibility_path),
            css_href: state.assets.url("site.css").to_owned(),
            print_css_href: state.assets.url("print.css").to_owned(),
            icon_href: state.assets.url("favicon.svg").to_owned(),
            noindex: meta.url.is_none(),
            searchable: state.site.searchable,
            search_href: lang.search_url(),
            search_query: String::new(),
            opensearch_href: lang.opensearch_url(),
        }
    }

    /// The OpenGraph locale of the page's language.
    pub fn og_locale(&self) -> &'static str {
        match self.lang {
            Lang::Sv => "sv_SE",
            Lang::En => "en_GB",
        }
    }
}

/// A date for `<time datetime="{machine}">{human}</time>`.
#[derive(Debug, Clone)]
pub struct DateView {
    pub machine: String,
    pub human: String,
}

impl DateView {
    /// The date a page carries: its publish time, or its creation when it has none.
    pub fn of_page(page: &Page, lang: Lang) -> DateView {
        DateView::of(
            page.content.publish_at.as_deref(),
            &page.created_at,
            page.content.date_precision,
            lang,
        )
    }

    /// The date of a page published at `publish_at`, or else created at `created_at` (database
    /// timestamps), as precisely as `precision` says.
    pub fn of(
        publish_at: Option<&str>,
        created_at: &str,
        precision: time::DatePrecision,
        lang: Lang,
    ) -> DateView {
        let ts = publish_at
            .and_then(time::from_db)
            .or_else(|| time::from_db(created_at))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        DateView {
            machine: time::html_date(ts, precision),
            human: time::human_date(ts, precision, lang),
        }
    }
}

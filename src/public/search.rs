//! Search pages: `/sok?q=…` and `/en/search?q=…`, and the OpenSearch descriptions that let browsers
//! offer the site's search in their address bar.
//!
//! Results are not kept in the render cache (the queries are endless) nor by anyone downstream
//! (`no-store`: what someone searched for is theirs). Searches that found nothing or little are
//! counted, without anything that identifies the visitor, for the editors' report.

use std::{collections::HashMap, sync::Arc};

use askama::Template;
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    app::AppState,
    db::{
        self,
        readers::ReadError,
        search::ask::{self, Index},
    },
    error::AppError,
    lang::Lang,
    public::{
        PublicRequest,
        layout::{DateView, Layout, PageMeta},
    },
    search::{self, Matcher, Piece, Query, query::Expression, text::Stems},
    time::Moment,
    vocab::Kind,
};

/// A word that ends another is the other's last part when the other is at least this many letters
/// longer ("kommun" in "millenniekommun"; not in "kommunen", which the stem finds).
const MIN_COMPOUND_EXTRA: usize = 3;

/// A query's word is widened to at most this many compounds: enough for a site's own vocabulary,
/// few enough that the widened query stays quick.
const MAX_COMPOUNDS: i64 = 16;

/// Of the indexed words equally near a misspelt one, at most this many are weighed by how common
/// they are.
const MAX_NEAREST: usize = 8;

/// A two-letter word is widened to at most this many of the words it starts, the shortest first.
const MAX_STARTING: i64 = 32;

/// Results per page.
pub const PAGE_SIZE: i64 = 10;

/// Words of a result's snippet.
const SNIPPET_WORDS: usize = 30;

/// A search that finds at most this many pages counts as one that found little: it is offered a
/// "did you mean" and counted for the editors' report.
pub const FEW: i64 = 2;

/// The query string of a search page. Everything is optional text, so no query fails to parse.
#[derive(Debug, Default, Deserialize)]
struct Params {
    #[serde(default)]
    q: Option<String>,
    /// The page of results, on Swedish pages.
    #[serde(default)]
    sida: Option<String>,
    /// The page of results, on English pages.
    #[serde(default)]
    page: Option<String>,
}

/// A result as the page shows it.
#[derive(Debug, Clone)]
pub struct Result {
    pub href: String,
    pub title: String,
    /// The pages above it, home first.
    pub trail: Vec<String>,
    pub snippet: Vec<Piece>,
    /// For news.
    pub date: Option<DateView>,
}

/// A link to another search.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "public/search.html")]
pub struct SearchTemplate {
    pub layout: Layout,
    /// The query as shown back, cut and cleaned.
    pub query: String,
    /// Why there is nothing to search for, if so.
    pub problem: Option<&'static str>,
    /// The query was longer than is searched.
    pub cut: bool,
    /// "12 results for …", when something was searched for.
    pub summary: Option<String>,
    /// What the search found, perhaps from [`Found`]'s cache.
    pub found: Option<Arc<Found>>,
    pub position: Option<String>,
    pub newer_href: Option<String>,
    pub older_href: Option<String>,
}

/// `GET /sok`, `GET /en/search`
pub async fn results(
    State(state): State<AppState>,
    request: PublicRequest,
) -> std::result::Result<Response, AppError> {
    let lang = request.lang;
    let t = lang.texts();
    let params: Params = request
        .query
        .as_deref()
        .map(serde_urlencoded::from_str)
        .transpose()
        .map_err(|_| AppError::BadRequest(t.invalid_address))?
        .unwrap_or_default();
    let typed = params.q.unwrap_or_default();
    let query = Query::parse(&typed);
    let number = match if lang == Lang::Sv {
        params.sida
    } else {
        params.page
    } {
        None => 1,
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or(AppError::BadRequest(t.invalid_page_number))?,
    };
    let now = state.clock.now_db();
    let problem = if query.text.trim().is_empty() || query.terms.is_empty() {
        Some(t.search_empty)
    } else if !query.is_searchable() {
        Some(t.search_only_excluded)
    } else {
        None
    };
    // The menu (through sqlx) and the search (on a reading connection) are asked at once.
    let (layout, found) = tokio::join!(Layout::load(&state, meta(lang), &now), async {
        match problem {
            Some(_) => Ok(None),
            None => look_up(&state, lang, &query, number, &now).await.map(Some),
        }
    });
    let mut page = SearchTemplate {
        layout: layout?,
        cut: query.cut,
        query: query.text.clone(),
        problem,
        summary: None,
        found: None,
        position: None,
        newer_href: None,
        older_href: None,
    };
    page.layout.noindex = true;
    page.layout.search_query = query.text.clone();
    let Some(found) = found? else {
        return respond(&page);
    };
    let total = found.total;
    let counted = total.min(db::search::COUNT_UP_TO);
    let pages = ((counted + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if number > pages {
        return Err(AppError::NotFound);
    }
    let shown = html_quote(&query.text);
    page.summary = Some(match total {
        0 => t.search_nothing.replace("{query}", &shown),
        1 => t.search_one_hit.replace("{query}", &shown),
        _ if total > counted => t
            .search_more_hits
            .replace("{count}", &lang.number(counted))
            .replace("{query}", &shown),
        _ => t
            .search_hits
            .replace("{count}", &total.to_string())
            .replace("{query}", &shown),
    });
    if total <= FEW {
        state.search_misses.note(lang, &query.text, total, &now);
    }
    page.found = Some(found);
    let link = |n: i64| search_href(lang, &query.text, n);
    if pages > 1 {
        page.position = Some(
            t.page_of
                .replace("{page}", &number.to_string())
                .replace("{pages}", &pages.to_string()),
        );
        page.newer_href = (number > 1).then(|| link(number - 1));
        page.older_href = (number < pages).then(|| link(number + 1));
    }
    respond(&page)
}

/// What a search found, ready to show: kept in a bounded cache, by the render cache's generation, so
/// that a search asked again before content changes costs no query.
#[derive(Debug)]
pub struct Found {
    pub total: i64,
    /// The page of results asked for.
    pub results: Vec<Result>,
    pub did_you_mean: Option<Suggestion>,
    pub other_lang: Option<Suggestion>,
}

/// What `query` finds on page `number` of its results: from the bounded cache of searches, or
/// from the index.
async fn look_up(
    state: &AppState,
    lang: Lang,
    query: &Query,
    number: i64,
    now: &Moment,
) -> std::result::Result<Arc<Found>, AppError> {
    let key = (
        state.cache.current_generation(),
        lang,
        query.text.trim().to_owned(),
        number,
    );
    if let Some(found) = state.search_results.get(&key) {
        return Ok(found);
    }
    let (asked, at) = (query.clone(), now.to_owned());
    let found = state
        .readers
        .search(move |mut index| {
            Box::pin(async move { find(&mut index, lang, &asked, number, &at).await })
        })
        .await?;
    let found = Arc::new(found);
    state.search_results.insert(key, Arc::clone(&found));
    Ok(found)
}

/// The key of a [`Found`]: the render cache's generation, the language, the query, the page number.
pub type FoundKey = (u64, Lang, String, i64);

/// How many searches' results are kept: each is a page of ten results, a few kilobytes.
pub const FOUND_KEPT: usize = 1000;

/// Asks the index: the page `number` of results for `query`, and for a search that finds little,
/// a better spelling and the same search in the other language. Some twenty questions and the
/// snippets' text (on SQLite, off the async runtime: see [`db::readers`]).
async fn find(
    index: &mut Index<'_>,
    lang: Lang,
    query: &Query,
    number: i64,
    now: &Moment,
) -> std::result::Result<Found, ReadError> {
    let asked = Asked::of(index, lang, query).await?;
    let total = asked.count(index, lang, now).await?;
    // Nothing found: nothing to rank.
    let ids = if total == 0 {
        Vec::new()
    } else {
        let offset = (number - 1) * PAGE_SIZE;
        asked
            .page(index, lang, now, offset, PAGE_SIZE, total)
            .await?
    };
    let matcher = asked.matcher();
    let results = index
        .hits(&ids, now)
        .await?
        .into_iter()
        .map(|hit| result(hit, &matcher))
        .collect();
    let (did_you_mean, other_lang) = if total <= FEW {
        (
            did_you_mean(index, lang, query, total, now).await?,
            other_language(index, lang, query, now).await?,
        )
    } else {
        (None, None)
    };
    Ok(Found {
        total,
        results,
        did_you_mean,
        other_lang,
    })
}

/// The layout's facts about a search page.
fn meta(lang: Lang) -> PageMeta<'static> {
    let t = lang.texts();
    PageMeta {
        lang,
        title: t.search_results,
        description: "",
        url: Some(lang.search_url()),
        translation_url: Some(lang.other().search_url()),
        trail: &[],
        article: false,
    }
}

/// The query in typographic quotes, as the summary shows it (escaped by the template).
fn html_quote(text: &str) -> String {
    format!("”{}”", text.trim())
}

/// The address of page `number` of the results for `query` in `lang`.
pub fn search_href(lang: Lang, query: &str, number: i64) -> String {
    let q = percent_encoding::utf8_percent_encode(query.trim(), percent_encoding::NON_ALPHANUMERIC);
    if number == 1 {
        format!("{}?q={q}", lang.search_url())
    } else {
        format!("{}?q={q}&{}={number}", lang.search_url(), lang.page_param())
    }
}

/// The result for `hit`.
fn result(hit: ask::Hit, matcher: &Matcher) -> Result {
    let lang = hit.lang;
    let t = lang.texts();
    let mut trail = Vec::new();
    if !hit.path.is_empty() {
        trail.push(t.home.to_owned());
        if hit.kind == Kind::News {
            trail.push(t.news.to_owned());
        }
        trail.extend(hit.trail);
    }
    let mut snippet = matcher.snippet_of_markdown(&hit.body_md, SNIPPET_WORDS);
    if !snippet.iter().any(|piece| piece.marked) && !hit.description.is_empty() {
        snippet = matcher.snippet(&hit.description, SNIPPET_WORDS);
    }
    Result {
        href: lang.page_url(&hit.path),
        date: (hit.kind == Kind::News).then(|| {
            DateView::of(
                hit.publish_at.as_deref(),
                &hit.created_at,
                hit.date_precision,
                lang,
            )
        }),
        title: hit.title,
        trail,
        snippet,
    }
}

/// For a search that found little: the same query with its words spelt like the closest indexed
/// words, if that finds more.
async fn did_you_mean(
    index: &mut Index<'_>,
    lang: Lang,
    query: &Query,
    total: i64,
    now: &Moment,
) -> std::result::Result<Option<Suggestion>, ReadError> {
    let mut suggested = query.text.clone();
    let mut changed = false;
    for word in query.wanted_words() {
        // A word that is in the index is spelt as some page spells it: if the search finds little,
        // it is because the words are not found together, which no spelling mends.
        if index.is_term(lang, word).await? {
            continue;
        }
        let candidates = index.similar_words(lang, word).await?;
        let mut counted = Vec::new();
        for near in search::nearest(word, &candidates)
            .into_iter()
            .take(MAX_NEAREST)
        {
            counted.push((near.to_owned(), index.pages_with(lang, near).await?));
        }
        if let Some(closest) = search::closest(word, &counted) {
            suggested = search::replace_word(&suggested, word, &closest);
            changed = true;
        }
    }
    if !changed {
        return Ok(None);
    }
    let better = Query::parse(&suggested);
    if count(index, lang, &better, now).await? <= total {
        return Ok(None);
    }
    Ok(Some(Suggestion {
        href: search_href(lang, &better.text, 1),
        text: better.text,
    }))
}

/// For a search that found little: a link to the same search in the other language, with what it
/// finds there.
async fn other_language(
    index: &mut Index<'_>,
    lang: Lang,
    query: &Query,
    now: &Moment,
) -> std::result::Result<Option<Suggestion>, ReadError> {
    let other = lang.other();
    let found = count(index, other, query, now).await?;
    if found == 0 {
        return Ok(None);
    }
    let t = lang.texts();
    Ok(Some(Suggestion {
        href: search_href(other, &query.text, 1),
        text: t.search_other_lang.replace("{count}", &found.to_string()),
    }))
}

/// How many pages in `lang` `query` finds.
async fn count(
    index: &mut Index<'_>,
    lang: Lang,
    query: &Query,
    now: &Moment,
) -> std::result::Result<i64, ReadError> {
    Asked::of(index, lang, query)
        .await?
        .count(index, lang, now)
        .await
}

/// A query as the index is asked it: the words as written, then widened to the words that share
/// their stems, then to the words that end with them.
struct Asked {
    /// The match expressions, in the order their results rank; `None` where a way finds nothing.
    ways: [Option<Expression>; 3],
    /// Every word the query was widened to, for marking snippets.
    words: Vec<String>,
    /// The query's words as a title's are kept, for the page titled exactly so.
    title: String,
}

impl Asked {
    async fn of(
        index: &mut Index<'_>,
        lang: Lang,
        query: &Query,
    ) -> std::result::Result<Asked, ReadError> {
        let stems = Stems::of(lang);
        let mut by_stem = HashMap::new();
        let mut compounds = HashMap::new();
        for word in query.prefixes() {
            let mut starting = index.words_starting(lang, word, MAX_STARTING).await?;
            if !starting.iter().any(|found| found == word) {
                starting.push(word.to_owned());
            }
            by_stem.insert(word.to_owned(), starting.clone());
            compounds.insert(word.to_owned(), starting);
        }
        for word in query.widenable() {
            let key = stems.key(word);
            let mut same_stem = index.words_with_stem(lang, &key).await?;
            if !same_stem.iter().any(|found| found == word) {
                same_stem.push(word.to_owned());
            }
            // The compounds that end with the word: longer by a few letters at least, so that the
            // inflections (the stems' business) do not take their places.
            let shortest = word.chars().count() + MIN_COMPOUND_EXTRA;
            let mut ending = index
                .words_ending(lang, word, shortest, MAX_COMPOUNDS)
                .await?;
            ending.extend(same_stem.iter().cloned());
            by_stem.insert(word.to_owned(), same_stem);
            compounds.insert(word.to_owned(), ending);
        }
        let mut words: Vec<String> = query.wanted_words().map(str::to_owned).collect();
        for widened in by_stem.values().chain(compounds.values()) {
            words.extend(widened.iter().cloned());
        }
        let mut ways = [
            query.exact(),
            query.widened(&by_stem),
            query.widened(&compounds),
        ];
        // A way that asks what an earlier one asked would find nothing new.
        for later in 1..ways.len() {
            if ways[..later].iter().any(|earlier| *earlier == ways[later]) {
                ways[later] = None;
            }
        }
        Ok(Asked {
            ways,
            words,
            title: query.wanted_words().collect::<Vec<_>>().join(" "),
        })
    }

    /// The widest way of asking: what every other finds, it finds too.
    fn widest(&self) -> Option<&Expression> {
        self.ways.iter().rev().flatten().next()
    }

    /// How many pages the query finds, up to one more than [`db::search::COUNT_UP_TO`]. The words
    /// as written are counted first: for a common word they reach the bound alone, at a fraction
    /// of the cost of counting every word it was widened to.
    async fn count(
        &self,
        index: &mut Index<'_>,
        lang: Lang,
        now: &Moment,
    ) -> std::result::Result<i64, ReadError> {
        let Some(widest) = self.widest() else {
            return Ok(0);
        };
        if let Some(exact) = &self.ways[0]
            && exact != widest
        {
            let found = index.count(lang, now, exact).await?;
            if found > db::search::COUNT_UP_TO {
                return Ok(found);
            }
        }
        index.count(lang, now, widest).await
    }

    /// `limit` results from `offset`, best first: the page titled exactly as the query, then what
    /// each way of asking finds that the ways before it did not. `total` is what [`count`]
    /// (Self::count) found: once that many are found, the later ways can find nothing new.
    async fn page(
        &self,
        index: &mut Index<'_>,
        lang: Lang,
        now: &Moment,
        offset: i64,
        limit: i64,
        total: i64,
    ) -> std::result::Result<Vec<i64>, ReadError> {
        let wanted = usize::try_from(offset + limit).unwrap_or(usize::MAX);
        let mut ids = Vec::new();
        if let Some(widest) = self.widest()
            && let Some(id) = index.titled(lang, now, &self.title, widest).await?
        {
            ids.push(id);
        }
        let every = usize::try_from(total).unwrap_or(usize::MAX);
        for expression in self.ways.iter().flatten() {
            if ids.len() >= wanted || ids.len() >= every {
                break;
            }
            let limit = i64::try_from(wanted).unwrap_or(i64::MAX);
            for id in index.ranked(lang, now, expression, limit, total).await? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(ids
            .into_iter()
            .skip(offset)
            .take(wanted - offset.min(wanted))
            .collect())
    }

    fn matcher(&self) -> Matcher {
        Matcher::new(self.words.iter().cloned())
    }
}

/// Renders a search page; never stored by the render cache or downstream.
fn respond(page: &SearchTemplate) -> std::result::Result<Response, AppError> {
    let html = page.render()?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "public/opensearch.xml")]
struct OpenSearch {
    short_name: &'static str,
    description: &'static str,
    lang: Lang,
    template: String,
    icon: String,
}

/// `GET /opensearch.xml`, `GET /en/opensearch.xml`
pub async fn opensearch(
    State(state): State<AppState>,
    request: PublicRequest,
) -> std::result::Result<Response, AppError> {
    let lang = request.lang;
    let t = lang.texts();
    let xml = OpenSearch {
        short_name: t.site_name,
        description: t.opensearch_description,
        lang,
        template: state
            .site
            .absolute(&format!("{}?q={{searchTerms}}", lang.search_url())),
        icon: state.site.absolute(state.assets.url("favicon.svg")),
    }
    .render()?;
    let response = crate::render_cache::CachedResponse::new(
        StatusCode::OK,
        "application/opensearchdescription+xml; charset=utf-8",
        crate::render_cache::REVALIDATE,
        xml.into(),
    );
    let keep = crate::public::Keep::when(request.query.is_none(), Vec::new());
    Ok(request.publish(&state, response, keep))
}

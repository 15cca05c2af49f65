//! `GET /admin`: the editors' list of pages, fifty at a time, the last changed first, with a
//! filter by title or address, language, kind and standing (a GET form, so it works without
//! JavaScript and each filtered list has an address to keep). At 10,000 pages it still answers a
//! page of fifty rows.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    outline::{self, TreeView},
    tree::Row,
};
use crate::{
    admin::{
        session::Editor,
        view::{self, AdminLayout, Choice, DoneQuery, ListQuery, Pager, Section},
    },
    app::AppState,
    db::{self, pages::ListFilter},
    error::AppError,
    lang::{Label, Lang},
    vocab::{Kind, Standing},
};

/// Rows per page of the list.
pub const PAGE_SIZE: i64 = 50;

/// The filter as the form sends it: every field optional, empty meaning "all".
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sprak: String,
    #[serde(default)]
    typ: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sida: Option<String>,
    /// `senaste`: every page, the last changed first, rather than the tree.
    #[serde(default)]
    visa: String,
    /// The level of the tree to show: `sv`, `en` or a page's id.
    #[serde(default)]
    under: String,
}

#[derive(Template)]
#[template(path = "admin/pages.html")]
struct ListPage {
    layout: AdminLayout,
    text: String,
    langs: Vec<Choice>,
    kinds: Vec<Choice>,
    standings: Vec<Choice>,
    /// "12 sidor", "1 sida", or that none matched.
    summary: String,
    rows: Vec<Row>,
    pager: Pager,
    /// The tree, shown instead of the rows when nothing is filtered.
    tree: Option<TreeView>,
    /// Pages published to appear later, the soonest first: on the unfiltered first page only.
    upcoming: Vec<Upcoming>,
}

/// A page that will appear by itself at its time.
struct Upcoming {
    id: crate::ids::PageId,
    title: String,
    kind: &'static str,
    /// "3 mars 2027 kl. 09.00".
    at: String,
}

/// The most pages "Kommande publiceringar" lists.
const MAX_UPCOMING: i64 = 10;

/// The options of a select over `values` (the template puts "all" first).
fn options<T: Copy + PartialEq>(
    values: &[T],
    chosen: Option<T>,
    id: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    values
        .iter()
        .map(|value| Choice {
            value: id(*value).to_owned(),
            label: label(*value).to_owned(),
            selected: chosen == Some(*value),
        })
        .collect()
}

/// Reads one select's value: empty is "all"; anything else must be one of the values.
fn chosen<T>(text: &str, from_id: fn(&str) -> Option<T>) -> Result<Option<T>, AppError> {
    if text.is_empty() {
        return Ok(None);
    }
    from_id(text).map(Some).ok_or(AppError::BadRequest(
        "Filtret har ett värde som inte finns. Välj i listan.",
    ))
}

/// `GET /admin`
pub async fn show(
    State(state): State<AppState>,
    editor: Editor,
    Query(done): Query<DoneQuery>,
    ListQuery(params): ListQuery<Params>,
) -> Result<Response, AppError> {
    let text = view::filter_text(&params.q);
    let lang = chosen(&params.sprak, Lang::from_code)?;
    let kind = chosen(&params.typ, Kind::from_id)?;
    let standing = chosen(&params.status, Standing::from_id)?;
    let number = view::page_number(params.sida.as_deref())?;
    let filter = ListFilter {
        text: (!text.is_empty()).then_some(text.as_str()),
        lang,
        kind,
        standing,
    };
    let now = state.clock.now_db();
    let filtered = filter.text.is_some() || lang.is_some() || kind.is_some() || standing.is_some();
    let tree = if filtered || params.visa == "senaste" {
        None
    } else {
        Some(outline::tree(&state, &params.under, number).await?)
    };
    // The flat list, when it is what is shown; the tree has its own paging.
    let (total, listed_number) = if tree.is_some() {
        (0, 1)
    } else {
        (
            db::pages::count_listed(&state.db, filter, &now).await?,
            number,
        )
    };
    let link = |n: i64| {
        let number = n.to_string();
        let pairs = [
            ("q", text.as_str()),
            ("sprak", lang.map_or("", Lang::code)),
            ("typ", kind.map_or("", Kind::id)),
            ("status", standing.map_or("", Standing::id)),
            ("visa", params.visa.as_str()),
            ("sida", if n > 1 { number.as_str() } else { "" }),
        ];
        view::list_address("/admin", &pairs)
    };
    let pager = Pager::new(listed_number, total, PAGE_SIZE, link)?;
    let rows = if tree.is_some() {
        Vec::new()
    } else {
        db::pages::listed_page(&state.db, filter, &now, PAGE_SIZE, pager.offset())
            .await?
            .iter()
            .map(|page| Row::of(page, 0, &now))
            .collect()
    };
    let upcoming = if filtered || number > 1 || !params.under.is_empty() {
        Vec::new()
    } else {
        db::pages::upcoming(&state.db, &now, MAX_UPCOMING)
            .await?
            .into_iter()
            .map(|page| Upcoming {
                id: page.id,
                kind: page.kind.swedish(),
                at: page
                    .publish_at
                    .as_deref()
                    .and_then(crate::time::from_db)
                    .map(crate::time::admin_datetime)
                    .unwrap_or_default(),
                title: page.title,
            })
            .collect()
    };
    let summary = match (total, filtered) {
        (0, true) => "Inga sidor passar filtret.".to_owned(),
        (0, false) => "Inga sidor ännu.".to_owned(),
        (1, _) => "1 sida".to_owned(),
        (n, _) => format!("{} sidor", Lang::Sv.number(n)),
    };
    let page = ListPage {
        layout: AdminLayout::new(&state, "Sidor", Some(&editor), Section::Pages)
            .with_notice(done.done()),
        langs: options(&Lang::ALL, lang, Lang::code, |lang| match lang {
            Lang::Sv => "Svenska",
            Lang::En => "Engelska",
        }),
        kinds: options(Kind::ALL, kind, Kind::id, <Kind as Label>::swedish),
        standings: options(
            Standing::ALL,
            standing,
            Standing::id,
            <Standing as Label>::swedish,
        ),
        pager,
        tree,
        upcoming,
        text: text.clone(),
        summary,
        rows,
    };
    view::html(StatusCode::OK, &page)
}

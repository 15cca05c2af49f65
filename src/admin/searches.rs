//! What visitors could not find: the queries of the last 30 days that found nothing or little, most
//! often searched first, so that editors know which pages to write. Counts only: no address, no
//! time finer than the day, nothing that identifies a visitor.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use jiff::SignedDuration;

use super::{
    session::Editor,
    view::{self, AdminLayout, Section},
};
use crate::{app::AppState, db, error::AppError, lang::Lang, public, time};

/// The report covers this many days.
const DAYS: i64 = 30;

/// Queries listed at most.
const LIMIT: i64 = 200;

#[derive(Debug)]
struct Row {
    query: String,
    /// Where the query leads, to see what visitors saw.
    href: String,
    language: &'static str,
    searches: i64,
    hits: i64,
}

#[derive(Template)]
#[template(path = "admin/searches.html")]
struct SearchesPage {
    layout: AdminLayout,
    rows: Vec<Row>,
    days: i64,
}

/// `GET /admin/search`
pub async fn report(State(state): State<AppState>, editor: Editor) -> Result<Response, AppError> {
    // What is counted in memory becomes part of the report at once.
    crate::app::write_search_misses(&state).await;
    let since = time::to_db(state.clock.now() - SignedDuration::from_hours(24 * DAYS));
    let rows = db::search::misses_since(&state.db, time::day_of(&since), LIMIT)
        .await?
        .into_iter()
        .map(|missed| Row {
            href: public::search::search_href(missed.lang, &missed.query, 1),
            language: match missed.lang {
                Lang::Sv => "svenska",
                Lang::En => "engelska",
            },
            query: missed.query,
            searches: missed.searches,
            hits: missed.hits,
        })
        .collect();
    let page = SearchesPage {
        layout: AdminLayout::new(
            &state,
            "Sökningar utan svar",
            Some(&editor),
            Section::Searches,
        ),
        rows,
        days: DAYS,
    };
    view::html(StatusCode::OK, &page)
}

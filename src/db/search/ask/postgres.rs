//! The index on PostgreSQL, asked: `tsquery` on each page's document of its language's text search
//! configuration (`skl_sv`, `skl_en`: Snowball stems of unaccented words, see
//! `migrations/postgres/0011_schema.sql`), ranked by `ts_rank`; `pg_trgm` for words misspelt.
//!
//! A page's title words weigh A in its document and its description's B, so "the title or the
//! description has what is wanted" is the same query with each word limited to `:AB`, and one
//! statement ranks both passes of [`super::Index::ranked`].

use sqlx::PgConnection;

use super::{AnyOf, Expression, Hit, Ranking};
use crate::{
    db::{engine::query_as, search::COUNT_UP_TO},
    ids::PageId,
    lang::Lang,
    time::Moment,
};

/// The text search configuration of `lang`'s documents.
pub(in crate::db::search) fn configuration(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "skl_sv",
        Lang::En => "skl_en",
    }
}

/// The weights of `ts_rank`, for the document's D, C, B and A parts: nothing, the body, the
/// description, the title (as bm25 weighs them on SQLite: 1, 3 and 10). The rank is divided by the
/// logarithm of the document's length (`ts_rank`'s normalisation 1), as bm25 lowers a match in a
/// long page: "Water goals" ranks above a long page with "goals" in its title.
const WEIGHTS: &str = "{0, 0.1, 0.3, 1.0}";

/// Which parts of a document a query's words must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    Anywhere,
    /// The title or the description.
    Heading,
}

/// `any` as a `tsquery` writes it: `(a <-> b)` for a phrase, `(a | b)` for a choice. Words are
/// letters and digits only, so none is an operator.
fn any_of(any: &AnyOf, parts: Parts) -> String {
    let label = match parts {
        Parts::Anywhere => "",
        Parts::Heading => ":AB",
    };
    let phrases: Vec<String> = any
        .0
        .iter()
        .map(|words| {
            words
                .iter()
                .map(|word| format!("{word}{label}"))
                .collect::<Vec<_>>()
                .join(" <-> ")
        })
        .collect();
    format!("({})", phrases.join(" | "))
}

/// The pages with every wanted term in `parts` and none of the excluded ones anywhere:
/// `(a) & (b) & !(c) & !(d)`.
fn written(expression: &Expression, parts: Parts) -> String {
    let wanted = expression.wanted.iter().map(|term| any_of(term, parts));
    let unwanted = expression
        .unwanted
        .iter()
        .map(|term| format!("!{}", any_of(term, Parts::Anywhere)));
    wanted.chain(unwanted).collect::<Vec<_>>().join(" & ")
}

/// The condition on a row `d` of `search_documents` for a visible page, with the current time as
/// `$now`: every indexed page is published; one scheduled when it was indexed is visible from its
/// publish time on.
macro_rules! visible_document {
    ($now:literal) => {
        concat!(
            "(not d.scheduled or exists (select 1 from search_pages s where s.page_id = d.page_id \
             and s.publish_at <= ",
            $now,
            "))"
        )
    };
}

/// See [`super::Index::count`].
pub(super) async fn count(
    c: &mut PgConnection,
    lang: Lang,
    now: &Moment,
    expression: &Expression,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!(
        "select count(*) from (select 1 from search_documents d \
         where d.lang = $1 and d.document @@ to_tsquery($2::regconfig, $3) and ",
        visible_document!("$4"),
        " limit $5) found"
    ))
    .bind(lang)
    .bind(configuration(lang))
    .bind(written(expression, Parts::Anywhere))
    .bind(now)
    .bind(COUNT_UP_TO + 1)
    .fetch_one(c)
    .await
}

/// See [`super::Index::titled`].
pub(super) async fn titled(
    c: &mut PgConnection,
    lang: Lang,
    now: &Moment,
    title_words: &str,
    expression: &Expression,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select s.page_id from search_pages s where s.lang = $1 and s.title_words = $2 \
         and (s.publish_at is null or s.publish_at <= $3) and exists (select 1 from search_documents d \
         where d.page_id = s.page_id and d.document @@ to_tsquery($4::regconfig, $5)) \
         order by s.page_id limit 1",
    )
    .bind(lang)
    .bind(title_words)
    .bind(now)
    .bind(configuration(lang))
    .bind(written(expression, Parts::Anywhere))
    .fetch_optional(c)
    .await
}

/// See [`super::Index::ranked`]: the pages with what is wanted in their heading, ranked; then, if
/// they are fewer than wanted, those with it anywhere. Each pass ranks the most recently created
/// matches of the window, which the primary key finds newest first.
pub(super) async fn ranked(
    c: &mut PgConnection,
    lang: Lang,
    now: &Moment,
    expression: &Expression,
    ranking: Ranking,
) -> sqlx::Result<Vec<i64>> {
    let mut ids: Vec<i64> = Vec::new();
    for parts in [Parts::Heading, Parts::Anywhere] {
        if i64::try_from(ids.len()).unwrap_or(i64::MAX) >= ranking.limit {
            break;
        }
        let found: Vec<i64> = sqlx::query_scalar(concat!(
            "select page_id from (select d.page_id, d.document from search_documents d, \
             (select to_tsquery($2::regconfig, $3) as q) asked \
             where d.lang = $1 and d.document @@ asked.q and ",
            visible_document!("$4"),
            " order by d.page_id desc limit $5) matched, (select to_tsquery($2::regconfig, $3) as q) asked \
             order by ts_rank($6::real[], matched.document, asked.q, 1) desc, matched.page_id limit $7"
        ))
        .bind(lang)
        .bind(configuration(lang))
        .bind(written(expression, parts))
        .bind(now)
        .bind(ranking.window)
        .bind(WEIGHTS)
        .bind(ranking.limit)
        .fetch_all(&mut *c)
        .await?;
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// Indexed words of `lang` that share enough trigrams with `word` (`pg_trgm`'s `%`, through the
/// vocabulary's trigram index), the most similar first, at most `limit`.
pub(super) async fn similar_words(
    c: &mut PgConnection,
    lang: Lang,
    word: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select term from search_terms where lang = $1 and term % $2 \
         order by similarity(term, $2) desc, term limit $3",
    )
    .bind(lang)
    .bind(word)
    .bind(limit)
    .fetch_all(c)
    .await
}

/// How many indexed pages of `lang` have `word` or its inflections, up to [`COUNT_UP_TO`].
pub(super) async fn pages_with(c: &mut PgConnection, lang: Lang, word: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from (select 1 from search_documents \
         where lang = $1 and document @@ plainto_tsquery($2::regconfig, $3) limit $4) found",
    )
    .bind(lang)
    .bind(configuration(lang))
    .bind(word)
    .bind(COUNT_UP_TO)
    .fetch_one(c)
    .await
}

/// See [`super::Index::hits`].
pub(super) async fn hits(
    c: &mut PgConnection,
    ids: &[i64],
    now: &Moment,
) -> sqlx::Result<Vec<Hit>> {
    let mut hits = Vec::with_capacity(ids.len());
    for &id in ids {
        let found: Option<Hit> = query_as(super::HIT)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?;
        let Some(mut hit) = found else {
            continue;
        };
        if hit.parent_id.is_some() {
            hit.trail = crate::db::pages::ancestors(&mut *c, PageId(id), now)
                .await?
                .into_iter()
                .map(|link| link.title)
                .collect();
        }
        hits.push(hit);
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Query;

    #[test]
    fn expressions_are_written_as_tsquery() {
        let query = Query::parse(r#"  kommun "FN:s mål" -projekt -"gamla sidor" "#);
        let exact = query.exact().expect("something is wanted");
        assert_eq!(
            written(&exact, Parts::Anywhere),
            "(kommun) & (fn <-> s <-> mål) & !(projekt) & !(gamla <-> sidor)"
        );
        assert_eq!(
            written(&exact, Parts::Heading),
            "(kommun:AB) & (fn:AB <-> s:AB <-> mål:AB) & !(projekt) & !(gamla <-> sidor)"
        );
        let widened = std::collections::HashMap::from([(
            "kommun".to_owned(),
            vec!["kommun".to_owned(), "kommuner".to_owned()],
        )]);
        assert_eq!(
            written(
                &Query::parse("kommun").widened(&widened).expect("wanted"),
                Parts::Anywhere
            ),
            "(kommun | kommuner)"
        );
    }

    #[test]
    fn tsquery_syntax_typed_is_only_ever_searched_for() {
        for typed in [
            "!", "&", "|", "<->", "<2>", ":*", "a:*", "'a'", "a:AB", "(", ")", "!kommun", "a & b",
        ] {
            for expression in Query::parse(typed).exact().iter() {
                let tsquery = written(expression, Parts::Anywhere);
                let operators: String = tsquery
                    .split(|c: char| c.is_alphanumeric())
                    .collect::<Vec<_>>()
                    .concat();
                assert!(
                    operators.chars().all(|c| "()<-> &|!".contains(c)),
                    "{typed:?} gave {tsquery}"
                );
            }
        }
    }
}

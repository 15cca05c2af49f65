//! Where searches ask their questions (`db::readers`): on SQLite, reading connections to a real file
//! beside sqlx's pool; on PostgreSQL (`SKL_TEST_POSTGRES`), a connection of the pool.

mod common;

use std::sync::Arc;

use skl_cms::{
    db::{
        self,
        readers::{ReadError, Readers},
        search::Term,
    },
    lang::Lang,
};

/// Whether the index's vocabulary of `lang` holds `word`, as a search asks it.
async fn is_term(readers: &Arc<Readers>, lang: Lang, word: &'static str) -> bool {
    readers
        .search(move |mut index| Box::pin(async move { index.is_term(lang, word).await }))
        .await
        .expect("read")
}

fn term(word: &str) -> Term {
    Term {
        term: word.to_owned(),
        stem_key: word.to_owned(),
        backwards: word.chars().rev().collect(),
    }
}

#[tokio::test]
async fn a_search_sees_what_the_pool_committed_at_once() {
    let dir = tempfile::tempdir().expect("folder");
    let pool = common::database(dir.path()).await;
    let readers = Arc::new(Readers::of(&pool));
    for word in ["pelargon", "struts"] {
        assert!(!is_term(&readers, Lang::Sv, word).await, "{word}");
        db::search::add_terms(&pool, Lang::Sv, &[term(word)])
            .await
            .expect("write");
        assert!(is_term(&readers, Lang::Sv, word).await, "{word}");
        assert!(
            !is_term(&readers, Lang::En, word).await,
            "{word} in English"
        );
    }
    // Many searches at once share the few connections and all see the same.
    let reads: Vec<_> = (0..20)
        .map(|_| {
            let readers = Arc::clone(&readers);
            tokio::spawn(async move { is_term(&readers, Lang::Sv, "struts").await })
        })
        .collect();
    for read in reads {
        assert!(read.await.expect("task"));
    }
}

#[tokio::test]
async fn a_missing_database_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().expect("folder");
    let path = dir.path().join("missing.db");
    let readers = Arc::new(Readers::new(&path));
    let read = readers
        .search(|mut index| Box::pin(async move { index.is_term(Lang::Sv, "kommun").await }))
        .await;
    assert!(matches!(read, Err(ReadError::Open { .. })), "{read:?}");
    assert!(!path.exists(), "a reader never creates a database");
}

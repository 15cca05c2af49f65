-- One index of words and one of titles per language (see src/db/search.rs).
--
-- The shared indexes held each page's language as a column to match on, and every search asked
-- for it: `… AND lang : "sv"`. bm25 weighs every phrase of a query by how many pages have it, which
-- FTS5 learns by reading the phrase's whole list, so each ranking read the list of every Swedish
-- page first: 0.3–0.6 ms of each statement at 10,000 pages, whatever the query. With an index per
-- language nothing needs asking but the query itself. A column `shelf` still marks the pages whose
-- publish time was to come when they were indexed: they are few, so leaving them out
-- (`NOT shelf : …`) costs little.
--
-- The indexes are filled again at the next start: the index version (db::search::INDEX_VERSION)
-- changes with this migration.
drop table search_vocabulary;
drop table search_words;
drop table search_titles;

delete from search_pages;

delete from search_terms;

create virtual table search_words_sv using fts5(
    shelf, title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

create virtual table search_words_en using fts5(
    shelf, title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

create virtual table search_titles_sv using fts5(
    shelf, title, description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

create virtual table search_titles_en using fts5(
    shelf, title, description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The words of each index with the number of pages that have them, for "did you mean".
create virtual table search_vocabulary_sv using fts5vocab(search_words_sv, 'row');

create virtual table search_vocabulary_en using fts5vocab(search_words_en, 'row');

-- Full-text search (see src/search.rs).
--
-- One FTS5 index of the visible text of every published page: its language (as a column to match on),
-- title, description and body, lowercased by the tokenizer but with accents kept. The index holds no
-- copy of the text (contentless); snippets are made from the page itself. Its rowid is the page's id.
create virtual table search_words using fts5(
    lang, title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The published pages in the index, with what the index cannot say: when a page becomes visible (a
-- page is indexed when it is published, and found from its publish time on), and its title's words,
-- so that a page whose title is exactly the query comes first.
create table search_pages (
    page_id     integer primary key references pages (id) on delete cascade,
    lang        text not null check (lang in ('sv', 'en')),
    publish_at  text,
    title_words text not null
);

create index search_pages_title on search_pages (lang, title_words);

-- Every word the index has met, per language, with its stem (Snowball, accents folded) and its
-- folded spelling. A query's word is widened to the words that share its stem ("kommunerna" to
-- "kommun", "kommuner") and to the words that contain it ("kommun" to "millenniekommun"), and those
-- are looked up in the index above. Words are added as pages are indexed and removed by a rebuild.
create table search_terms (
    id       integer primary key,
    lang     text not null check (lang in ('sv', 'en')),
    term     text not null,
    stem_key text not null,
    folded   text not null,
    unique (lang, term)
);

create index search_terms_stem on search_terms (lang, stem_key);

-- Letter runs (trigrams) of the folded words, to find the words that contain a query's word. Kept by
-- the application beside search_terms (a new word is added to both; a rebuild rebuilds this from
-- search_terms in one go, which is many times faster than a word at a time).
create virtual table search_term_parts using fts5(
    folded,
    content = 'search_terms', content_rowid = 'id',
    tokenize = 'trigram'
);

-- The words of the index with the number of pages that have them, for "did you mean".
create virtual table search_vocabulary using fts5vocab(search_words, 'row');

-- What visitors searched for and found nothing or little, by day: counts only. No address, no time
-- finer than the day, nothing that identifies a visitor. Bounded by the application (a number of
-- queries a day) and purged after 90 days.
create table search_misses (
    day   text    not null,
    lang  text    not null check (lang in ('sv', 'en')),
    query text    not null,
    hits  integer not null,
    count integer not null,
    primary key (day, lang, query)
);

-- The main menu, read by every page: top-level pages with a menu position. Without this index the
-- query reads every top-level page, news items included.
create index pages_menu on pages (lang, menu_order) where parent_id is null and menu_order is not null;

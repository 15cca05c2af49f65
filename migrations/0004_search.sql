-- Full-text search (see src/search.rs). Three FTS5 indexes of the same fields, title, description and
-- body: words as written, stems with accents folded, and letter runs (trigrams) of the folded text for
-- compound words. Stemming and folding are done by the application, which writes the results here in
-- the same transaction as the change to the page. The indexes hold no copy of the text
-- (contentless): snippets are made from the page itself. Their rowid is the page's id.
create virtual table search_words using fts5(
    title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

create virtual table search_stems using fts5(
    title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

create virtual table search_parts using fts5(
    title, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'trigram'
);

-- The pages in the indexes, with what a search filters on: the language, and when the page becomes
-- visible (a published page is indexed at once, and found from its publish time on). `title_words`
-- is the title's words, lowercased, one space between: a page whose title is exactly the query comes
-- first.
create table search_pages (
    page_id     integer primary key references pages (id) on delete cascade,
    lang        text not null check (lang in ('sv', 'en')),
    publish_at  text,
    title_words text not null
);

-- The words of the first index with the number of pages that have them, for "did you mean".
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

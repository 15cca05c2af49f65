-- Compounds found by their endings (see src/search.rs).
--
-- A Swedish compound ends with what it is: a "millenniekommun" is a "kommun", "millenniemål" are
-- "mål". A query's word is widened to the indexed words that end with it, found by a range of an
-- index on each word spelt backwards: a few index steps, where the letter-run (trigram) index it
-- replaces read thousands of candidates for a common word and also matched the word's middle
-- ("kommun" in "kommunikation").
--
-- The folded spelling was kept for the trigram index only; the column now holds the word spelt
-- backwards. The vocabulary is emptied here and filled again at the next start, since the index
-- version (db::search::INDEX_VERSION) changes with this migration.
drop table search_term_parts;

delete from search_terms;

alter table search_terms rename column folded to backwards;

create index search_terms_backwards on search_terms (lang, backwards);

-- The titles and descriptions of the indexed pages again, on their own: a word's pages are found
-- first among those whose title or description has it, and in an index of titles that costs a few
-- entries, where a column filter on the whole index read every page the word is on. Kept by the
-- application beside search_words, with the same rowids and language shelves.
create virtual table search_titles using fts5(
    lang, title, description,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The editors' tree of pages reads a level (the pages of a language's top level, or those below one
-- page) and counts it from this index; SQLite gets the same index (its migration 13), so that both
-- engines stay at the same version, as copy-database requires.
create index pages_level on pages (parent_id, lang, deleted_at, menu_order, path);

-- On PostgreSQL, this version has the change pipeline tell other instances what it changed
-- (migrations/postgres/0012_changes_told.sql). SQLite serves one instance and sends no notices, so
-- nothing changes here; the migration keeps the two engines' versions in step, which
-- `skl-cms copy-database` requires.
select 1;

-- Why a revision exists becomes a stable identifier (`revision_kind`, see `RevisionKind` in
-- src/vocab.rs) instead of an English sentence that the history read back by its prefix. `note` keeps
-- only the one detail a kind names: the version a restore came from, the file an import read, the path
-- a move left, the version a conflict was based on.
alter table revisions add column revision_kind text not null default 'saved'
    check (revision_kind in ('created', 'saved', 'imported', 'moved', 'restored', 'conflict'));

update revisions set revision_kind = 'created', note = '' where note = 'created';

update revisions set revision_kind = 'restored', note = substr(note, length('restored from version ') + 1)
where note like 'restored from version %';

update revisions set revision_kind = 'imported', note = substr(note, length('imported from ') + 1)
where note like 'imported from %';

update revisions
set revision_kind = 'moved',
    note = replace(substr(note, length('moved from ') + 1), ' with its parent', '')
where note like 'moved from %';

update revisions
set revision_kind = 'conflict',
    note = substr(note, length('conflict: not saved, based on version ') + 1)
where conflict = 1;

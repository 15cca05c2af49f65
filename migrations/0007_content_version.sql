-- A counter of changes to pages, kept by triggers, so that a running server notices a change made by
-- another process (`skl-cms import`, a script) by reading one row every few seconds instead of
-- scanning the pages table. The server reads it inside its own edits too, before and after, to tell
-- its own changes (whose stale responses it knows) from everyone else's (which empty its cache).
create table content_version (
    id      integer primary key check (id = 1),
    version integer not null
);

insert into content_version (id, version) values (1, 0);

create trigger pages_inserted after insert on pages
begin
    update content_version set version = version + 1 where id = 1;
end;

create trigger pages_updated after update on pages
begin
    update content_version set version = version + 1 where id = 1;
end;

create trigger pages_deleted after delete on pages
begin
    update content_version set version = version + 1 where id = 1;
end;

-- Redirects decide what an old address answers.
create trigger redirects_inserted after insert on redirects
begin
    update content_version set version = version + 1 where id = 1;
end;

create trigger redirects_deleted after delete on redirects
begin
    update content_version set version = version + 1 where id = 1;
end;

create trigger redirects_updated after update on redirects
begin
    update content_version set version = version + 1 where id = 1;
end;

-- The editors' page list, newest change first, a page of fifty at a time.
create index pages_recent on pages (updated_at desc, id desc) where deleted_at is null;

-- The publishing schedule, read after every edit: the published pages whose time is still to come.
create index pages_scheduled on pages (publish_at)
    where status = 'published' and deleted_at is null and publish_at is not null;

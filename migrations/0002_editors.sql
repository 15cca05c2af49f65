-- What editors need: sessions in the shape the admin area uses, login throttling, the first-start
-- setup link, and revisions that can hold an editor's text that lost a race (a conflict).

-- Sessions are looked up by the SHA-256 of the cookie's token: a copy of the database lets no one log in.
drop table sessions;
create table sessions (
    id_hash      text    primary key,
    user_id      integer not null references users (id) on delete cascade,
    -- The synchronizer token that every form of this session carries.
    csrf_token   text    not null,
    created_at   text    not null,
    last_seen_at text    not null,
    -- The absolute end of the session, however active it is.
    expires_at   text    not null,
    ip           text
);

create index sessions_user on sessions (user_id);

-- Failed logins of the last minutes, by username and by client address, for throttling.
create table login_failures (
    id       integer primary key,
    username text    not null collate nocase,
    ip       text    not null,
    at       text    not null
);

create index login_failures_username on login_failures (username, at);
create index login_failures_ip on login_failures (ip, at);

-- One-time links that let the first administrator create their account.
create table setup_tokens (
    token_hash text primary key,
    expires_at text not null,
    used_at    text
);

-- Revisions gain a conflict flag. A conflict revision keeps the text of an editor whose save was refused
-- because the page had changed; it records the version the editor started from, so versions are unique
-- only among ordinary revisions. SQLite cannot drop a constraint, so the table is rebuilt.
create table revisions_new (
    id              integer primary key,
    page_id         integer not null references pages (id) on delete cascade,
    version         integer not null,
    path            text    not null,
    title           text    not null,
    description     text    not null,
    body_md         text    not null,
    kind            text    not null,
    status          text    not null,
    publish_at      text,
    date_precision  text    not null,
    parent_id       integer,
    menu_order      integer,
    translation_key text,
    archived        integer not null,
    author_id       integer references users (id) on delete set null,
    note            text    not null default '',
    created_at      text    not null,
    conflict        integer not null default 0 check (conflict in (0, 1))
);

insert into revisions_new (
    id, page_id, version, path, title, description, body_md, kind, status, publish_at, date_precision,
    parent_id, menu_order, translation_key, archived, author_id, note, created_at)
select id, page_id, version, path, title, description, body_md, kind, status, publish_at, date_precision,
    parent_id, menu_order, translation_key, archived, author_id, note, created_at
from revisions;

drop table revisions;
alter table revisions_new rename to revisions;

create unique index revisions_page_version on revisions (page_id, version) where conflict = 0;
create index revisions_page on revisions (page_id, id);

create index audit_log_user on audit_log (user_id, at);
create index audit_log_action on audit_log (action, at);
create index redirects_page on redirects (page_id);

-- The whole data model of skl-cms, laid down at once so that later features add behaviour, not rewrites.
--
-- Conventions:
-- * Timestamps are UTC text in the fixed form `YYYY-MM-DDTHH:MM:SSZ`. That form sorts lexicographically
--   in time order, so comparisons such as `publish_at <= ?` work on the text itself and need no functions
--   that would defeat an index.
-- * Booleans are integers constrained to 0/1.
-- * Rows that editors may want back are soft-deleted (`deleted_at`), never removed by the application.

-- Pages: one row per page and language. The sv and en versions of a page share a `translation_key`.
create table pages (
    id              integer primary key,
    lang            text    not null check (lang in ('sv', 'en')),
    -- Path below the language root without leading or trailing slash; '' is the home page.
    path            text    not null,
    title           text    not null check (length(title) > 0),
    description     text    not null default '',
    body_md         text    not null default '',
    -- Sanitised HTML rendered from body_md on every save, so visitors never wait for Markdown.
    body_html       text    not null default '',
    kind            text    not null default 'page' check (kind in ('page', 'news')),
    status          text    not null default 'draft' check (status in ('draft', 'published')),
    -- When the page becomes visible; null means as soon as it is published, a future time schedules it.
    publish_at      text,
    -- How precisely publish_at is meant when shown as the page's date: a news item dated only
    -- "December 2012" must not be shown with an invented day.
    date_precision  text    not null default 'day' check (date_precision in ('day', 'month')),
    parent_id       integer references pages (id) on delete set null,
    -- Position in the main menu; null keeps the page out of the menu.
    menu_order      integer,
    translation_key text,
    -- Archived pages stay public but carry a notice that their subject has ended.
    archived        integer not null default 0 check (archived in (0, 1)),
    -- Incremented on every save; an editor's save must name the version it started from.
    version         integer not null default 1,
    created_at      text    not null,
    updated_at      text    not null,
    deleted_at      text,
    unique (lang, path)
);

create index pages_parent on pages (parent_id);
create index pages_translation on pages (translation_key);
create index pages_news on pages (lang, kind, publish_at);

-- Every save of a page, whole, so any revision can be shown, compared and restored.
create table revisions (
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
    -- A short note on why the revision exists ("imported", "restored from version 3", …).
    note            text    not null default '',
    created_at      text    not null,
    unique (page_id, version)
);

-- Old addresses of pages whose path changed; answered with 301 to the page's current address.
create table redirects (
    id          integer primary key,
    lang        text    not null check (lang in ('sv', 'en')),
    from_path   text    not null,
    page_id     integer not null references pages (id) on delete cascade,
    created_at  text    not null,
    unique (lang, from_path)
);

create table users (
    id              integer primary key,
    username        text    not null unique collate nocase,
    display_name    text    not null,
    -- argon2id PHC string.
    password_hash   text    not null,
    role            text    not null default 'editor' check (role in ('admin', 'editor')),
    disabled        integer not null default 0 check (disabled in (0, 1)),
    failed_logins   integer not null default 0,
    locked_until    text,
    created_at      text    not null,
    last_login_at   text
);

-- Server-side sessions for editors (visitors never get one).
create table sessions (
    id          text    primary key,
    data        blob    not null,
    expires_at  integer not null
);

create index sessions_expiry on sessions (expires_at);

-- Uploaded files, kept in the database so that one file backs up everything.
create table media (
    id          integer primary key,
    filename    text    not null,
    mime_type   text    not null,
    size        integer not null,
    sha256      text    not null,
    alt_text    text    not null default '',
    data        blob    not null,
    uploaded_by integer references users (id) on delete set null,
    created_at  text    not null,
    deleted_at  text
);

-- Who did what to which object, when and from where.
create table audit_log (
    id          integer primary key,
    at          text    not null,
    user_id     integer references users (id) on delete set null,
    action      text    not null,
    object_type text    not null,
    object_id   integer,
    detail      text    not null default '',
    ip          text
);

create index audit_log_at on audit_log (at);

-- Facts about the installation itself, such as when the seed content was imported.
create table settings (
    key     text primary key,
    value   text not null
);

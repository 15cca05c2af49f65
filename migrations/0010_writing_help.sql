-- Writing help: the links of page bodies to addresses on the site, and when pages were last reviewed.

-- Every link (and image) of a page's body that leads to a page, a file of the library or nowhere on
-- the site, written by every save in the same transaction as the page. Whether a link works is
-- decided when asked (a scheduled page starts working at its second); `broken_since` records when a
-- check first found it broken, and is cleared when one finds it working.
create table page_links (
    id           integer primary key,
    page_id      integer not null references pages (id) on delete cascade,
    -- The line of the body it is on, from 1, and the address as written.
    line         integer not null,
    href         text    not null,
    kind         text    not null check (kind in ('page', 'media', 'nowhere')),
    -- For kind 'page': the language and page path it leads to.
    lang         text    check (lang in ('sv', 'en')),
    path         text,
    -- For kind 'media': the file's id.
    media_id     integer,
    broken_since text
);

create index page_links_page on page_links (page_id);
create index page_links_target on page_links (lang, path) where kind = 'page';
create index page_links_media on page_links (media_id) where kind = 'media';
create index page_links_broken on page_links (broken_since) where broken_since is not null;

-- When an editor last marked a page as reviewed: read and found current, without changing it. A
-- save counts as a review too (the page's `updated_at`); the later of the two is the page's.
create table page_reviews (
    page_id     integer primary key references pages (id) on delete cascade,
    reviewed_at text    not null,
    reviewed_by integer references users (id) on delete set null
);

-- Published pages by their last save, for the pages due for review: those saved long ago are few.
create index pages_published_updated on pages (updated_at)
    where status = 'published' and deleted_at is null;

-- The few pages in the trash, to leave their links out of the list of broken links without reading
-- every page.
create index pages_trashed on pages (deleted_at) where deleted_at is not null;

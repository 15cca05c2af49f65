-- Images and documents that editors upload, stored in the database itself so that a backup of the
-- site stays one file. What is stored has already been cleaned: images are re-encoded with their
-- orientation applied and without EXIF, GPS, XMP or comments.
-- The first migration reserved a `media` table that no version of skl-cms ever wrote to; this one
-- takes its place.
drop table media;

create table media (
    -- Never reused, since addresses with an id are cached for a year.
    id          integer primary key autoincrement,
    -- Of the bytes as uploaded: the same file uploaded twice is stored once.
    sha256      text not null,
    media_type  text not null check (media_type in ('jpeg', 'png', 'webp', 'gif', 'pdf')),
    -- Cleaned: lower-case ASCII letters, digits and dashes, and the type's extension.
    file_name   text not null,
    byte_size   integer not null,
    width       integer,
    height      integer,
    alt_sv      text not null default '',
    alt_en      text not null default '',
    -- A decorative image has `alt=""`; any other image has a Swedish alternative text.
    decorative  integer not null default 0 check (decorative in (0, 1)),
    uploaded_by integer references users (id) on delete set null,
    uploaded_at text not null,
    -- A file replaced by a newer one keeps its row, without its bytes, so that its old address leads on.
    replaced_by integer references media (id),
    body        blob not null
);

create unique index media_current_sha256 on media (sha256) where replaced_by is null;
create index media_recent on media (uploaded_at desc, id desc) where replaced_by is null;
create index media_replaced_by on media (replaced_by) where replaced_by is not null;

-- The smaller copies of an image for `srcset`, in its own format and in WebP.
create table media_variants (
    media_id   integer not null references media (id) on delete cascade,
    width      integer not null,
    height     integer not null,
    format     text not null check (format in ('jpeg', 'png', 'webp', 'gif')),
    byte_size  integer not null,
    body       blob not null,
    primary key (media_id, width, format)
);

-- Which pages show or link to which file, kept by every save, for the library's list of uses and the
-- guard against deleting a file that a published page shows.
create table media_uses (
    media_id integer not null references media (id) on delete cascade,
    page_id  integer not null references pages (id) on delete cascade,
    primary key (media_id, page_id)
) without rowid;

create index media_uses_page on media_uses (page_id);

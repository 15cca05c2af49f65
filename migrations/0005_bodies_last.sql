-- The page bodies move to the end of the row. SQLite reads a row's columns in order, and a body of
-- more than a few kilobytes spills onto overflow pages, so with the Markdown and the HTML in the
-- middle of the row, reading a page's status, publish time or parent (as every check of whether a page
-- is visible does, for menus, breadcrumbs, section lists and search results) meant reading through
-- both bodies first. ADD COLUMN appends; DROP COLUMN rewrites the table in place, without dropping
-- it, so foreign keys and their cascades are not touched.
alter table pages add column body_md_last text not null default '';
alter table pages add column body_html_last text not null default '';
update pages set body_md_last = body_md, body_html_last = body_html;
alter table pages drop column body_md;
alter table pages drop column body_html;
alter table pages rename column body_md_last to body_md;
alter table pages rename column body_html_last to body_html;

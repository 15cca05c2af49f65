//! skl-cms: the website and CMS of SKL International and its Millenniekommun project.
//!
//! One binary serves the public site in Swedish and English from a SQLite database that it creates,
//! migrates and seeds by itself, or from a PostgreSQL database shared by several instances.
//!
//! # Layout
//!
//! | module | responsibility |
//! |---|---|
//! | [`cli`] | the `skl-cms` command line: `serve`, `migrate`, `import`, `export`, `export-site`, `backup`, `restore`, `user`, `reindex`, `check`, `copy-database` |
//! | [`admin`] | editors' area under `/admin`: login with its two-factor step, sessions, CSRF, pages, history, trash, the media library, users, audit log; the editor's desk ([`admin::desk`]: the link picker's search and pasted HTML as Markdown, for `static/editor.js`) |
//! | [`accounts`] | the rules of accounts, shared by the browser and the CLI: usernames, the password policy, the last active administrator, authentication and throttling, two-factor login (TOTP and recovery codes) |
//! | [`app`] | the router with its middleware stack; [`AppState`] and [`AppState::apply`], where a committed change becomes cache invalidation (`app/state.rs`); [`app::serve`], the accept loop with graceful shutdown and the watcher of changes by other processes (`app/serve.rs`) |
//! | [`error`] | [`AppError`], the one error type at the HTTP edge, rendered as a friendly page |
//! | [`front`] | the front door: answers cache hits before routing, adds security headers to every response |
//! | [`backup`] | backups of the database (a checked snapshot while the server runs, on a schedule with rotation) and restoring one, refused while a server uses the database |
//! | [`auth`] | argon2id password hashing off the runtime, random tokens |
//! | [`db`] | the database on either engine ([`db::Location`]: a SQLite file or a PostgreSQL URL), its embedded migrations and every SQL statement, each written once and compiled for both engines ([`db::engine`]); where a search asks its questions ([`db::readers`]: read-only connections on SQLite, the pool on PostgreSQL); notices of changes made elsewhere ([`db::changes`]: PostgreSQL's `LISTEN`/`NOTIFY`); a site copied between the engines and checked ([`db::copy`]); the lease of work one instance at a time does ([`db::lease`]: an advisory lock on PostgreSQL) |
//! | [`change`] | the change pipeline, the one way content is written: a unit of work ([`change::Work`]) that keeps every derived table (rendered bodies, files shown, links, revisions, search) in step in its transaction and reports what changed ([`change::Changes`]), which [`AppState::apply`] turns into cache invalidation |
//! | [`content`] | Markdown rendering and sanitising, front matter, import and export of `content/`, the rules every page keeps whichever way it comes in ([`content::rules`]: title, description, menu order, depth, parent cycles), [`content::editing`]: what editors do to pages, through the change pipeline, and [`content::pasted`]: HTML pasted from Word or a web page as Markdown |
//! | [`publishing`] | when visitors may see a page (the one rule in Rust; its SQL is `db::publishing`'s `visible!`) and the schedule of pages still to appear, which the render cache asks |
//! | [`cdn`] | a shared cache in front of the site (Varnish, a CDN): surrogate keys on public responses, and purges of exactly what a change made stale, sent by a task of their own and retried |
//! | [`render_cache`] | whole public responses (plain, gzip, brotli, ETag) kept in memory within a byte budget, each with what it shows |
//! | [`proxy`] | the reverse proxies the site trusts: addresses and CIDR ranges, and the client a forwarded request comes from |
//! | [`public`] | visitors' handlers: pages, news, search, feeds, sitemap, robots, health, static files, media files (with `Range`); what each response shows and which of them a change makes stale, in one module (`public::stale`) |
//! | [`search`] | full-text search in Swedish and English: stemming, folding, compounds, query parsing, snippets, "did you mean", the count of searches that found little |
//! | [`static_export`] | the site as static files: every address rendered by the site's own router, with `.gz` and `.br` beside each, swapped in whole |
//! | [`media`] | the media library's rules: file types by content, cleaned names, images decoded within limits, made upright, stripped of metadata and made into responsive variants, and what editors do to the library |
//! | [`metrics`] | `/metrics` in the Prometheus text format on its own address: requests and latency by route group, the render cache, the pool, pages, refused logins, the last backup's age |
//! | [`writing`] | writing help: readability (LIX), the table of accessibility rules for Markdown with their WCAG criteria, internal links that lead nowhere; shared by the edit form, the reports and `skl-cms check` |
//! | [`lang`] | the site's two languages, every user-interface string in each, and the labels of every vocabulary |
//! | [`ids`] | the ids of pages, files of the media library and accounts as types of their own (`PageId`, `MediaId`, `UserId`) |
//! | [`vocab`] | the vocabularies as types: page kinds and statuses, roles, audit actions, revision kinds, what was just done |
//! | [`time`] | timestamps as stored in the database ([`time::Moment`], what every "now" is) and dates as shown in Europe/Stockholm |
//! | [`assets`] | files from `static/`, embedded and served at fingerprinted URLs |
//!
//! Templates live in `templates/` and are compiled in by askama; migrations, `static/` and the seed
//! `content/` are embedded too, so the release binary runs from any directory with nothing beside it.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod cdn;
pub mod change;
pub mod cli;
pub mod content;
pub mod db;
pub mod error;
pub mod front;
pub mod ids;
pub mod lang;
pub mod media;
pub mod metrics;
pub mod proxy;
pub mod public;
pub mod publishing;
pub mod render_cache;
pub mod search;
pub mod static_export;
pub mod time;
pub mod vocab;
pub mod writing;

pub use app::AppState;
pub use error::AppError;

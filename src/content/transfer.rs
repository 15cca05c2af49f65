//! Moving pages between Markdown files and the database: `import`, `export`, and the first-start seed.
//!
//! A content folder holds one subfolder per language (`sv/`, `en/`) of `.md` files in the
//! [`front_matter`] format. Import upserts by language and path in one transaction,
//! so a folder with one bad file changes nothing. Export writes the file name that import would expect
//! for each path (`index.md` for the home page, otherwise `{path}.md`), so the two round-trip exactly.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};

use crate::{
    change::{Body, Note, Work},
    content::{
        PagePath, SeedContent,
        front_matter::{self, Document, FrontMatter},
        markdown, rules,
    },
    db::{self, pages::Content},
    ids::{MediaId, PageId},
    lang::Lang,
    media::{Library, transfer as media_transfer},
    time::{self, DatePrecision},
    vocab::{Kind, RevisionKind, Status},
};

/// A page file read from a content folder.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub lang: Lang,
    /// Where the file came from, relative to the content folder, for messages: `sv/om-oss.md`.
    pub name: String,
    pub document: Document,
}

/// Reads every `.md` file below `dir/sv` and `dir/en`.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<SourceFile>> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder; give the folder that holds `sv/` and `en/`",
            dir.display()
        );
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for lang in Lang::ALL {
        let lang_dir = dir.join(lang.code());
        if !lang_dir.is_dir() {
            continue;
        }
        let mut found = Vec::new();
        collect_markdown(&lang_dir, &mut found)
            .with_context(|| format!("cannot read the folder {}", lang_dir.display()))?;
        found.sort();
        for path in found {
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {relative}"))?;
            match front_matter::parse(&text) {
                Ok(document) => files.push(SourceFile {
                    lang,
                    name: relative,
                    document,
                }),
                Err(problem) => problems.push(format!("{relative}: {problem}")),
            }
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    if files.is_empty() {
        bail!(
            "{} holds no pages; expected Markdown files in `sv/` or `en/`",
            dir.display()
        );
    }
    Ok(files)
}

fn collect_markdown(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_markdown(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads the seed content compiled into the binary.
pub fn read_embedded() -> anyhow::Result<Vec<SourceFile>> {
    let mut names: Vec<_> = SeedContent::iter().collect();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let Some(lang) = name.split('/').next().and_then(Lang::from_code) else {
            continue;
        };
        let file =
            SeedContent::get(&name).with_context(|| format!("embedded file {name} vanished"))?;
        let text =
            std::str::from_utf8(&file.data).with_context(|| format!("{name} is not UTF-8"))?;
        let document =
            front_matter::parse(text).map_err(|problem| anyhow::anyhow!("{name}: {problem}"))?;
        files.push(SourceFile {
            lang,
            name: name.into_owned(),
            document,
        });
    }
    Ok(files)
}

/// What import does, or would do, to one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Unchanged,
}

/// The outcome of an import, one line per file.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub changes: Vec<(Change, String)>,
    /// The files of the media library, `media/…` (created or unchanged; they are never updated).
    pub media: Vec<(Change, String)>,
}

impl ImportReport {
    pub fn count(&self, change: Change) -> usize {
        self.changes.iter().filter(|(c, _)| *c == change).count()
    }
}

/// A file turned into what the database stores.
struct Planned<'a> {
    name: String,
    lang: Lang,
    content: Content,
    /// Rendered from the body, as a save would.
    body: Body,
    parent: Option<String>,
    /// Where the file's settings stand, for messages.
    lines: front_matter::Lines,
    /// The page as it is now, if there is one.
    existing: Option<&'a db::pages::Page>,
    change: Change,
}

/// Turns a file's front matter and body into page content, or says what is wrong with it: the line
/// and a sentence that says how to fix it, under the same rules as the edit form.
fn to_content(file: &SourceFile) -> Result<(Content, Option<String>), String> {
    let front = &file.document.front;
    let lines = &file.document.lines;
    let broken = |problem: rules::Problem| {
        let line = match problem {
            rules::Problem::BodyTooDeep => lines.body(),
            other => lines.of(other.field()),
        };
        format!("line {line}: {}", problem.english())
    };
    let title = rules::Title::parse(&front.title).map_err(broken)?;
    let description = rules::Description::parse(&front.description).map_err(broken)?;
    let menu_order = match front.menu_order {
        Some(order) => Some(rules::MenuOrder::new(order).map_err(broken)?.get()),
        None => None,
    };
    rules::check_body(&file.document.body).map_err(broken)?;
    let path = PagePath::parse(&front.path).map_err(|problem| format!("`path`: {problem}"))?;
    let parent = match &front.parent {
        Some(parent) => {
            let parent =
                PagePath::parse(parent).map_err(|problem| format!("`parent`: {problem}"))?;
            if parent == path {
                return Err("`parent` names the page itself".to_owned());
            }
            Some(parent.as_str().to_owned())
        }
        None => None,
    };
    let (publish_at, date_precision) = match &front.date {
        Some(date) => {
            let (ts, precision) =
                time::parse_author_date(date).map_err(|problem| format!("`date`: {problem}"))?;
            (Some(time::to_db(ts)), precision)
        }
        None if front.kind == Kind::News => return Err("news items need a `date`".to_owned()),
        None => (None, DatePrecision::Day),
    };
    let content = Content {
        path: path.as_str().to_owned(),
        title: title.into_string(),
        description: description.into_string(),
        body_md: file.document.body.clone(),
        kind: front.kind,
        status: if front.draft {
            Status::Draft
        } else {
            Status::Published
        },
        publish_at,
        date_precision,
        menu_order,
        translation_key: front.translation_key.clone().filter(|key| !key.is_empty()),
        archived: front.archived,
    };
    Ok((content, parent))
}

/// Upserts `files` by language and path, after the files of the media library in `media` (each
/// under its own id, so that the pages' addresses of them hold). With `dry_run`, only reports what
/// would change.
pub async fn import(
    pool: &crate::db::Pool,
    files: &[SourceFile],
    media: Vec<media_transfer::SourceFile>,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let nothing =
        |problems: Vec<String>| anyhow::anyhow!("nothing was imported:\n{}", problems.join("\n"));
    let media = media_transfer::plan(pool, media).await.map_err(nothing)?;
    let existing = db::pages::all(pool)
        .await
        .context("cannot read the pages in the database")?;
    let mut shown: Vec<MediaId> = files
        .iter()
        .flat_map(|file| markdown::media_ids(&file.document.body))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let library = {
        let mut conn = pool.acquire().await?;
        db::media::library(&mut conn, &shown)
            .await
            .context("cannot read the media library")?
    };
    let library = media_transfer::library_with(library, &media);
    let planned = plan(files, &existing, &library).map_err(nothing)?;
    let report = ImportReport {
        changes: planned
            .iter()
            .map(|plan| (plan.change, plan.name.clone()))
            .collect(),
        media: media
            .iter()
            .map(|plan| {
                let change = if plan.unchanged {
                    Change::Unchanged
                } else {
                    Change::Create
                };
                (change, plan.name.clone())
            })
            .collect(),
    };
    if !dry_run {
        apply(pool, &media, planned).await?;
        if let Err(error) = db::refresh_statistics(pool).await {
            tracing::warn!(%error, "imported, but the planner's statistics could not be renewed");
        }
    }
    Ok(report)
}

/// Compares `files` with the `existing` pages and decides what to do with each, or lists every
/// problem found in them, so that an author can fix them all in one go.
fn plan<'a>(
    files: &[SourceFile],
    existing: &'a [db::pages::Page],
    library: &Library,
) -> Result<Vec<Planned<'a>>, Vec<String>> {
    let path_of: HashMap<PageId, &str> = existing
        .iter()
        .map(|page| (page.id, page.content.path.as_str()))
        .collect();
    let by_key: HashMap<(Lang, &str), &db::pages::Page> = existing
        .iter()
        .map(|page| ((page.lang, page.content.path.as_str()), page))
        .collect();

    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        let (content, parent) = match to_content(file) {
            Ok(converted) => converted,
            Err(problem) => {
                problems.push(format!("{}: {problem}", file.name));
                continue;
            }
        };
        let lang = file.lang;
        let body = Body::render(&content.body_md, lang, library);
        if !seen.insert((lang, content.path.clone())) {
            problems.push(format!(
                "{}: another file already has the path `{}`",
                file.name, content.path
            ));
            continue;
        }
        let current = by_key.get(&(lang, content.path.as_str())).copied();
        let change = match current {
            None => Change::Create,
            Some(page) => {
                let current_parent = page.parent_id.and_then(|id| path_of.get(&id).copied());
                let same = page.content == content
                    && page.body_html == body.html()
                    && current_parent == parent.as_deref()
                    && page.deleted_at.is_none();
                if same {
                    Change::Unchanged
                } else {
                    Change::Update
                }
            }
        };
        planned.push(Planned {
            name: file.name.clone(),
            lang,
            content,
            body,
            parent,
            lines: file.document.lines.clone(),
            existing: current,
            change,
        });
    }
    // Each page's parent once the import is done: the files' word over the database's.
    let mut parent_of: HashMap<(Lang, &str), &str> = existing
        .iter()
        .filter_map(|page| {
            let parent = path_of.get(&page.parent_id?)?;
            Some(((page.lang, page.content.path.as_str()), *parent))
        })
        .collect();
    for plan in &planned {
        let key = (plan.lang, plan.content.path.as_str());
        match &plan.parent {
            Some(parent) => parent_of.insert(key, parent.as_str()),
            None => parent_of.remove(&key),
        };
    }
    for plan in &planned {
        if let Some(parent) = &plan.parent {
            let known = seen.contains(&(plan.lang, parent.clone()))
                || by_key.contains_key(&(plan.lang, parent.as_str()));
            let line = plan.lines.of("parent");
            if !known {
                problems.push(format!(
                    "{}: line {line}: the parent `{parent}` is not a page in {}; import it too or \
                     fix `parent`",
                    plan.name, plan.lang
                ));
            } else if rules::makes_cycle(plan.content.path.as_str(), parent.as_str(), |path| {
                parent_of.get(&(plan.lang, path)).copied()
            }) {
                let problem = rules::Problem::ParentCycle.english();
                problems.push(format!("{}: line {line}: {problem}", plan.name));
            }
        }
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

/// Writes the planned changes as one unit of work: files first, then contents, then parents (which
/// may point to pages created in the same import). The pipeline records a revision of each page
/// written, its files, links and search entry.
async fn apply(
    pool: &crate::db::Pool,
    media: &[media_transfer::Planned],
    planned: Vec<Planned<'_>>,
) -> anyhow::Result<()> {
    let mut work = Work::begin(pool, &crate::time::Clock::system()).await?;
    media_transfer::apply(&mut work, media)
        .await
        .context("cannot store the files of the media library")?;
    let mut written = Vec::with_capacity(planned.len());
    for plan in planned {
        let note = Note::new(None, RevisionKind::Imported, plan.name.as_str());
        let id = match plan.existing {
            None => {
                work.create_page(plan.lang, &plan.content, plan.body, None, note)
                    .await?
            }
            Some(page) if plan.change == Change::Update => {
                work.overwrite_page(page, &plan.content, plan.body, note)
                    .await?;
                page.id
            }
            Some(_) => continue,
        };
        written.push((id, plan.lang, plan.parent));
    }
    for (id, lang, parent) in written {
        let parent_id = match &parent {
            Some(parent) => db::pages::id_by_path(work.conn(), lang, parent).await?,
            None => None,
        };
        work.set_parent(id, parent_id).await?;
    }
    work.commit().await.context("cannot commit the import")?;
    Ok(())
}

/// The file, relative to a content folder, that holds the page at `path` in `lang`.
pub fn file_name(lang: Lang, path: &str) -> PathBuf {
    let file = if path.is_empty() {
        "index.md".to_owned()
    } else {
        format!("{path}.md")
    };
    Path::new(lang.code()).join(file)
}

/// Writes every page that is not in the trash to `dir`, in the format import reads. Returns how many
/// files were written.
pub async fn export(pool: &crate::db::Pool, dir: &Path) -> anyhow::Result<usize> {
    let pages = db::pages::all(pool)
        .await
        .context("cannot read the pages in the database")?;
    let path_of: HashMap<PageId, &str> = pages
        .iter()
        .map(|page| (page.id, page.content.path.as_str()))
        .collect();
    let mut written = 0;
    for page in pages.iter().filter(|page| page.deleted_at.is_none()) {
        let date = page
            .content
            .publish_at
            .as_deref()
            .and_then(time::from_db)
            .map(|ts| time::format_author_date(ts, page.content.date_precision));
        let document = Document {
            front: FrontMatter {
                title: page.content.title.clone(),
                path: page.content.path.clone(),
                description: page.content.description.clone(),
                kind: page.content.kind,
                date,
                menu_order: page.content.menu_order,
                parent: page
                    .parent_id
                    .and_then(|id| path_of.get(&id))
                    .map(|path| (*path).to_owned()),
                translation_key: page.content.translation_key.clone(),
                archived: page.content.archived,
                draft: page.content.status == Status::Draft,
            },
            body: page.content.body_md.clone(),
            lines: Default::default(),
        };
        let target = dir.join(file_name(page.lang, &page.content.path));
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let text = front_matter::write(&document)
            .with_context(|| format!("cannot write the front matter of {}", target.display()))?;
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
        written += 1;
    }
    Ok(written)
}

/// Imports the embedded seed content if this database has never been seeded and holds no pages. Later
/// starts leave the pages alone, whatever editors have done to them.
pub async fn seed_if_new(pool: &crate::db::Pool) -> anyhow::Result<Option<ImportReport>> {
    if db::settings::get(pool, db::settings::SEEDED_AT)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let report = if db::pages::count(pool).await? == 0 {
        // An empty index is built by any rules; the import indexes each page by this version's.
        db::search::mark_current(pool).await?;
        let files = read_embedded().context("the embedded seed content is broken")?;
        Some(import(pool, &files, Vec::new(), false).await?)
    } else {
        None
    };
    db::settings::set(pool, db::settings::SEEDED_AT, &time::now_db()).await?;
    Ok(report)
}

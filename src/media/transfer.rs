//! The media library in a content folder: `media/{id}/{file}` for every current file, and
//! `media/manifest.toml` with their ids and texts. `export` writes it beside the pages' Markdown and
//! `import` reads it back before the pages, keeping each file's id, so that every `/media/{id}/…`
//! address in the pages' text goes on working.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::library::{self, Prepared, Upload};
use crate::{
    db::{self, media::Texts},
    ids::MediaId,
    media::{Embedded, Library},
};

/// The folder of a content folder that holds the library.
pub const FOLDER: &str = "media";

/// The manifest's file name, in [`FOLDER`].
pub const MANIFEST: &str = "manifest.toml";

/// The largest file import reads.
const MAX_FILE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    #[serde(default, rename = "file")]
    files: Vec<Entry>,
}

/// One file of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: MediaId,
    /// Relative to the media folder: `12/kommunkarta.jpg`.
    pub file: String,
    #[serde(default)]
    pub alt_sv: String,
    #[serde(default)]
    pub alt_en: String,
    #[serde(default)]
    pub decorative: bool,
}

/// A file read from a content folder, with its entry.
#[derive(Debug)]
pub struct SourceFile {
    pub entry: Entry,
    pub bytes: Vec<u8>,
}

/// Writes every current file of the library and the manifest below `dir/media`. Returns how many
/// files were written.
pub async fn export(pool: &crate::db::Pool, dir: &Path) -> anyhow::Result<usize> {
    let files = db::media::all_current(pool)
        .await
        .context("cannot read the media library")?;
    if files.is_empty() {
        return Ok(0);
    }
    let folder = dir.join(FOLDER);
    let mut manifest = Manifest::default();
    for (item, body) in &files {
        let file = format!("{}/{}", item.id, item.file_name);
        let target = folder.join(&file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, body)
            .with_context(|| format!("cannot write {}", target.display()))?;
        manifest.files.push(Entry {
            id: item.id,
            file,
            alt_sv: item.alt_sv.clone(),
            alt_en: item.alt_en.clone(),
            decorative: item.decorative,
        });
    }
    let text = format!(
        "# The media library of skl-cms: each file's id (its address is /media/{{id}}/{{name}}), where\n\
         # it is below this folder, and its alternative texts. `skl-cms import` reads it back.\n\n{}",
        toml::to_string(&manifest).context("cannot write the manifest")?
    );
    let target = folder.join(MANIFEST);
    std::fs::write(&target, text).with_context(|| format!("cannot write {}", target.display()))?;
    Ok(files.len())
}

/// Reads the library of the content folder `dir`, if it has one.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<SourceFile>> {
    let manifest_path = dir.join(FOLDER).join(MANIFEST);
    if !manifest_path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: Manifest = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", manifest_path.display()))?;
    let mut files = Vec::with_capacity(manifest.files.len());
    let mut problems = Vec::new();
    for entry in manifest.files {
        let relative = Path::new(&entry.file);
        let safe = relative
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)));
        if !safe || entry.id < MediaId(1) {
            problems.push(format!(
                "media/{MANIFEST}: the file `{}` (id {}) must be a path inside media/ and have an id from 1",
                entry.file, entry.id
            ));
            continue;
        }
        let path = dir.join(FOLDER).join(relative);
        let size = std::fs::metadata(&path)
            .with_context(|| format!("cannot read media/{}", entry.file))?
            .len();
        if size > MAX_FILE {
            problems.push(format!(
                "media/{}: larger than {MAX_FILE} bytes",
                entry.file
            ));
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read media/{}", entry.file))?;
        files.push(SourceFile { entry, bytes });
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(files)
}

/// A file to import, checked and cleaned.
#[derive(Debug)]
pub struct Planned {
    pub id: MediaId,
    pub prepared: Prepared,
    pub texts: Texts,
    /// Whether the library already holds this file under this id.
    pub unchanged: bool,
    pub name: String,
}

/// Checks and cleans every file, and decides which are new: a file whose id the library already
/// holds with the same content is left alone; one whose id holds another file is a problem.
pub async fn plan(
    pool: &crate::db::Pool,
    files: Vec<SourceFile>,
) -> Result<Vec<Planned>, Vec<String>> {
    let mut planned = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for SourceFile { entry, bytes } in files {
        let name = format!("{FOLDER}/{}", entry.file);
        let texts = Texts {
            alt_sv: entry.alt_sv.trim().to_owned(),
            alt_en: entry.alt_en.trim().to_owned(),
            decorative: entry.decorative,
        };
        let upload = Upload {
            name: entry.file.rsplit('/').next().unwrap_or_default().to_owned(),
            bytes,
        };
        let prepared = match library::prepare(upload).await {
            Ok(prepared) => prepared,
            Err(problem) => {
                problems.push(format!("{name}: {}", problem.english()));
                continue;
            }
        };
        if let Err(problem) = library::check_texts(&texts, prepared.media_type) {
            problems.push(format!("{name}: {}", problem.english()));
            continue;
        }
        let existing = match db::media::find(pool, entry.id).await {
            Ok(existing) => existing,
            Err(error) => {
                problems.push(format!("{name}: cannot read the library: {error}"));
                continue;
            }
        };
        let unchanged = match existing {
            None => false,
            Some(item) if item.file_name == prepared.file_name && item.replaced_by.is_none() => {
                true
            }
            Some(item) => {
                problems.push(format!(
                    "{name}: the library already has another file with id {} ({})",
                    entry.id, item.file_name
                ));
                continue;
            }
        };
        planned.push(Planned {
            id: entry.id,
            prepared,
            texts,
            unchanged,
            name,
        });
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

/// What pages will be able to show once `planned` is stored, beside what `existing` holds.
pub fn library_with(existing: Library, planned: &[Planned]) -> Library {
    let mut library = existing;
    for plan in planned.iter().filter(|plan| !plan.unchanged) {
        let prepared = &plan.prepared;
        library.0.insert(
            plan.id,
            Embedded {
                id: plan.id,
                media_type: prepared.media_type,
                file_name: prepared.file_name.clone(),
                byte_size: prepared.body.len() as u64,
                width: prepared.width,
                height: prepared.height,
                alt_sv: plan.texts.alt_sv.clone(),
                alt_en: plan.texts.alt_en.clone(),
                decorative: plan.texts.decorative,
                variants: prepared
                    .variants
                    .iter()
                    .map(|variant| variant.info)
                    .collect(),
            },
        );
    }
    library
}

/// Stores the new files of `planned`, each under its id.
pub async fn apply(work: &mut crate::change::Work, planned: &[Planned]) -> sqlx::Result<()> {
    for plan in planned.iter().filter(|plan| !plan.unchanged) {
        library::insert(work, Some(plan.id), &plan.prepared, &plan.texts, None).await?;
    }
    Ok(())
}

//! Writing help over a whole site, for `skl-cms check`: every page of the database outside the
//! trash, or every page of a content folder before it is imported, against the same rules as the
//! edit form.

use std::collections::{HashMap, HashSet};

use super::{
    Assessment,
    links::{self, Target},
};
use crate::{
    content::{PagePath, transfer::SourceFile},
    db,
    ids::MediaId,
    lang::Lang,
    media::{self, Embedded, Library},
    time::Moment,
};

/// What writing help says of one page.
#[derive(Debug)]
pub struct Checked {
    /// Where the page is: its address, or its file in a content folder.
    pub name: String,
    pub assessment: Assessment,
}

/// Every page of the database outside the trash, in the order of their addresses, with its links
/// checked at `now`.
pub async fn check_database(pool: &crate::db::Pool, now: &Moment) -> sqlx::Result<Vec<Checked>> {
    let mut conn = pool.acquire().await?;
    let mut checked = Vec::new();
    for page in db::pages::all(&mut conn).await? {
        if page.deleted_at.is_some() {
            continue;
        }
        let assessment = Assessment::of_page(
            &mut conn,
            &page.content.body_md,
            page.lang,
            &page.content.path,
            now,
        )
        .await?;
        checked.push(Checked {
            name: page.lang.page_url(&page.content.path),
            assessment,
        });
    }
    Ok(checked)
}

/// Every page of a content folder (`pages`, with the library files `files` of its
/// `media/manifest.toml`), as it would be after an import into `pool` (when there is a database):
/// a link works if the folder or the database has what it leads to.
pub async fn check_folder(
    pages: &[SourceFile],
    files: &[media::transfer::SourceFile],
    pool: Option<&crate::db::Pool>,
    now: &Moment,
) -> sqlx::Result<Vec<Checked>> {
    let mut conn = match pool {
        Some(pool) => Some(pool.acquire().await?),
        None => None,
    };
    let folder_pages: HashSet<(Lang, String)> = pages
        .iter()
        .filter(|page| !page.document.front.draft)
        .filter_map(|page| {
            let path = PagePath::parse(&page.document.front.path).ok()?;
            Some((page.lang, path.as_str().to_owned()))
        })
        .collect();
    let folder_files: HashMap<MediaId, Embedded> = files
        .iter()
        .filter_map(|file| Some((file.entry.id, embedded(file)?)))
        .collect();
    let mut checked = Vec::new();
    for page in pages {
        let body = &page.document.body;
        let ids = crate::content::markdown::media_ids(body);
        let mut library = match &mut conn {
            Some(conn) => db::media::library(conn, &ids).await?,
            None => Library::default(),
        };
        for id in ids {
            if let Some(file) = folder_files.get(&id) {
                library.0.insert(id, file.clone());
            }
        }
        let mut assessment = Assessment::of(body, page.lang, &library);
        let path = page.document.front.path.trim_matches('/');
        for link in links::internal_links(body, page.lang, path) {
            let in_folder = match &link.target {
                Target::Page { lang, path } => folder_pages.contains(&(*lang, path.clone())),
                Target::Media(id) => folder_files.contains_key(id),
                Target::Nowhere => false,
            };
            let in_database = match &mut conn {
                Some(conn) if !in_folder => db::links::works(conn, &link.target, now).await?,
                _ => false,
            };
            if !in_folder && !in_database {
                assessment.add([link.broken()]);
            }
        }
        checked.push(Checked {
            name: page.name.clone(),
            assessment,
        });
    }
    Ok(checked)
}

/// A file of a folder's library as the rules see it: its type and its alternative texts.
fn embedded(file: &media::transfer::SourceFile) -> Option<Embedded> {
    Some(Embedded {
        id: file.entry.id,
        media_type: media::sniff(&file.bytes)?,
        file_name: file.entry.file.clone(),
        byte_size: file.bytes.len() as u64,
        width: None,
        height: None,
        alt_sv: file.entry.alt_sv.clone(),
        alt_en: file.entry.alt_en.clone(),
        decorative: file.entry.decorative,
        variants: Vec::new(),
    })
}

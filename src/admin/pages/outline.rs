//! The page list as a tree, per language: each level of the site's pages in the order of its
//! menus, fifty at a time, each page with a link to the pages right below it. A level is read
//! alone, so the tree answers as fast at 100,000 pages as at 14, and every level has an address
//! of its own (`/admin?under=12`), which works without JavaScript.

use super::tree::Row;
use crate::{
    admin::view::{self, Pager},
    app::AppState,
    db::{self, pages::Level},
    error::AppError,
    ids::PageId,
    lang::Lang,
};

/// Pages a level shows at a time, and on the start of the list per language.
pub const LEVEL_SIZE: i64 = 50;

/// The tree as the page list shows it: one section per language, or one level with its trail.
#[derive(Debug)]
pub struct TreeView {
    /// Where the level shown is, from its language down: ("Svenska", "/admin?under=sv"), …
    pub trail: Vec<(String, String)>,
    pub sections: Vec<TreeSection>,
    /// Set when one level is shown, paged.
    pub pager: Option<Pager>,
}

/// A level of pages under one heading.
#[derive(Debug)]
pub struct TreeSection {
    pub heading: String,
    /// An id for the heading, for `aria-labelledby`.
    pub id: String,
    /// "12 sidor på översta nivån".
    pub summary: String,
    pub rows: Vec<Branch>,
    /// The rest of the level on a screen of its own, when it has more than fits here.
    pub more: Option<String>,
}

/// A page in the tree, and the pages below it.
#[derive(Debug)]
pub struct Branch {
    pub row: Row,
    pub children: i64,
}

/// What `?under=` names: a language's top level or a page.
fn level_of(under: &str) -> Result<Option<Level>, AppError> {
    match under.trim() {
        "" => Ok(None),
        code => match Lang::from_code(code) {
            Some(lang) => Ok(Some(Level::Top(lang))),
            None => code
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(|id| Some(Level::Below(PageId(id))))
                .ok_or(AppError::BadRequest(
                    "Adressen pekar ut en del av sidträdet som inte finns. Gå till Sidor och välj igen.",
                )),
        },
    }
}

fn language(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "Svenska",
        Lang::En => "Engelska",
    }
}

fn count_text(count: i64, top: bool) -> String {
    let pages = if count == 1 {
        "1 sida".to_owned()
    } else {
        format!("{} sidor", Lang::Sv.number(count))
    };
    if top {
        format!("{pages} på översta nivån")
    } else {
        format!("{pages} direkt under")
    }
}

/// The rows of one level, page `number` of it.
async fn rows(state: &AppState, level: Level, offset: i64) -> Result<Vec<Branch>, AppError> {
    let now = state.clock.now_db();
    Ok(db::pages::level_page(&state.db, level, LEVEL_SIZE, offset)
        .await?
        .iter()
        .map(|branch| Branch {
            row: Row::of(&branch.page, 0, &now),
            children: branch.children,
        })
        .collect())
}

/// The tree for `?under=` and `?sida=`: both languages' top levels, or one level paged.
pub async fn tree(state: &AppState, under: &str, number: i64) -> Result<TreeView, AppError> {
    let Some(level) = level_of(under)? else {
        // The start of the tree is one screen; its levels have their own pages.
        if number > 1 {
            return Err(AppError::NotFound);
        }
        let mut sections = Vec::new();
        for lang in Lang::ALL {
            let level = Level::Top(lang);
            let total = db::pages::count_level(&state.db, level).await?;
            sections.push(TreeSection {
                heading: language(lang).to_owned(),
                id: format!("tree-{}", lang.code()),
                summary: count_text(total, true),
                rows: rows(state, level, 0).await?,
                more: (total > LEVEL_SIZE).then(|| format!("/admin?under={}", lang.code())),
            });
        }
        return Ok(TreeView {
            trail: Vec::new(),
            sections,
            pager: None,
        });
    };
    let total = db::pages::count_level(&state.db, level).await?;
    let (trail, heading) = match level {
        Level::Top(lang) => (Vec::new(), language(lang).to_owned()),
        Level::Below(id) => {
            let page = db::pages::find(&state.db, id)
                .await?
                .filter(|page| page.deleted_at.is_none())
                .ok_or(AppError::NotFound)?;
            let mut trail = vec![(
                language(page.lang).to_owned(),
                format!("/admin?under={}", page.lang.code()),
            )];
            let mut above = db::pages::ancestor_ids(&state.db, id).await?;
            above.reverse();
            for ancestor in above {
                if let Some(found) = db::pages::find(&state.db, ancestor).await? {
                    trail.push((found.content.title, format!("/admin?under={ancestor}")));
                }
            }
            (trail, page.content.title)
        }
    };
    let link = |n: i64| {
        let number = n.to_string();
        view::list_address(
            "/admin",
            &[
                ("under", under.trim()),
                ("sida", if n > 1 { number.as_str() } else { "" }),
            ],
        )
    };
    let pager = Pager::new(number, total, LEVEL_SIZE, link)?;
    let section = TreeSection {
        heading,
        id: "tree-level".to_owned(),
        summary: count_text(total, matches!(level, Level::Top(_))),
        rows: rows(state, level, pager.offset()).await?,
        more: None,
    };
    Ok(TreeView {
        trail,
        sections: vec![section],
        pager: Some(pager),
    })
}

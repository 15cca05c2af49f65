//! The edit form: its fields exactly as typed, the choices it offers, and the checks that turn it into
//! a draft to save or a list of problems, each with how to fix it.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::tree::tree_positions;
use crate::{
    admin::view::{Choice, FieldErrors},
    app::AppState,
    content::{
        PagePath,
        editing::{Draft, Translation},
        rules::{self, Description, MenuOrder, Problem, Title},
    },
    db::{
        self,
        pages::{Content, Listed, Page},
    },
    ids::PageId,
    lang::Lang,
    time::{self, DatePrecision},
    vocab::{Kind, Status},
};

/// The edit form's fields, exactly as typed. Everything is text, so no submission fails to parse
/// and whatever an editor typed can be shown back to them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PageForm {
    pub csrf: String,
    pub page_id: String,
    pub version: String,
    pub lang: String,
    pub title: String,
    pub path: String,
    pub parent: String,
    pub translation: String,
    /// The parent's address, typed: used instead of `parent` when the list could not hold every
    /// page.
    pub parent_path: String,
    /// The translation's address, typed, likewise.
    pub translation_path: String,
    pub description: String,
    pub body: String,
    pub kind: String,
    pub menu_order: String,
    pub archived: Option<String>,
    pub publish_date: String,
    pub publish_time: String,
    /// Which button was pressed: `draft` or `publish`.
    pub action: String,
    /// Sent only from a form that came back because the session had ended: the editor logs in again
    /// with it, and the save goes on.
    pub relogin_username: String,
    pub relogin_password: String,
    /// For an account with two-factor login: the app's code or a recovery code.
    pub relogin_code: String,
    /// Sent only from a form that came back with a conflict: the version the editor saw the
    /// colleague's change in. Saving with `action=replace` replaces that version, and no newer one.
    pub replace_version: String,
    /// The editor agreed that the page leaves the main menu when it goes under another page.
    pub leave_menu: Option<String>,
}

crate::admin::csrf::csrf_form!(PageForm);

impl PageForm {
    /// The form filled in from a stored page.
    pub fn of_page(page: &Page, translation: Option<PageId>) -> PageForm {
        let (publish_date, publish_time) = page
            .content
            .publish_at
            .as_deref()
            .and_then(time::from_db)
            .map(time::form_fields)
            .unwrap_or_default();
        PageForm {
            csrf: String::new(),
            page_id: page.id.to_string(),
            version: page.version.to_string(),
            lang: page.lang.code().to_owned(),
            title: page.content.title.clone(),
            path: page.content.path.clone(),
            parent: page.parent_id.map(|id| id.to_string()).unwrap_or_default(),
            translation: translation.map(|id| id.to_string()).unwrap_or_default(),
            parent_path: String::new(),
            translation_path: String::new(),
            description: page.content.description.clone(),
            body: page.content.body_md.clone(),
            kind: page.content.kind.id().to_owned(),
            menu_order: page
                .content
                .menu_order
                .map(|n| n.to_string())
                .unwrap_or_default(),
            archived: page.content.archived.then(|| "on".to_owned()),
            publish_date,
            publish_time,
            action: String::new(),
            relogin_username: String::new(),
            relogin_password: String::new(),
            relogin_code: String::new(),
            replace_version: String::new(),
            leave_menu: None,
        }
    }

    pub fn lang(&self) -> Lang {
        Lang::from_code(&self.lang).unwrap_or(Lang::Sv)
    }

    /// The kind chosen; anything but news is a page.
    pub fn kind(&self) -> Kind {
        Kind::from_id(&self.kind).unwrap_or_default()
    }

    pub fn id_field(text: &str) -> Option<PageId> {
        text.trim().parse().ok().filter(|id| *id > 0).map(PageId)
    }
}

/// The most pages a select of the form lists; on a larger site it lists the likeliest ones (the
/// chosen one, sections with pages below them, pages in the menu) and the editor may type any
/// other's address instead. So the form stays small at any size.
pub const MAX_CHOICES: usize = 200;

/// What the form offers as parent and as translation.
#[derive(Debug, Default)]
pub struct Choices {
    pub parents: Vec<Choice>,
    /// Not every possible parent is listed: the form offers a field for an address.
    pub parents_cut: bool,
    pub translations: Vec<Choice>,
    pub translations_cut: bool,
}

/// The parents a page may have (pages of its language, not itself or below it) and the pages it may
/// translate (pages of the other language), each at most [`MAX_CHOICES`].
pub async fn choices(
    state: &AppState,
    lang: Lang,
    page_id: Option<PageId>,
    form: &PageForm,
) -> sqlx::Result<Choices> {
    // Every page of a language that has few; of a language that has many, only the likeliest: the
    // home page, the menu's pages, the pages with pages below them, and the chosen ones. Those
    // include every ancestor of each other, so the tree still holds.
    let counts = db::pages::count_by_lang(&state.db).await?;
    let many = |lang: Lang| counts.get(&lang).copied().unwrap_or(0) > MAX_CHOICES as i64;
    let keep = [
        page_id,
        PageForm::id_field(&form.parent),
        PageForm::id_field(&form.translation),
    ];
    let all_of: Vec<Lang> = Lang::ALL.into_iter().filter(|lang| !many(*lang)).collect();
    let pages = db::pages::outline(&state.db, &all_of, &keep).await?;
    let mut children: HashMap<PageId, Vec<PageId>> = HashMap::new();
    for page in &pages {
        if let Some(parent) = page.parent_id {
            children.entry(parent).or_default().push(page.id);
        }
    }
    // The page itself and everything below it cannot be its parent.
    let mut below = HashSet::new();
    if let Some(id) = page_id {
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if below.insert(next) {
                stack.extend(children.get(&next).into_iter().flatten());
            }
        }
    }
    // Placed in the tree, but labelled only when shown.
    let rows: Vec<(&Listed, usize)> = tree_positions(&pages)
        .into_iter()
        .map(|(index, depth)| (&pages[index], depth))
        .collect();
    let label = |(page, depth): &(&Listed, usize)| {
        let indent = "– ".repeat(*depth);
        let path = if page.path.is_empty() {
            "startsidan".to_owned()
        } else {
            format!("/{}", page.path)
        };
        format!("{indent}{} ({path})", page.title)
    };
    let pick = |candidates: Vec<&(&Listed, usize)>, chosen: &str| -> Vec<Choice> {
        candidates
            .into_iter()
            .take(MAX_CHOICES)
            .map(|row| Choice {
                value: row.0.id.to_string(),
                label: label(row),
                selected: chosen == row.0.id.to_string(),
            })
            .collect()
    };
    let parents = pick(
        rows.iter()
            .filter(|(page, _)| page.lang == lang && !below.contains(&page.id))
            .collect(),
        &form.parent,
    );
    let translations = pick(
        rows.iter().filter(|(page, _)| page.lang != lang).collect(),
        &form.translation,
    );
    let (parents_cut, translations_cut) = (many(lang), many(lang.other()));
    Ok(Choices {
        parents,
        parents_cut,
        translations,
        translations_cut,
    })
}

/// The id of the page at `address` in `lang`, as an editor types it: `/om-oss`, `om-oss`,
/// `/en/about`, `/` for the home page. None when no page is there.
async fn page_at(state: &AppState, lang: Lang, address: &str) -> sqlx::Result<Option<PageId>> {
    let address = address.trim();
    let path = match lang {
        Lang::Sv => address.trim_start_matches('/'),
        Lang::En => address
            .strip_prefix("/en")
            .unwrap_or(address)
            .trim_start_matches('/'),
    };
    db::pages::id_by_path(&state.db, lang, path.trim_end_matches('/')).await
}

const LEAVES_MENU: &str = "Sidan ligger i huvudmenyn. Under en annan sida visas den inte där \
     längre. Kryssa i rutan under listan om den ska flyttas ändå, eller välj \"Ingen (huvudnivå)\".";

/// The page is in the site's main menu: at the top level, with a place in the menu.
pub fn in_main_menu(page: &Page) -> bool {
    page.parent_id.is_none() && page.content.menu_order.is_some() && !page.content.path.is_empty()
}

/// Checks a submitted form against the rules and the database: the draft to save, or every problem
/// with the field it belongs to. A failing database is an error of its own, never a problem of the form.
pub async fn check(
    state: &AppState,
    form: &PageForm,
    existing: Option<&Page>,
) -> sqlx::Result<Result<Draft, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let lang = existing.map_or(form.lang(), |page| page.lang);
    if existing.is_none() && Lang::from_code(&form.lang).is_none() {
        errors.add("lang", "Välj språk: svenska eller engelska.");
    }
    let title = form.title.trim();
    if let Err(problem) = Title::parse(title) {
        errors.add("title", problem.swedish());
    }

    let typed_parent = if form.parent_path.trim().is_empty() {
        None
    } else {
        match page_at(state, lang, &form.parent_path).await? {
            Some(id) => Some(id),
            None => {
                errors.add(
                    "parent",
                    "Ingen sida på samma språk har den adressen. Skriv adressen som den står i listan över sidor, till exempel /om-oss.",
                );
                None
            }
        }
    };
    let parent = match typed_parent.or_else(|| PageForm::id_field(&form.parent)) {
        Some(id) => Some(db::pages::find(&state.db, id).await?),
        None => None,
    };
    if let Some(parent) = &parent {
        let cycle = match (parent, existing) {
            (Some(parent), Some(page)) => {
                // The chosen parent and the pages above it, nearest first: each one's parent is
                // the next.
                let above = db::pages::ancestor_ids(&state.db, parent.id).await?;
                let chain: Vec<PageId> = std::iter::once(parent.id).chain(above).collect();
                let parent_of = |id: PageId| {
                    let at = chain.iter().position(|&link| link == id)?;
                    chain.get(at + 1).copied()
                };
                rules::makes_cycle(page.id, parent.id, parent_of)
            }
            _ => false,
        };
        match parent {
            None => errors.add(
                "parent",
                "Den överordnade sidan finns inte längre. Välj en annan.",
            ),
            Some(parent) if parent.lang != lang => {
                errors.add("parent", "Den överordnade sidan måste vara på samma språk.")
            }
            Some(_) if cycle => errors.add("parent", Problem::ParentCycle.swedish()),
            Some(_) => {}
        }
    }
    let parent = parent.flatten();
    // A page of the main menu that goes under another page leaves the menu: never silently.
    if existing.is_some_and(in_main_menu) && parent.is_some() && form.leave_menu.is_none() {
        errors.add("parent", LEAVES_MENU);
    }

    let is_home = existing.is_some_and(|page| page.content.path.is_empty());
    let path = if is_home {
        String::new()
    } else {
        let typed = form.path.trim().trim_matches('/').to_owned();
        if typed.is_empty() {
            // No path typed: suggest one from the title, below the parent's.
            // News without a parent goes under the news list, as the site's news always has.
            let slug = PagePath::suggest(title);
            match parent
                .as_ref()
                .filter(|parent| !parent.content.path.is_empty())
            {
                Some(parent) if !slug.is_empty() => format!("{}/{slug}", parent.content.path),
                None if !slug.is_empty() && form.kind() == Kind::News => {
                    format!("{}/{slug}", lang.news_path())
                }
                _ => slug,
            }
        } else {
            typed
        }
    };
    if !is_home {
        if path.is_empty() {
            errors.add(
                "path",
                "Skriv en adress, till exempel om-oss. Bara startsidan saknar adress.",
            );
        } else if let Err(problem) = PagePath::check(&path) {
            errors.add("path", problem.swedish());
        }
    }

    if let Err(problem) = rules::check_body(&form.body) {
        errors.add("body", problem.swedish());
    }
    let kind = form.kind();
    let description = form.description.trim();
    if let Err(problem) = Description::parse(description) {
        errors.add("description", problem.swedish());
    }
    let menu_order = match MenuOrder::parse_field(&form.menu_order) {
        Ok(order) => order.map(MenuOrder::get),
        Err(problem) => {
            errors.add("menu_order", problem.swedish());
            None
        }
    };

    let status = if form.action == "draft" {
        Status::Draft
    } else {
        Status::Published
    };
    let mut publish_at = None;
    if !form.publish_date.trim().is_empty() {
        match time::parse_form_fields(&form.publish_date, &form.publish_time) {
            Ok(ts) => publish_at = Some(time::to_db(ts)),
            Err(problem) => {
                let field = if problem.in_time_field() {
                    "publish_time"
                } else {
                    "publish_date"
                };
                errors.add(field, problem.swedish());
            }
        }
    } else if !form.publish_time.trim().is_empty() {
        errors.add(
            "publish_date",
            "Skriv ett datum till klockslaget, eller töm klockslaget.",
        );
    }
    // A news item is dated; published without a date, it is dated now.
    let publish_at = rules::dated(kind, status, publish_at, &state.clock.now_db());
    // A date kept as it was keeps its precision (a month-only date stays one).
    let date_precision = match existing {
        Some(page) if page.content.publish_at == publish_at => page.content.date_precision,
        _ => DatePrecision::Day,
    };

    let typed_translation = if form.translation_path.trim().is_empty() {
        None
    } else {
        match page_at(state, lang.other(), &form.translation_path).await? {
            Some(id) => Some(id),
            None => {
                errors.add(
                    "translation",
                    "Ingen sida på det andra språket har den adressen. Engelska sidor börjar med /en/.",
                );
                None
            }
        }
    };
    let translation = match typed_translation.or_else(|| PageForm::id_field(&form.translation)) {
        Some(id) => match db::pages::find(&state.db, id).await? {
            Some(other) if other.lang != lang => Translation::Of(id),
            _ => {
                errors.add(
                    "translation",
                    "Översättningen måste vara en sida på det andra språket.",
                );
                Translation::Unlinked
            }
        },
        None => Translation::Unlinked,
    };

    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(Draft {
        lang,
        content: Content {
            path,
            title: title.to_owned(),
            description: description.to_owned(),
            body_md: form.body.replace("\r\n", "\n"),
            kind,
            status,
            publish_at,
            date_precision,
            menu_order,
            translation_key: None,
            archived: form.archived.is_some(),
        },
        parent_id: parent.map(|parent| parent.id),
        translation,
    }))
}

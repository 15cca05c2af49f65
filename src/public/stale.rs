//! Which cached responses a change makes stale, and what each public response shows ([`Dep`]): both
//! halves of the rule in one place, so that they cannot drift apart. The handlers ask
//! [`page_shows`], [`news_shows`] and [`sitemap_shows`]; [`of`] matches what a change touched
//! ([`Changes`]) against them.
//!
//! A page's own response shows its content, its children, its translation and its ancestors; a
//! section shows its children; the news list, the feed and the home page show news; the sitemap
//! shows every page; a "not found" page shows that an address is empty. The main menu is on every
//! response, so a change to what the menu shows empties the whole cache.

use crate::{
    change::{Changes, Snapshot},
    db::pages::Page,
    ids::PageId,
    lang::Lang,
    render_cache::{Dep, Stale},
    vocab::Kind,
};

/// What a page's response shows: the page, its visible children, its translation (the language
/// switch), its `ancestors` (the breadcrumb trail) and, on a home page, the news.
pub fn page_shows(page: &Page, ancestors: &[PageId]) -> Vec<Dep> {
    let mut shows = vec![Dep::Page(page.id), Dep::ChildrenOf(page.id)];
    if let Some(key) = &page.content.translation_key {
        shows.push(Dep::Translation(key.clone()));
    }
    shows.extend(ancestors.iter().map(|&id| Dep::Page(id)));
    if page.content.path.is_empty() {
        shows.push(Dep::News(page.lang));
    }
    shows
}

/// What the news list and the feed of `lang` show.
pub fn news_shows(lang: Lang) -> Vec<Dep> {
    vec![Dep::News(lang)]
}

/// What the sitemap shows: every page.
pub fn sitemap_shows() -> Vec<Dep> {
    vec![Dep::AllPages]
}

/// What `changes` made stale.
pub fn of(changes: &Changes) -> Stale {
    let mut stale = Stale::default();
    for change in &changes.pages {
        stale.add(Dep::Page(change.id));
        stale.add(Dep::AllPages);
        let snapshots = [&change.before, &change.after];
        for snapshot in snapshots.into_iter().flatten() {
            if let Some(parent) = snapshot.parent_id {
                stale.add(Dep::ChildrenOf(parent));
            }
            if let Some(key) = &snapshot.translation_key {
                stale.add(Dep::Translation(key.clone()));
            }
            if snapshot.kind == Kind::News {
                stale.add(Dep::News(snapshot.lang));
            }
            stale.add(Dep::Address(snapshot.lang, snapshot.path.clone()));
            if in_menu(snapshot) && change.before != change.after {
                stale.add_everything();
            }
        }
    }
    stale
}

/// Whether the main menu lists the page, when visible: a top-level page with a menu position
/// (the home page is the site's name, not an entry).
fn in_menu(page: &Snapshot) -> bool {
    page.parent_id.is_none() && page.menu_order.is_some() && !page.path.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{change::PageChange, vocab::Status};

    fn snapshot(path: &str) -> Snapshot {
        Snapshot {
            lang: Lang::Sv,
            path: path.to_owned(),
            title: "Titel".to_owned(),
            kind: Kind::Page,
            status: Status::Published,
            publish_at: None,
            parent_id: Some(PageId(1)),
            menu_order: None,
            translation_key: Some("k".to_owned()),
            trashed: false,
        }
    }

    fn change(before: Option<Snapshot>, after: Option<Snapshot>) -> Changes {
        Changes {
            pages: vec![PageChange {
                id: PageId(7),
                before,
                after,
            }],
            media: Vec::new(),
            versions: None,
        }
    }

    #[test]
    fn an_edit_reaches_the_page_its_parent_translation_and_address() {
        let page = snapshot("om-oss/team");
        let stale = of(&change(Some(page.clone()), Some(page)));
        assert!(!stale.is_everything());
        for dep in [
            Dep::Page(PageId(7)),
            Dep::ChildrenOf(PageId(1)),
            Dep::Translation("k".to_owned()),
            Dep::AllPages,
            Dep::Address(Lang::Sv, "om-oss/team".to_owned()),
        ] {
            assert!(stale.touches(std::slice::from_ref(&dep)), "{dep:?}");
        }
        for dep in [
            Dep::Page(PageId(8)),
            Dep::ChildrenOf(PageId(7)),
            Dep::News(Lang::Sv),
            Dep::Translation("other".to_owned()),
            Dep::Address(Lang::En, "om-oss/team".to_owned()),
        ] {
            assert!(!stale.touches(std::slice::from_ref(&dep)), "{dep:?}");
        }
    }

    #[test]
    fn a_move_reaches_both_parents_and_both_addresses() {
        let before = snapshot("a/x");
        let mut after = snapshot("b/x");
        after.parent_id = Some(PageId(2));
        let stale = of(&change(Some(before), Some(after)));
        for dep in [
            Dep::ChildrenOf(PageId(1)),
            Dep::ChildrenOf(PageId(2)),
            Dep::Address(Lang::Sv, "a/x".to_owned()),
            Dep::Address(Lang::Sv, "b/x".to_owned()),
        ] {
            assert!(stale.touches(&[dep]));
        }
    }

    #[test]
    fn news_reaches_the_lists_and_the_menu_everything() {
        let mut item = snapshot("nyheter/a");
        item.kind = Kind::News;
        let stale = of(&change(None, Some(item)));
        assert!(stale.touches(&[Dep::News(Lang::Sv)]));
        assert!(!stale.is_everything());

        let mut top = snapshot("om-oss");
        top.parent_id = None;
        top.menu_order = Some(1);
        let same = of(&change(Some(top.clone()), Some(top.clone())));
        assert!(
            !same.is_everything(),
            "a body edit does not change the menu"
        );
        let mut renamed = top.clone();
        renamed.title = "Om SKL".to_owned();
        assert!(of(&change(Some(top.clone()), Some(renamed))).is_everything());
        assert!(of(&change(Some(top), None)).is_everything());
    }

    /// A stored page at `path` with parent `parent`, in the translation `k`.
    fn stored(id: PageId, path: &str, parent: Option<PageId>, kind: Kind) -> Page {
        Page {
            id,
            lang: Lang::Sv,
            content: crate::db::pages::Content {
                path: path.to_owned(),
                title: "Titel".to_owned(),
                description: String::new(),
                body_md: String::new(),
                kind,
                status: Status::Published,
                publish_at: None,
                date_precision: crate::time::DatePrecision::Day,
                menu_order: None,
                translation_key: Some("k".to_owned()),
                archived: false,
            },
            body_html: String::new(),
            parent_id: parent,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: None,
        }
    }

    fn edit_of(page: &Page) -> Changes {
        let snapshot = Snapshot::of_page(page);
        Changes {
            pages: vec![PageChange {
                id: page.id,
                before: Some(snapshot.clone()),
                after: Some(snapshot),
            }],
            media: Vec::new(),
            versions: None,
        }
    }

    #[test]
    fn what_a_page_shows_goes_stale_when_any_page_it_shows_changes() {
        // 1 "om-oss" ← 2 "om-oss/team" ← 3 "om-oss/team/anna"; 4 is the English translation of 2.
        let top = stored(PageId(1), "om-oss", None, Kind::Page);
        let team = stored(PageId(2), "om-oss/team", Some(PageId(1)), Kind::Page);
        let anna = stored(PageId(3), "om-oss/team/anna", Some(PageId(2)), Kind::Page);
        let mut english = stored(PageId(4), "about/team", None, Kind::Page);
        english.lang = Lang::En;
        let shows = page_shows(&team, &[PageId(1)]);
        for (changed, why) in [
            (&team, "itself"),
            (&top, "its ancestor, in the breadcrumb trail"),
            (&anna, "its child, in its list of children"),
            (&english, "its translation, in the language switch"),
        ] {
            assert!(of(&edit_of(changed)).touches(&shows), "{why}");
        }
        let mut elsewhere = stored(PageId(5), "kontakt", None, Kind::Page);
        elsewhere.content.translation_key = None;
        assert!(!of(&edit_of(&elsewhere)).touches(&shows));

        let home = stored(PageId(6), "", None, Kind::Page);
        let news = stored(PageId(7), "nyheter/en-nyhet", None, Kind::News);
        assert!(of(&edit_of(&news)).touches(&page_shows(&home, &[])));
        assert!(of(&edit_of(&news)).touches(&news_shows(Lang::Sv)));
        assert!(of(&edit_of(&elsewhere)).touches(&sitemap_shows()));
    }
}

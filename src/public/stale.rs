//! Which cached responses an edit makes stale: the rule that matches what the public handlers say
//! their responses show ([`Dep`]) against what an edit changed ([`Changes`]).
//!
//! A page's own response shows its content, its children, its translation and its ancestors; a
//! section shows its children; the news list, the feed and the home page show news; the sitemap
//! shows every page; a "not found" page shows that an address is empty. The main menu is on every
//! response, so a change to what the menu shows empties the whole cache.

use crate::{
    change::{Changes, Snapshot},
    render_cache::{Dep, Stale},
    vocab::Kind,
};

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
    use crate::{change::PageChange, lang::Lang, vocab::Status};

    fn snapshot(path: &str) -> Snapshot {
        Snapshot {
            lang: Lang::Sv,
            path: path.to_owned(),
            title: "Titel".to_owned(),
            kind: Kind::Page,
            status: Status::Published,
            publish_at: None,
            parent_id: Some(1),
            menu_order: None,
            translation_key: Some("k".to_owned()),
            trashed: false,
        }
    }

    fn change(before: Option<Snapshot>, after: Option<Snapshot>) -> Changes {
        Changes {
            pages: vec![PageChange {
                id: 7,
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
            Dep::Page(7),
            Dep::ChildrenOf(1),
            Dep::Translation("k".to_owned()),
            Dep::AllPages,
            Dep::Address(Lang::Sv, "om-oss/team".to_owned()),
        ] {
            assert!(stale.touches(std::slice::from_ref(&dep)), "{dep:?}");
        }
        for dep in [
            Dep::Page(8),
            Dep::ChildrenOf(7),
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
        after.parent_id = Some(2);
        let stale = of(&change(Some(before), Some(after)));
        for dep in [
            Dep::ChildrenOf(1),
            Dep::ChildrenOf(2),
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
}

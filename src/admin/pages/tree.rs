//! The pages as a tree: parents before their children, with each page's status in words.

use std::collections::{HashMap, HashSet};

use crate::{
    db::pages::Listed,
    ids::PageId,
    lang::{Label, Lang},
    time::{self, Moment},
    vocab::Status,
};

/// A page in the list, placed in the tree.
#[derive(Debug)]
pub struct Row {
    pub id: PageId,
    pub title: String,
    pub path: String,
    pub lang: Lang,
    pub depth: usize,
    pub kind: &'static str,
    pub status: String,
    pub updated: String,
    pub author: String,
}

impl Row {
    pub fn of(page: &Listed, depth: usize, now: &Moment) -> Row {
        Row {
            id: page.id,
            title: page.title.clone(),
            path: page.path.clone(),
            lang: page.lang,
            depth,
            kind: page.kind.swedish(),
            status: status_label(page.status, page.publish_at.as_deref(), now),
            updated: time::from_db(&page.updated_at)
                .map(time::admin_datetime)
                .unwrap_or_default(),
            author: page
                .last_author
                .clone()
                .unwrap_or_else(|| "import".to_owned()),
        }
    }
}

/// `pages` in the order of the tree, as indexes into `pages` with their depths (top-level pages
/// 0), each parent before its children: the home page first, then the menu pages in menu order,
/// then the rest by path. Pages whose parent is not among them (or that sit in a cycle) come last,
/// at depth 0. Nothing is formatted, so that the edit form can place 10,000 pages and label only
/// those it shows.
pub fn tree_positions(pages: &[Listed]) -> Vec<(usize, usize)> {
    let ids: HashSet<PageId> = pages.iter().map(|page| page.id).collect();
    let mut children: HashMap<Option<PageId>, Vec<usize>> = HashMap::new();
    for (index, page) in pages.iter().enumerate() {
        let parent = page.parent_id.filter(|parent| ids.contains(parent));
        children.entry(parent).or_default().push(index);
    }
    let order = |page: &Listed| {
        (
            !page.path.is_empty(),
            page.menu_order.is_none(),
            page.menu_order,
            page.path.clone(),
        )
    };
    for siblings in children.values_mut() {
        siblings.sort_by_cached_key(|index| order(&pages[*index]));
    }
    let mut positions = Vec::with_capacity(pages.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|top| top.iter().rev().map(|index| (*index, 0)).collect())
        .unwrap_or_default();
    let mut seen = vec![false; pages.len()];
    while let Some((index, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[index], true) {
            continue;
        }
        positions.push((index, depth));
        if let Some(kids) = children.get(&Some(pages[index].id)) {
            stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
        }
    }
    for (index, seen) in seen.iter().enumerate() {
        if !seen {
            positions.push((index, 0));
        }
    }
    positions
}

/// A page's status in words: published, draft, or scheduled for a moment.
pub fn status_label(status: Status, publish_at: Option<&str>, now: &Moment) -> String {
    match (status, publish_at) {
        (Status::Draft, _) => Status::Draft.swedish().to_owned(),
        (Status::Published, Some(at)) if at > now => format!(
            "Schemalagd {}",
            time::from_db(at)
                .map(time::admin_datetime)
                .unwrap_or_default()
        ),
        (Status::Published, _) => Status::Published.swedish().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Kind;

    fn listed(id: i64, path: &str, parent_id: Option<i64>, menu_order: Option<i64>) -> Listed {
        Listed {
            id: PageId(id),
            lang: Lang::Sv,
            path: path.to_owned(),
            title: path.to_owned(),
            kind: Kind::Page,
            status: Status::Published,
            publish_at: None,
            parent_id: parent_id.map(PageId),
            menu_order,
            translation_key: None,
            updated_at: "2026-11-28T10:00:00Z".to_owned(),
            deleted_at: None,
            last_author: None,
        }
    }

    #[test]
    fn parents_come_before_children_and_cycles_are_still_listed() {
        let pages = vec![
            listed(1, "b", None, None),
            listed(2, "a/barn", Some(3), None),
            listed(3, "a", None, Some(2)),
            listed(4, "", None, None),
            listed(5, "c", None, Some(1)),
            listed(6, "x", Some(7), None),
            listed(7, "y", Some(6), None),
        ];
        let order: Vec<(&str, usize)> = tree_positions(&pages)
            .into_iter()
            .map(|(index, depth)| (pages[index].path.as_str(), depth))
            .collect();
        assert_eq!(
            order,
            [
                ("", 0),
                ("c", 0),
                ("a", 0),
                ("a/barn", 1),
                ("b", 0),
                ("x", 0),
                ("y", 0)
            ]
        );
        let now = crate::time::Moment::parse("2026-11-28T12:00:00Z").expect("a moment");
        let row = Row::of(&pages[0], 0, &now);
        assert_eq!(
            (row.status.as_str(), row.author.as_str()),
            ("Publicerad", "import")
        );
    }
}

//! The pages as a tree: parents before their children, with each page's status in words.

use std::collections::{HashMap, HashSet};

use crate::{
    content::{Kind, Status},
    db::pages::Listed,
    lang::Lang,
    time,
};

/// A page in the list, placed in the tree.
#[derive(Debug)]
pub struct Row {
    pub id: i64,
    pub title: String,
    pub path: String,
    pub lang: Lang,
    pub depth: usize,
    pub kind: &'static str,
    pub status: String,
    pub updated: String,
    pub author: String,
}

/// Orders pages as a tree, parents before their children, and says how deep each is.
pub fn tree_order(pages: Vec<Listed>, now: &str) -> Vec<Row> {
    let ids: HashSet<i64> = pages.iter().map(|page| page.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&Listed>> = HashMap::new();
    for page in &pages {
        // A page whose parent is not in this list (trashed, say) is shown at the top level.
        let parent = page.parent_id.filter(|parent| ids.contains(parent));
        children.entry(parent).or_default().push(page);
    }
    for siblings in children.values_mut() {
        // The home page first, then menu order, then path.
        siblings.sort_by(|a, b| {
            (
                !a.path.is_empty(),
                a.menu_order.is_none(),
                a.menu_order,
                &a.path,
            )
                .cmp(&(
                    !b.path.is_empty(),
                    b.menu_order.is_none(),
                    b.menu_order,
                    &b.path,
                ))
        });
    }
    let mut rows = Vec::with_capacity(pages.len());
    let mut stack: Vec<(&Listed, usize)> = children
        .get(&None)
        .map(|top| top.iter().rev().map(|page| (*page, 0)).collect())
        .unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some((page, depth)) = stack.pop() {
        if !seen.insert(page.id) {
            continue;
        }
        rows.push(Row {
            id: page.id,
            title: page.title.clone(),
            path: page.path.clone(),
            lang: page.lang,
            depth,
            kind: match page.kind {
                Kind::Page => "Sida",
                Kind::News => "Nyhet",
            },
            status: status_label(page.status, page.publish_at.as_deref(), now),
            updated: time::from_db(&page.updated_at)
                .map(time::admin_datetime)
                .unwrap_or_default(),
            author: page
                .last_author
                .clone()
                .unwrap_or_else(|| "import".to_owned()),
        });
        if let Some(kids) = children.get(&Some(page.id)) {
            stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
        }
    }
    // Pages in a parent cycle are never reached from the top; list them anyway.
    for page in &pages {
        if !seen.contains(&page.id) {
            rows.push(Row {
                id: page.id,
                title: page.title.clone(),
                path: page.path.clone(),
                lang: page.lang,
                depth: 0,
                kind: "Sida",
                status: status_label(page.status, page.publish_at.as_deref(), now),
                updated: page.updated_at.clone(),
                author: page.last_author.clone().unwrap_or_default(),
            });
        }
    }
    rows
}

/// A page's status in words: published, draft, or scheduled for a moment.
pub fn status_label(status: Status, publish_at: Option<&str>, now: &str) -> String {
    match (status, publish_at) {
        (Status::Draft, _) => "Utkast".to_owned(),
        (Status::Published, Some(at)) if at > now => format!(
            "Schemalagd {}",
            time::from_db(at)
                .map(time::admin_datetime)
                .unwrap_or_default()
        ),
        (Status::Published, _) => "Publicerad".to_owned(),
    }
}

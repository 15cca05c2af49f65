//! What a committed change tells the other instances on the same database: the [`Changes`] as a
//! line-based text, small enough for a PostgreSQL notice, so that each forgets exactly what the
//! change made stale instead of everything it has cached.
//!
//! The text is `v BEFORE AFTER`, then `m ID` for each file of the library, then for each page
//! `p ID` followed by `b …` (as it was) and `a …` (as it is) where it existed: the snapshot's
//! fields separated by tabs, free text last and escaped (`\\`, `\t`, `\n`), absent values as `-`.

use super::{Changes, PageChange, Snapshot, Versions};
use crate::{
    ids::{MediaId, PageId},
    lang::Lang,
    vocab::{Kind, Status},
};

/// The most bytes a text may have: PostgreSQL's limit on a notice's payload is 8,000, and the
/// sender's name goes before it. A larger change is announced as "something changed".
pub const MAX_LEN: usize = 7_500;

/// `changes` as text, or none when it is too large (or has no versions) to be told in detail.
pub fn encode(changes: &Changes) -> Option<String> {
    let versions = changes.versions?;
    let mut text = format!("v {} {}\n", versions.before, versions.after);
    for id in &changes.media {
        text.push_str(&format!("m {id}\n"));
    }
    for page in &changes.pages {
        text.push_str(&format!("p {}\n", page.id));
        for (tag, snapshot) in [("b", &page.before), ("a", &page.after)] {
            if let Some(snapshot) = snapshot {
                text.push_str(tag);
                text.push(' ');
                text.push_str(&snapshot_line(snapshot));
                text.push('\n');
            }
        }
        if text.len() > MAX_LEN {
            return None;
        }
    }
    (text.len() <= MAX_LEN).then_some(text)
}

/// The changes `text` describes, or none if it is not such a text.
pub fn decode(text: &str) -> Option<Changes> {
    let mut lines = text.lines();
    let mut first = lines.next()?.strip_prefix("v ")?.split(' ');
    let versions = Versions {
        before: first.next()?.parse().ok()?,
        after: first.next()?.parse().ok()?,
    };
    let mut changes = Changes {
        versions: Some(versions),
        ..Changes::default()
    };
    for line in lines {
        let (tag, rest) = line.split_once(' ')?;
        match tag {
            "m" => changes.media.push(MediaId(rest.parse().ok()?)),
            "p" => changes.pages.push(PageChange {
                id: PageId(rest.parse().ok()?),
                before: None,
                after: None,
            }),
            "b" => changes.pages.last_mut()?.before = Some(parse_snapshot(rest)?),
            "a" => changes.pages.last_mut()?.after = Some(parse_snapshot(rest)?),
            _ => return None,
        }
    }
    Some(changes)
}

fn snapshot_line(snapshot: &Snapshot) -> String {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    [
        snapshot.lang.code().to_owned(),
        snapshot.kind.id().to_owned(),
        snapshot.status.id().to_owned(),
        or_dash(snapshot.parent_id.map(|id| id.to_string())),
        or_dash(snapshot.menu_order.map(|order| order.to_string())),
        if snapshot.trashed { "1" } else { "0" }.to_owned(),
        or_dash(snapshot.publish_at.as_deref().map(escape)),
        or_dash(snapshot.translation_key.as_deref().map(escape)),
        escape(&snapshot.path),
        escape(&snapshot.title),
    ]
    .join("\t")
}

fn parse_snapshot(line: &str) -> Option<Snapshot> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [
        lang,
        kind,
        status,
        parent,
        menu,
        trashed,
        publish_at,
        key,
        path,
        title,
    ] = fields[..]
    else {
        return None;
    };
    let optional = |field: &str| (field != "-").then(|| unescape(field));
    Some(Snapshot {
        lang: Lang::from_code(lang)?,
        kind: Kind::from_id(kind)?,
        status: Status::from_id(status)?,
        parent_id: match parent {
            "-" => None,
            id => Some(PageId(id.parse().ok()?)),
        },
        menu_order: match menu {
            "-" => None,
            order => Some(order.parse().ok()?),
        },
        trashed: trashed == "1",
        publish_at: optional(publish_at),
        translation_key: optional(key),
        path: unescape(path),
        title: unescape(title),
    })
}

/// Free text with its backslashes, tabs and line breaks escaped, so that it stays one field; a
/// lone `-` is escaped too, so that it is not read as "absent".
fn escape(text: &str) -> String {
    if text == "-" {
        return "\\-".to_owned();
    }
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(title: &str) -> Snapshot {
        Snapshot {
            lang: Lang::En,
            path: "about/team".to_owned(),
            parent_id: Some(PageId(3)),
            menu_order: Some(-2),
            translation_key: Some("-".to_owned()),
            title: title.to_owned(),
            kind: Kind::News,
            status: Status::Published,
            publish_at: Some("2027-01-12 08:00:00".to_owned()),
            trashed: true,
        }
    }

    #[test]
    fn changes_come_back_whole_from_their_text() {
        let changes = Changes {
            pages: vec![
                PageChange {
                    id: PageId(7),
                    before: Some(snapshot("Tab\there, \\ and a\nnew line")),
                    after: Some(Snapshot {
                        parent_id: None,
                        menu_order: None,
                        translation_key: None,
                        publish_at: None,
                        trashed: false,
                        lang: Lang::Sv,
                        kind: Kind::Page,
                        status: Status::Draft,
                        ..snapshot("Åäö – \\t is not a tab")
                    }),
                },
                PageChange {
                    id: PageId(8),
                    before: None,
                    after: Some(snapshot("-")),
                },
            ],
            media: vec![MediaId(4), MediaId(9)],
            versions: Some(Versions {
                before: 41,
                after: 43,
            }),
        };
        let text = encode(&changes).expect("small enough");
        assert_eq!(decode(&text), Some(changes));
    }

    #[test]
    fn a_large_change_or_a_strange_text_is_told_as_something_changed() {
        let page = |n: i64| PageChange {
            id: PageId(n),
            before: None,
            after: Some(snapshot(&"Lång titel ".repeat(20))),
        };
        let large = Changes {
            pages: (0..100).map(page).collect(),
            media: Vec::new(),
            versions: Some(Versions {
                before: 1,
                after: 2,
            }),
        };
        assert_eq!(encode(&large), None);
        assert_eq!(encode(&Changes::default()), None, "no versions");
        for text in [
            "",
            "v 1",
            "v 1 2\nx 3",
            "v 1 2\nb en",
            "v 1 2\np 1\na en\tpage",
        ] {
            assert_eq!(decode(text), None, "{text:?}");
        }
    }
}

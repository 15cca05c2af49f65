//! The rules a page's fields keep, below HTTP: shared by the edit form, import and the command line,
//! so that a page that breaks them cannot come in by any door.

use std::ops::RangeInclusive;

use super::markdown;
use crate::{
    time::Moment,
    vocab::{Kind, Status},
};

/// The longest title accepted, in characters.
pub const MAX_TITLE: usize = 200;

/// The longest description accepted, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// The positions a page may have in the main menu.
pub const MENU_ORDERS: RangeInclusive<i64> = 0..=10_000;

/// Why a page's field was refused, each with a sentence that says how to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    TitleMissing,
    TitleTooLong,
    DescriptionTooLong,
    MenuOrderOutOfRange,
    BodyTooDeep,
    /// The page would lie below itself.
    ParentCycle,
}

impl Problem {
    /// The setting of a page file (and the field of the edit form) it is about.
    pub fn field(self) -> &'static str {
        match self {
            Problem::TitleMissing | Problem::TitleTooLong => "title",
            Problem::DescriptionTooLong => "description",
            Problem::MenuOrderOutOfRange => "menu_order",
            Problem::BodyTooDeep => "body",
            Problem::ParentCycle => "parent",
        }
    }

    /// For editors, in the admin area's language.
    pub fn swedish(self) -> String {
        match self {
            Problem::TitleMissing => {
                "Skriv en rubrik. Den visas överst på sidan och i menyer.".to_owned()
            }
            Problem::TitleTooLong => format!("Rubriken får vara högst {MAX_TITLE} tecken."),
            Problem::DescriptionTooLong => {
                format!("Beskrivningen får vara högst {MAX_DESCRIPTION} tecken.")
            }
            Problem::MenuOrderOutOfRange => format!(
                "Skriv ett heltal mellan {} och {}, eller lämna fältet tomt.",
                MENU_ORDERS.start(),
                MENU_ORDERS.end()
            ),
            Problem::BodyTooDeep => format!(
                "Texten har fler än {} nivåer av listor, citat eller HTML-element i varandra. \
                 Minska nästlingen, så kan sidan sparas.",
                markdown::MAX_NESTING
            ),
            Problem::ParentCycle => "En sida kan inte ligga under sig själv eller en av sina \
                                     undersidor. Välj en annan."
                .to_owned(),
        }
    }

    /// For operators, on the command line.
    pub fn english(self) -> String {
        match self {
            Problem::TitleMissing => "`title` is empty; give the page a heading".to_owned(),
            Problem::TitleTooLong => {
                format!("`title` is longer than {MAX_TITLE} characters; shorten it")
            }
            Problem::DescriptionTooLong => {
                format!("`description` is longer than {MAX_DESCRIPTION} characters; shorten it")
            }
            Problem::MenuOrderOutOfRange => format!(
                "`menu_order` must be a whole number from {} to {}, or left out",
                MENU_ORDERS.start(),
                MENU_ORDERS.end()
            ),
            Problem::BodyTooDeep => format!(
                "the body nests lists, quotes or HTML elements more than {} levels deep; \
                 flatten it",
                markdown::MAX_NESTING
            ),
            Problem::ParentCycle => "`parent` would put the page below itself (through the \
                                     pages above it); choose another parent"
                .to_owned(),
        }
    }
}

/// A page's heading: trimmed, not empty, at most [`MAX_TITLE`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(text: &str) -> Result<Title, Problem> {
        let text = text.trim();
        if text.is_empty() {
            Err(Problem::TitleMissing)
        } else if text.chars().count() > MAX_TITLE {
            Err(Problem::TitleTooLong)
        } else {
            Ok(Title(text.to_owned()))
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A page's summary for search engines and lists: trimmed, at most [`MAX_DESCRIPTION`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(text: &str) -> Result<Description, Problem> {
        let text = text.trim();
        if text.chars().count() > MAX_DESCRIPTION {
            Err(Problem::DescriptionTooLong)
        } else {
            Ok(Description(text.to_owned()))
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A position in the main menu, within [`MENU_ORDERS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MenuOrder(i64);

impl MenuOrder {
    pub fn new(order: i64) -> Result<MenuOrder, Problem> {
        if MENU_ORDERS.contains(&order) {
            Ok(MenuOrder(order))
        } else {
            Err(Problem::MenuOrderOutOfRange)
        }
    }

    /// A form field: empty for none, otherwise a whole number in range.
    pub fn parse_field(text: &str) -> Result<Option<MenuOrder>, Problem> {
        match text.trim() {
            "" => Ok(None),
            text => text
                .parse::<i64>()
                .map_err(|_| Problem::MenuOrderOutOfRange)
                .and_then(MenuOrder::new)
                .map(Some),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A body that can be rendered within bounds.
pub fn check_body(body_md: &str) -> Result<(), Problem> {
    if markdown::too_deep(body_md) {
        Err(Problem::BodyTooDeep)
    } else {
        Ok(())
    }
}

/// The time a page is dated: news published without a date is dated `now`.
pub fn dated(
    kind: Kind,
    status: Status,
    publish_at: Option<String>,
    now: &Moment,
) -> Option<String> {
    match publish_at {
        None if kind == Kind::News && status == Status::Published => Some(now.to_string()),
        other => other,
    }
}

/// Whether making `parent` the parent of `page` would put `page` below itself, given
/// `parent_of`, which tells each page's parent. A chain longer than a thousand counts as a cycle.
pub fn makes_cycle<T: PartialEq + Copy>(
    page: T,
    parent: T,
    parent_of: impl Fn(T) -> Option<T>,
) -> bool {
    let mut current = Some(parent);
    for _ in 0..=1000 {
        match current {
            None => return false,
            Some(above) if above == page => return true,
            Some(above) => current = parent_of(above),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_required_and_bounded() {
        assert_eq!(
            Title::parse("  Om oss ").map(Title::into_string),
            Ok("Om oss".to_owned())
        );
        assert_eq!(Title::parse("   "), Err(Problem::TitleMissing));
        assert!(Title::parse(&"å".repeat(MAX_TITLE)).is_ok());
        assert_eq!(
            Title::parse(&"å".repeat(MAX_TITLE + 1)),
            Err(Problem::TitleTooLong)
        );
    }

    #[test]
    fn menu_orders_are_whole_numbers_in_range() {
        assert_eq!(MenuOrder::parse_field(" "), Ok(None));
        assert_eq!(
            MenuOrder::parse_field("3").map(|o| o.map(MenuOrder::get)),
            Ok(Some(3))
        );
        for bad in ["-1", "10001", "tre", "1.5"] {
            assert_eq!(
                MenuOrder::parse_field(bad),
                Err(Problem::MenuOrderOutOfRange),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_cycle_is_found_through_any_number_of_ancestors() {
        // 1 ← 2 ← 3 (3's parent is 2, 2's is 1).
        let parent_of = |id: i32| match id {
            3 => Some(2),
            2 => Some(1),
            _ => None,
        };
        assert!(makes_cycle(1, 3, parent_of), "1 below its grandchild");
        assert!(makes_cycle(2, 2, parent_of), "a page below itself");
        assert!(!makes_cycle(3, 1, parent_of));
    }

    #[test]
    fn news_without_a_date_is_dated_when_published() {
        let now = &crate::time::Moment::parse("2026-12-06T12:00:00Z").expect("a moment");
        assert_eq!(
            dated(Kind::News, Status::Published, None, now).as_deref(),
            Some("2026-12-06T12:00:00Z")
        );
        assert_eq!(dated(Kind::News, Status::Draft, None, now), None);
        assert_eq!(dated(Kind::Page, Status::Published, None, now), None);
    }
}

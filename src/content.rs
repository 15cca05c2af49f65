//! Page content: the domain types of a page, Markdown rendering, front matter, and moving pages between
//! the database and Markdown files (import, export, and seeding from the embedded `content/`).

pub mod editing;
pub mod front_matter;
pub mod markdown;
pub mod page;
pub mod pasted;
pub mod rules;
pub mod transfer;

pub use page::PagePath;

/// The seed content in `content/`, compiled into the binary so that a first start needs nothing beside it.
#[derive(rust_embed::Embed)]
#[folder = "content/"]
pub struct SeedContent;

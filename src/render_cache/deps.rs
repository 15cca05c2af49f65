//! What a cached response shows ([`Dep`]), and what a change made stale ([`Stale`]).

use std::collections::HashSet;

use crate::{ids::PageId, lang::Lang};

/// What a cached response shows of the site's content, so that a change removes the responses it
/// makes stale and no others. The main menu is on every page; a change to it empties the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Shows something of this page: the page itself, or an ancestor in its breadcrumb trail.
    Page(PageId),
    /// Lists the visible children of this page.
    ChildrenOf(PageId),
    /// Links to the translation with this key (the language switch, `hreflang`).
    Translation(String),
    /// Lists news of this language: the news list, the feed, the home page.
    News(Lang),
    /// Lists every visible page: the sitemap.
    AllPages,
    /// Says that nothing is at this page path in this language: a "not found" page.
    Address(Lang, String),
}

/// What a change made stale: everything, or the responses that show any of a set of [`Dep`]s.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stale {
    everything: bool,
    deps: HashSet<Dep>,
}

impl Stale {
    /// Every response.
    pub fn everything() -> Stale {
        Stale {
            everything: true,
            deps: HashSet::new(),
        }
    }

    /// Adds the responses that show `dep`.
    pub fn add(&mut self, dep: Dep) {
        self.deps.insert(dep);
    }

    /// Makes it every response.
    pub fn add_everything(&mut self) {
        self.everything = true;
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// What it names, when not everything.
    pub fn deps(&self) -> impl Iterator<Item = &Dep> {
        self.deps.iter()
    }

    /// Whether a response that shows `deps` is stale.
    pub fn touches(&self, deps: &[Dep]) -> bool {
        self.everything || deps.iter().any(|dep| self.deps.contains(dep))
    }
}

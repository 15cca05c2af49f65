//! Files of an upload that came back for its texts (an image without an alternative text, a form
//! whose token had run out): kept a while in memory, so that the editor fixes the text and sends the
//! form again without choosing the files again. A browser cannot fill a file field it showed back.
//!
//! Each file is kept for its editor only, for [`KEPT_FOR`], within a byte budget: the oldest go
//! first when more come. On several instances, a form sent again to another one than kept its
//! files says so, and asks for the files again: nothing is stored half.

use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::library::Upload;
use crate::ids::UserId;

/// How long files wait for their form to come back.
pub const KEPT_FOR: Duration = Duration::from_secs(30 * 60);

/// The most uploads kept at once, whatever their size.
const MOST_KEPT: usize = 32;

/// Files waiting for their form, by a random token that the form carries back.
#[derive(Debug)]
pub struct Pending {
    held: Mutex<VecDeque<Held>>,
    budget: u64,
}

#[derive(Debug)]
struct Held {
    token: String,
    owner: UserId,
    files: Vec<Upload>,
    bytes: u64,
    since: Instant,
}

/// What the form shows of files it kept: the token to send back and the files' names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub token: String,
    pub names: Vec<String>,
}

impl Pending {
    /// A store of at most `budget` bytes of files.
    pub fn new(budget: u64) -> Pending {
        Pending {
            held: Mutex::new(VecDeque::new()),
            budget,
        }
    }

    /// Keeps `files` for `owner`, unless they alone are past the budget; the oldest kept files
    /// make room.
    pub fn keep(&self, owner: UserId, files: Vec<Upload>) -> Option<Kept> {
        let bytes: u64 = files.iter().map(|file| file.bytes.len() as u64).sum();
        if files.is_empty() || bytes > self.budget {
            return None;
        }
        let kept = Kept {
            token: crate::auth::random_token(),
            names: files.iter().map(|file| file.name.clone()).collect(),
        };
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        held.retain(|entry| entry.since.elapsed() < KEPT_FOR);
        let mut total: u64 = held.iter().map(|entry| entry.bytes).sum();
        while !held.is_empty() && (total + bytes > self.budget || held.len() >= MOST_KEPT) {
            if let Some(oldest) = held.pop_front() {
                total -= oldest.bytes;
            }
        }
        held.push_back(Held {
            token: kept.token.clone(),
            owner,
            files,
            bytes,
            since: Instant::now(),
        });
        Some(kept)
    }

    /// The files kept under `token` for `owner`, handed over once; none when they are gone (too
    /// old, made room for others, or kept by another instance).
    pub fn take(&self, owner: UserId, token: &str) -> Option<Vec<Upload>> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = held.iter().position(|entry| {
            entry.owner == owner
                && crate::auth::same_secret(&entry.token, token)
                && entry.since.elapsed() < KEPT_FOR
        })?;
        held.remove(at).map(|entry| entry.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: usize) -> Upload {
        Upload {
            name: name.to_owned(),
            bytes: vec![7; size],
        }
    }

    #[test]
    fn files_are_handed_back_once_and_only_to_their_editor() {
        let pending = Pending::new(1000);
        let kept = pending
            .keep(UserId(1), vec![file("karta.png", 100)])
            .expect("kept");
        assert_eq!(kept.names, vec!["karta.png".to_owned()]);
        assert!(
            pending.take(UserId(2), &kept.token).is_none(),
            "not another's"
        );
        assert!(pending.take(UserId(1), "fel").is_none());
        let files = pending.take(UserId(1), &kept.token).expect("handed back");
        assert_eq!(files[0].bytes.len(), 100);
        assert!(pending.take(UserId(1), &kept.token).is_none(), "only once");
    }

    #[test]
    fn the_budget_holds_and_the_oldest_make_room() {
        let pending = Pending::new(1000);
        assert!(
            pending
                .keep(UserId(1), vec![file("stor.png", 1001)])
                .is_none()
        );
        let first = pending
            .keep(UserId(1), vec![file("a.png", 600)])
            .expect("kept");
        let second = pending
            .keep(UserId(1), vec![file("b.png", 600)])
            .expect("kept");
        assert!(pending.take(UserId(1), &first.token).is_none(), "made room");
        assert!(pending.take(UserId(1), &second.token).is_some());
        for n in 0..(MOST_KEPT + 5) {
            pending.keep(UserId(1), vec![file(&format!("{n}.png"), 1)]);
        }
        assert_eq!(pending.held.lock().expect("lock").len(), MOST_KEPT);
    }
}

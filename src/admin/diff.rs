//! Readable differences between two texts: changed lines, with the changed words within them marked.

use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context shown around each change.
const CONTEXT: usize = 3;

/// How long a diff may compute, lines and words together, before it settles for a coarser answer;
/// texts come from editors, and a pathological pair must not hold a thread.
const TIMEOUT: Duration = Duration::from_millis(500);

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Same,
    Removed,
    Added,
}

/// A piece of a line; `changed` pieces are the words that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub changed: bool,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub kind: LineKind,
    pub pieces: Vec<Piece>,
}

impl Line {
    pub fn is_removed(&self) -> bool {
        self.kind == LineKind::Removed
    }

    pub fn is_added(&self) -> bool {
        self.kind == LineKind::Added
    }
}

/// A run of changed lines with their context.
#[derive(Debug, Clone)]
pub struct Hunk {
    pub lines: Vec<Line>,
}

/// The changes from `old` to `new`, in hunks; empty when the texts are the same.
pub fn diff(old: &str, new: &str) -> Vec<Hunk> {
    // One deadline for the whole diff: the line diff and every hunk's word diff share it.
    let deadline = Instant::now() + TIMEOUT;
    let diff = TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old, new);
    diff.grouped_ops(CONTEXT)
        .iter()
        .map(|group| Hunk {
            lines: group
                .iter()
                .flat_map(|op| diff.iter_inline_changes_deadline(op, Some(deadline)))
                .map(|change| Line {
                    kind: match change.tag() {
                        ChangeTag::Equal => LineKind::Same,
                        ChangeTag::Delete => LineKind::Removed,
                        ChangeTag::Insert => LineKind::Added,
                    },
                    pieces: change
                        .iter_strings_lossy()
                        .map(|(changed, text)| Piece {
                            text: text.trim_end_matches(['\n', '\r']).to_owned(),
                            changed,
                        })
                        .filter(|piece| !piece.text.is_empty())
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_within_changed_lines() {
        let old = "Rubrik\n\nSKL International arbetar med kommuner.\nSista raden.\n";
        let new = "Rubrik\n\nSKL International arbetar med regioner.\nSista raden.\n";
        let hunks = diff(old, new);
        assert_eq!(hunks.len(), 1);
        let lines = &hunks[0].lines;
        let removed: Vec<_> = lines.iter().filter(|line| line.is_removed()).collect();
        let added: Vec<_> = lines.iter().filter(|line| line.is_added()).collect();
        assert_eq!((removed.len(), added.len()), (1, 1));
        let marked = |line: &Line| -> Vec<String> {
            line.pieces
                .iter()
                .filter(|piece| piece.changed)
                .map(|piece| piece.text.clone())
                .collect()
        };
        assert_eq!(marked(removed[0]), ["kommuner."]);
        assert_eq!(marked(added[0]), ["regioner."]);
        assert!(lines.iter().any(|line| line.kind == LineKind::Same));
    }

    #[test]
    fn large_different_texts_are_compared_in_bounded_time() {
        let old: String = (0..20_000)
            .map(|n| format!("rad {n} med ord {}\n", n * 7 % 13))
            .collect();
        let new: String = (0..20_000)
            .map(|n| format!("rad {n} med ord {}\n", n * 11 % 17))
            .collect();
        let started = Instant::now();
        let hunks = diff(&old, &new);
        assert!(!hunks.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn equal_texts_have_no_hunks() {
        assert!(diff("a\nb\n", "a\nb\n").is_empty());
        assert_eq!(diff("", "ny text").len(), 1);
    }
}

//! The shape of the code, checked by reading it: layers that point one way, one way to write a page,
//! and files small enough to read.

use std::{fs, path::Path};

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = fs::read_to_string(&path).expect("UTF-8 source");
                let name = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                found.push((name, text));
            }
        }
    }
    found.sort();
    found
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The modules of `crate::` a text names, as `crate::name`.
fn crate_modules(text: &str) -> Vec<String> {
    let mut named = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        named.push(name);
    }
    // `use crate::{a, b::c}` names several: read the braces too.
    for (at, _) in text.match_indices("use crate::{") {
        let rest = &text[at + "use crate::{".len()..];
        let inside = &rest[..rest.find("};").unwrap_or(rest.len())];
        let mut depth = 0;
        let mut current = String::new();
        for c in inside.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    named.push(current.trim().to_owned());
                    current.clear();
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                current.push(c);
            }
        }
        named.push(current.trim().to_owned());
    }
    named
        .into_iter()
        .map(|name| {
            name.split(|c: char| c == ':' || c == '{' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_database_layer_uses_nothing_above_it() {
    // The vocabularies are below the database: it stores them.
    let below = ["db", "ids", "lang", "vocab", "time"];
    let mut wrong = Vec::new();
    for (name, text) in sources(&root().join("src/db")) {
        // Documentation may point anywhere, and unit tests may build their input with what is
        // above (a query parsed, to see how the index is asked it); code may not.
        let code: String = text
            .lines()
            .take_while(|line| line.trim() != "#[cfg(test)]")
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for module in crate_modules(&code) {
            if !below.contains(&module.as_str()) {
                wrong.push(format!("{name} uses crate::{module}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_modules_the_issue_named_no_longer_use_each_other() {
    // Markdown shows the library's files; the library's names are slugs of their own module.
    let media = fs::read_to_string(root().join("src/media.rs")).expect("source");
    assert!(
        !media.contains("markdown::"),
        "media.rs uses content::markdown"
    );
}

#[test]
fn only_the_change_pipeline_writes_pages_and_what_is_derived_from_them() {
    // Each statement that writes a page or a table derived from pages.
    let writes = [
        "db::pages::insert(",
        "db::pages::save(",
        "db::pages::update(",
        "db::pages::set_parent(",
        "db::pages::move_to(",
        "db::pages::set_translation_key(",
        "db::pages::trash(",
        "db::pages::untrash(",
        "db::pages::delete(",
        "db::pages::set_body_html(",
        "db::media::set_uses(",
        "db::links::set(",
        "db::revisions::record(",
        "search::sync(",
    ];
    // Rebuilding a derived table from every page at start (after its rules changed) writes no
    // content, and is the one other place that may write it.
    let rebuilds = ["src/writing/links.rs", "src/search.rs"];
    let mut wrong = Vec::new();
    for (name, text) in sources(&root().join("src")) {
        let rebuild = rebuilds.iter().any(|rebuild| name.ends_with(rebuild));
        if name.ends_with("src/change.rs") || name.contains("src/db/") || rebuild {
            continue;
        }
        for write in writes {
            if text.contains(write) {
                wrong.push(format!("{name} calls {write}…)"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn no_file_is_too_long_to_read() {
    let mut long = Vec::new();
    for (folder, most) in [("src", 700), ("tests", 900)] {
        for (name, text) in sources(&root().join(folder)) {
            let lines = text.lines().count();
            if lines > most {
                long.push(format!("{name}: {lines} lines (at most {most})"));
            }
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn only_the_database_layer_knows_which_engine_runs() {
    // Outside `db/`, an engine is named only where a file is about that engine: the vocabularies'
    // and ids' conversions for rusqlite's reading connections, and SQLite's file backups.
    let allowed = [
        "src/backup.rs",
        "src/cli/backup.rs",
        "src/ids.rs",
        "src/lang.rs",
        "src/time.rs",
        "src/vocab.rs",
    ];
    let named: Vec<String> = sources(&root().join("src"))
        .into_iter()
        .filter(|(name, _)| !name.starts_with("src/db"))
        .filter(|(_, text)| {
            ["Sqlite", "Postgres", "PgPool", "PgConnection", "rusqlite"]
                .iter()
                .any(|engine| text.contains(engine))
        })
        .map(|(name, _)| name)
        .collect();
    assert_eq!(named, allowed, "files outside db/ that name an engine");
}

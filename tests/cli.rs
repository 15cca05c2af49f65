//! The `skl-cms` binary as operators use it: flags, import and export, first and later starts.

mod common;

use std::process::{Output, Stdio};

use common::{
    binary::{Server, Workspace, arg, files_below, skl_cms, stderr, stdout},
    content_dir,
};
use skl_cms::{db, lang::Lang, time};

fn assert_usage_error(output: &Output, what: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{what}: {err}");
    assert!(!err.trim().is_empty(), "{what} says why");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: {err}"
    );
}

#[test]
fn help_lists_every_option_with_its_environment_variable() {
    use clap::CommandFactory;
    let cli = skl_cms::cli::Cli::command();
    let serve = cli
        .find_subcommand("serve")
        .expect("a serve subcommand")
        .clone();
    // Every variable that `serve` or the global options read, as the parser itself declares them.
    let variables: Vec<String> = cli
        .get_arguments()
        .chain(serve.get_arguments())
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert!(variables.len() >= 5, "{variables:?}");
    let output = skl_cms(&["serve", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for variable in &variables {
        assert!(help.contains(variable.as_str()), "help lacks {variable}");
    }
}

#[test]
fn bad_flags_and_configuration_exit_2_with_one_clear_sentence() {
    assert_usage_error(&skl_cms(&["--no-such-flag"]), "unknown flag");
    assert_usage_error(&skl_cms(&["serve", "--bind", "not-an-address"]), "bad bind");
    assert_usage_error(
        &skl_cms(&["serve", "--base-url", "ftp://example.org"]),
        "bad base URL",
    );
    assert_usage_error(
        &skl_cms(&["--log-format", "xml", "migrate"]),
        "bad log format",
    );
    assert_usage_error(&skl_cms(&["import"]), "missing folder");
    assert_usage_error(
        &skl_cms(&["--bind", "127.0.0.1:1", "migrate"]),
        "serve option on another command",
    );
    let unusable = skl_cms(&["--database", "/proc/skl-cms/site.db", "migrate"]);
    assert_usage_error(&unusable, "unusable database path");
    assert!(
        stderr(&unusable).contains("/proc/skl-cms"),
        "names the path: {}",
        stderr(&unusable)
    );
    let work = Workspace::new();
    assert_usage_error(
        &work.run(&["import", "/no/such/folder"]),
        "missing import folder",
    );
}

#[tokio::test]
async fn user_commands_add_change_list_and_disable_accounts() {
    let workspace = Workspace::on_either_engine();
    let password = "en fras som är lång nog\n";
    let add = workspace.run_with_input(
        &["user", "add", "anna", "--role", "admin", "--password-stdin"],
        password,
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let add = workspace.run_with_input(
        &[
            "user",
            "add",
            "bertil",
            "--display-name",
            "Bertil B",
            "--password-stdin",
        ],
        password,
    );
    assert!(add.status.success(), "{}", stderr(&add));

    let again = workspace.run_with_input(&["user", "add", "anna", "--password-stdin"], password);
    assert_usage_error(&again, "a taken username");
    let weak = workspace.run_with_input(&["user", "add", "cecilia", "--password-stdin"], "kort\n");
    assert_usage_error(&weak, "a short password");
    assert!(stderr(&weak).contains("12 characters"));
    let no_terminal = workspace.run_with_input(&["user", "add", "david"], "");
    assert_usage_error(&no_terminal, "no terminal and no --password-stdin");
    let bad_name =
        workspace.run_with_input(&["user", "add", "Not Valid", "--password-stdin"], password);
    assert_usage_error(&bad_name, "an invalid username");

    let list = workspace.run(&["user", "list"]);
    let listed = stdout(&list);
    assert!(
        listed.contains("anna\tadmin") && listed.contains("bertil\teditor\tBertil B"),
        "{listed}"
    );
    assert!(!listed.contains("cecilia"));

    let pool = workspace.location().open().await.expect("database");
    let before = db::users::find_by_name(&pool, "bertil")
        .await
        .expect("query")
        .expect("user");
    pool.close().await;
    let passwd = workspace.run_with_input(
        &["user", "passwd", "bertil", "--password-stdin"],
        "ett helt annat lösenord\n",
    );
    assert!(passwd.status.success(), "{}", stderr(&passwd));
    let disable = workspace.run(&["user", "disable", "bertil"]);
    assert!(disable.status.success(), "{}", stderr(&disable));
    assert!(stdout(&workspace.run(&["user", "list"])).contains("disabled"));
    assert_usage_error(
        &workspace.run(&["user", "disable", "nobody"]),
        "an unknown account",
    );

    let pool = workspace.location().open().await.expect("database");
    let after = db::users::find_by_name(&pool, "bertil")
        .await
        .expect("query")
        .expect("user");
    assert_ne!(before.password_hash, after.password_hash);
    assert!(after.password_hash.starts_with("$argon2id$"));
    assert!(
        skl_cms::auth::verify_password(
            "ett helt annat lösenord".to_owned(),
            Some(after.password_hash.clone())
        )
        .await
    );
    assert!(after.disabled);
    let actions = common::admin::audited(&pool).await;
    for action in ["user_create", "user_password", "user_disable"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
    pool.close().await;
}

/// A path as a command-line argument.
#[tokio::test]
async fn the_command_line_keeps_the_last_active_administrator() {
    let workspace = Workspace::on_either_engine();
    let password = "en fras som är lång nog\n";
    for (name, role) in [("anna", "admin"), ("bertil", "editor")] {
        let add = workspace.run_with_input(
            &["user", "add", name, "--role", role, "--password-stdin"],
            password,
        );
        assert!(add.status.success(), "{}", stderr(&add));
    }
    for args in [
        &["user", "disable", "anna"][..],
        &["user", "role", "anna", "editor"],
        &["user", "delete", "anna"],
    ] {
        let refused = workspace.run(args);
        assert_usage_error(&refused, &args.join(" "));
        assert!(
            stderr(&refused).contains("only active administrator"),
            "{}",
            stderr(&refused)
        );
    }
    let listed = stdout(&workspace.run(&["user", "list"]));
    assert!(
        listed.contains("anna\tadmin") && !listed.contains("disabled"),
        "{listed}"
    );

    // With a second administrator, the first may go.
    let promote = workspace.run(&["user", "role", "bertil", "admin"]);
    assert!(promote.status.success(), "{}", stderr(&promote));
    let delete = workspace.run(&["user", "delete", "anna"]);
    assert!(delete.status.success(), "{}", stderr(&delete));
    let listed = stdout(&workspace.run(&["user", "list"]));
    assert!(
        !listed.contains("anna") && listed.contains("bertil\tadmin"),
        "{listed}"
    );
    let last = workspace.run(&["user", "disable", "bertil"]);
    assert_usage_error(&last, "disabling the new last administrator");

    let pool = workspace.location().open().await.expect("database");
    let actions = common::admin::audited(&pool).await;
    pool.close().await;
    for action in ["user_role", "user_delete"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

#[test]
fn import_then_export_gives_byte_identical_files() {
    let work = Workspace::on_either_engine();
    let content = content_dir();
    let imported = work.run(&["import", arg(&content)]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let pages = files_below(&content).len();
    let created = format!("created {pages}, updated 0");
    assert!(
        stdout(&imported).contains(&created),
        "{}",
        stdout(&imported)
    );

    let out = work.path("export");
    let exported = work.run(&["export", arg(&out)]);
    assert!(exported.status.success(), "{}", stderr(&exported));

    let originals = files_below(&content);
    assert_eq!(files_below(&out), originals, "the same files");
    for file in &originals {
        let original = std::fs::read(content.join(file)).expect("read");
        let copy = std::fs::read(out.join(file)).expect("read");
        assert!(
            original == copy,
            "{} differs after the round trip",
            file.display()
        );
    }

    let again = work.run(&["import", arg(&content)]);
    let unchanged = format!("created 0, updated 0; {pages} unchanged");
    assert!(stdout(&again).contains(&unchanged), "{}", stdout(&again));
}

#[test]
fn a_dry_run_lists_the_changes_and_makes_none() {
    let work = Workspace::on_either_engine();
    let content = work.content();
    assert!(work.run(&["import", arg(&content)]).status.success());

    let about = content.join("sv/om-oss.md");
    let text = std::fs::read_to_string(&about).expect("read");
    std::fs::write(
        &about,
        text.replace("title = \"Om SKL International\"", "title = \"Om oss\""),
    )
    .expect("write");
    let dry = work.run(&["import", "--dry-run", arg(&content)]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let listed = stdout(&dry);
    assert!(listed.contains("update  sv/om-oss.md"), "{listed}");
    let others = files_below(&content_dir()).len() - 1;
    let summary = format!("would create 0, update 1; {others} unchanged");
    assert!(listed.contains(&summary), "{listed}");

    let out = work.path("export");
    assert!(work.run(&["export", arg(&out)]).status.success());
    let exported = std::fs::read_to_string(out.join("sv/om-oss.md")).expect("read");
    assert!(
        exported.contains("title = \"Om SKL International\""),
        "the dry run changed nothing"
    );
}

/// Exports the workspace's database and checks that it holds no pages.
fn assert_nothing_imported(work: &Workspace) {
    let exported = work.run(&["export", arg(&work.path("export"))]);
    assert!(
        stdout(&exported).contains("wrote 0 pages"),
        "nothing was imported: {}",
        stdout(&exported)
    );
}

#[test]
fn a_bad_file_stops_the_whole_import_with_its_name() {
    let work = Workspace::on_either_engine();
    let content = work.content();
    std::fs::write(
        content.join("sv/trasig.md"),
        "+++\ntitle = \"Trasig\"\npath = \"Trasig Sida\"\n+++\n",
    )
    .expect("write");
    let output = work.run(&["import", arg(&content)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("sv/trasig.md") && err.contains("lowercase"),
        "{err}"
    );
    assert_nothing_imported(&work);
}

#[test]
fn import_keeps_the_edit_forms_rules_and_says_where_a_file_breaks_them() {
    let work = Workspace::on_either_engine();
    let content = work.content();
    let long_title = "Å".repeat(201);
    std::fs::write(
        content.join("sv/lang.md"),
        format!("+++\ntitle = \"{long_title}\"\npath = \"lang\"\n+++\n\nText.\n"),
    )
    .expect("write");
    // Each of two pages names the other as its parent.
    for (path, parent) in [("forsta", "andra"), ("andra", "forsta")] {
        std::fs::write(
            content.join(format!("sv/{path}.md")),
            format!("+++\ntitle = \"{path}\"\npath = \"{path}\"\nparent = \"{parent}\"\n+++\n"),
        )
        .expect("write");
    }
    let output = work.run(&["import", arg(&content)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("sv/lang.md: line 2: `title` is longer than 200 characters"),
        "{err}"
    );
    for file in ["sv/forsta.md", "sv/andra.md"] {
        assert!(
            err.contains(&format!(
                "{file}: line 4: `parent` would put the page below itself"
            )),
            "{err}"
        );
    }
    assert_nothing_imported(&work);
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let work = Workspace::new();
    let pool = db::open(&work.database()).await.expect("opens");
    sqlx::query(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
         values (99990101000000, 'from the future', 1, x'00', 0)",
    )
    .execute(pool.sqlite().expect("SQLite"))
    .await
    .expect("insert");
    pool.close().await;
    let output = work.run(&["migrate"]);
    assert_usage_error(&output, "newer database");
    assert!(
        stderr(&output).contains("newer version of skl-cms"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_first_start_seeds_and_a_second_start_keeps_an_edited_page() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("nested/folder/site.db");

    let first = Server::start(&database);
    first.wait_until_ready().await;
    assert!(
        first
            .get("/om-oss")
            .await
            .contains("<h1>Om SKL International</h1>"),
        "the first start seeds"
    );
    first.terminate();

    let pool = db::open(&database).await.expect("opens");
    let page = db::pages::find_visible(&pool, Lang::Sv, "om-oss", &time::now_db())
        .await
        .expect("query");
    let page = page.expect("seeded");
    let mut content = page.content.clone();
    content.title = "Om oss, redigerad".to_owned();
    let id = db::pages::id_by_path(&pool, Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("exists");
    db::pages::update(&pool, id, &content, &page.body_html, &time::now_db())
        .await
        .expect("edit");
    pool.close().await;

    let second = Server::start(&database);
    second.wait_until_ready().await;
    let html = second.get("/om-oss").await;
    assert!(
        html.contains("<h1>Om oss, redigerad</h1>"),
        "the second start keeps the edit"
    );
    second.terminate();
}

#[tokio::test]
async fn a_start_without_accounts_logs_a_one_time_setup_link() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let database = dir.path().join("site.db");
    let log_path = dir.path().join("first.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server::start_logging(&database, Stdio::from(log));
    server.wait_until_ready().await;
    let log = std::fs::read_to_string(&log_path).expect("log");
    let at = log
        .find("/admin/setup/")
        .unwrap_or_else(|| panic!("no setup link in {log}"));
    let token: String = log[at + "/admin/setup/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "256 random bits");
    let reply = reqwest::get(format!("{}/admin/setup/{token}", server.base))
        .await
        .expect("answered");
    assert_eq!(reply.status(), reqwest::StatusCode::OK);
    let wrong = reqwest::get(format!("{}/admin/setup/{}", server.base, "0".repeat(64)))
        .await
        .expect("answered");
    assert_eq!(wrong.status(), reqwest::StatusCode::NOT_FOUND);
    server.terminate();

    let add = Workspace::in_dir(dir).run_with_input(
        &["user", "add", "anna", "--role", "admin", "--password-stdin"],
        "en fras som är lång nog\n",
    );
    assert!(add.status.success(), "{}", stderr(&add));
}

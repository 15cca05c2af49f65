//! `skl-cms user …`: manage editors' accounts from the server's shell.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use sqlx::SqlitePool;

use crate::{
    admin::users::check_username,
    auth,
    cli::Failure,
    db::{self, audit::Entry, users::Role},
    time,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked twice on a terminal, or read from standard input
    /// with `--password-stdin`.
    Add {
        /// The username to log in with: a–z, 0–9, `.`, `-`, `_`.
        name: String,
        /// What the account may do: `editor` (pages and media) or `admin` (everything, accounts too).
        #[arg(long, value_parser = ["admin", "editor"], default_value = "editor")]
        role: String,
        /// The name shown in the admin area; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an account; its sessions end.
    Passwd {
        name: String,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account.
    List,
    /// Disable an account: it can no longer log in and its sessions end.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
}

pub async fn run(database: &std::path::Path, args: Args) -> Result<(), Failure> {
    let pool = db::open(database).await?;
    let result = match args.command {
        UserCommand::Add {
            name,
            role,
            display_name,
            password_stdin,
        } => add(&pool, &name, &role, display_name, password_stdin).await,
        UserCommand::Passwd {
            name,
            password_stdin,
        } => passwd(&pool, &name, password_stdin).await,
        UserCommand::List => list(&pool).await,
        UserCommand::Disable { name } => set_disabled(&pool, &name, true).await,
        UserCommand::Enable { name } => set_disabled(&pool, &name, false).await,
    };
    pool.close().await;
    result
}

async fn add(
    pool: &SqlitePool,
    name: &str,
    role: &str,
    display_name: Option<String>,
    password_stdin: bool,
) -> Result<(), Failure> {
    check_username(name).map_err(|problem| Failure::Usage(problem.to_owned()))?;
    let role =
        Role::parse(role).ok_or_else(|| Failure::Usage("--role is admin or editor".to_owned()))?;
    if db::users::find_by_name(pool, name)
        .await
        .context("cannot read the accounts")?
        .is_some()
    {
        return Err(Failure::Usage(format!(
            "there is already an account called {name}"
        )));
    }
    let password = read_password(name, password_stdin)?;
    let hash = auth::hash_password(password).await?;
    let display_name = display_name.unwrap_or_else(|| name.to_owned());
    let now = time::now_db();
    let id = db::users::insert(pool, name, display_name.trim(), &hash, role, &now)
        .await
        .context("cannot create the account")?
        .ok_or_else(|| Failure::Usage(format!("there is already an account called {name}")))?;
    audit(
        pool,
        "user_create",
        id,
        &format!("{name} ({})", role.as_str()),
    )
    .await?;
    println!("created {name} ({})", role.as_str());
    Ok(())
}

async fn passwd(pool: &SqlitePool, name: &str, password_stdin: bool) -> Result<(), Failure> {
    let user = find(pool, name).await?;
    let password = read_password(&user.username, password_stdin)?;
    let hash = auth::hash_password(password).await?;
    db::users::set_password(pool, user.id, &hash)
        .await
        .context("cannot save the password")?;
    db::sessions::delete_for_user(pool, user.id)
        .await
        .context("cannot end the sessions")?;
    audit(pool, "user_password", user.id, &user.username).await?;
    println!("changed the password of {name}; its sessions have ended");
    Ok(())
}

async fn list(pool: &SqlitePool) -> Result<(), Failure> {
    let users = db::users::all(pool)
        .await
        .context("cannot read the accounts")?;
    if users.is_empty() {
        println!("no accounts yet; create one with `skl-cms user add NAME --role admin`");
    }
    for user in users {
        let last = user
            .last_login_at
            .as_deref()
            .and_then(time::from_db)
            .map_or_else(
                || "never logged in".to_owned(),
                |at| format!("last login {}", time::admin_datetime(at)),
            );
        println!(
            "{}\t{}\t{}{}\t{last}",
            user.username,
            user.role.as_str(),
            user.display_name,
            if user.disabled { "\tdisabled" } else { "" }
        );
    }
    Ok(())
}

async fn set_disabled(pool: &SqlitePool, name: &str, disabled: bool) -> Result<(), Failure> {
    let user = find(pool, name).await?;
    db::users::set_disabled(pool, user.id, disabled)
        .await
        .context("cannot change the account")?;
    if disabled {
        db::sessions::delete_for_user(pool, user.id)
            .await
            .context("cannot end the sessions")?;
    }
    let action = if disabled {
        "user_disable"
    } else {
        "user_enable"
    };
    audit(pool, action, user.id, &user.username).await?;
    println!("{} {name}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

async fn find(pool: &SqlitePool, name: &str) -> Result<db::users::User, Failure> {
    db::users::find_by_name(pool, name)
        .await
        .context("cannot read the accounts")?
        .ok_or_else(|| {
            Failure::Usage(format!(
                "there is no account called {name}; see `skl-cms user list`"
            ))
        })
}

async fn audit(pool: &SqlitePool, action: &str, user_id: i64, detail: &str) -> Result<(), Failure> {
    db::audit::record(
        pool,
        &Entry {
            user_id: None,
            action,
            object_type: "user",
            object_id: Some(user_id),
            detail: &format!("{detail}, from the command line"),
            ip: "cli",
        },
        &time::now_db(),
    )
    .await
    .context("cannot write the audit log")?;
    Ok(())
}

/// The new password: asked twice on a terminal, or the first line of standard input. It must pass
/// the same policy as in the browser.
fn read_password(username: &str, from_stdin: bool) -> Result<String, Failure> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password (at least 12 characters): ")
            .context("cannot read the password")?;
        let second = rpassword::prompt_password("The same password again: ")
            .context("cannot read the password")?;
        if first != second {
            return Err(Failure::Usage(
                "the two passwords differ; nothing was changed".to_owned(),
            ));
        }
        first
    } else {
        return Err(Failure::Usage(
            "no terminal to ask for the password on; pipe it in with --password-stdin".to_owned(),
        ));
    };
    auth::check_password_policy(&password, username).map_err(|problem| {
        Failure::Usage(format!("the password was refused: {}", problem.english()))
    })?;
    Ok(password)
}

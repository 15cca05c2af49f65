//! `skl-cms user …`: manage editors' accounts from the server's shell.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

use crate::{
    accounts::{self, AccountError, Actor, NewAccount, Username},
    cli::Failure,
    db,
    time::{self, Clock},
    vocab::Role,
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
    /// Give an account another role. The last active administrator stays one.
    Role {
        name: String,
        #[arg(value_parser = ["admin", "editor"])]
        role: String,
    },
    /// Disable an account: it can no longer log in and its sessions end. The last active
    /// administrator stays enabled.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
    /// Delete an account for good; its revisions and log entries stay, without its name. The last
    /// active administrator is not deleted.
    Delete { name: String },
    /// Turn off an account's two-factor login, for someone who lost their phone and their recovery
    /// codes: they log in with their password and can turn it on again. Audited.
    #[command(name = "reset-2fa")]
    Reset2fa { name: String },
}

pub async fn run(database: &db::Location, args: Args) -> Result<(), Failure> {
    let pool = database.open().await?;
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
        UserCommand::Role { name, role } => set_role(&pool, &name, &role).await,
        UserCommand::Disable { name } => set_disabled(&pool, &name, true).await,
        UserCommand::Enable { name } => set_disabled(&pool, &name, false).await,
        UserCommand::Delete { name } => delete(&pool, &name).await,
        UserCommand::Reset2fa { name } => reset_two_factor(&pool, &name).await,
    };
    pool.close().await;
    result
}

async fn add(
    pool: &crate::db::Pool,
    name: &str,
    role: &str,
    display_name: Option<String>,
    password_stdin: bool,
) -> Result<(), Failure> {
    let username = Username::parse(name).map_err(|problem| usage(problem.english()))?;
    let role = Role::from_id(role).ok_or_else(|| usage("--role is admin or editor"))?;
    if db::users::find_by_name(pool, name)
        .await
        .context("cannot read the accounts")?
        .is_some()
    {
        return Err(taken(name));
    }
    let password = read_password(username.as_str(), password_stdin)?;
    let display_name = display_name.unwrap_or_else(|| name.to_owned());
    let account = NewAccount::check(name, &display_name, &password, &password, role)
        .map_err(|problems| usage(problems.first().map_or("", |problem| problem.english())))?;
    accounts::create(pool, &Clock::system(), &Actor::command_line(), account)
        .await
        .map_err(|error| refused(error, name))?;
    println!("created {name} ({role})");
    Ok(())
}

async fn passwd(pool: &crate::db::Pool, name: &str, password_stdin: bool) -> Result<(), Failure> {
    let user = find(pool, name).await?;
    let password = read_password(&user.username, password_stdin)?;
    accounts::set_password(
        pool,
        &Clock::system(),
        &Actor::command_line(),
        user.id,
        password,
        None,
    )
    .await
    .map_err(|error| refused(error, name))?;
    println!("changed the password of {name}; its sessions have ended");
    Ok(())
}

async fn list(pool: &crate::db::Pool) -> Result<(), Failure> {
    let users = db::users::all(pool)
        .await
        .context("cannot read the accounts")?;
    if users.is_empty() {
        println!("no accounts yet; create one with `skl-cms user add NAME --role admin`");
    }
    let with_two_factor = db::two_factor::accounts_with_it(pool)
        .await
        .context("cannot read the accounts")?;
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
            "{}\t{}\t{}{}{}\t{last}",
            user.username,
            user.role.id(),
            user.display_name,
            if user.disabled { "\tdisabled" } else { "" },
            if with_two_factor.contains(&user.id) {
                "\ttwo-factor"
            } else {
                ""
            }
        );
    }
    Ok(())
}

async fn set_role(pool: &crate::db::Pool, name: &str, role: &str) -> Result<(), Failure> {
    let role = Role::from_id(role).ok_or_else(|| usage("the role is admin or editor"))?;
    let user = find(pool, name).await?;
    accounts::set_role(
        pool,
        &Clock::system(),
        &Actor::command_line(),
        user.id,
        role,
    )
    .await
    .map_err(|error| refused(error, name))?;
    println!("{name} is now {role}");
    Ok(())
}

async fn set_disabled(pool: &crate::db::Pool, name: &str, disabled: bool) -> Result<(), Failure> {
    let user = find(pool, name).await?;
    let actor = Actor::command_line();
    accounts::set_disabled(pool, &Clock::system(), &actor, user.id, disabled)
        .await
        .map_err(|error| refused(error, name))?;
    println!("{} {name}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

async fn delete(pool: &crate::db::Pool, name: &str) -> Result<(), Failure> {
    let user = find(pool, name).await?;
    accounts::delete(pool, &Clock::system(), &Actor::command_line(), user.id)
        .await
        .map_err(|error| refused(error, name))?;
    println!("deleted {name}");
    Ok(())
}

async fn reset_two_factor(pool: &crate::db::Pool, name: &str) -> Result<(), Failure> {
    use accounts::two_factor::{self, TwoFactorError};
    let user = find(pool, name).await?;
    let actor = Actor::command_line();
    match two_factor::turn_off(pool, &Clock::system(), &actor, user.id, false).await {
        Ok(_) => {
            println!(
                "turned off two-factor login for {name}; they log in with their password alone"
            );
            Ok(())
        }
        Err(TwoFactorError::NotOn) => Err(Failure::Usage(format!(
            "{name} does not log in with two factors; nothing was changed"
        ))),
        Err(TwoFactorError::Account(error)) => Err(refused(error, name)),
        Err(error) => Err(Failure::Runtime(error.into())),
    }
}

/// A refusal that is the operator's to fix (exit code 2), or a failure (exit code 1).
fn refused(error: AccountError, name: &str) -> Failure {
    match error {
        AccountError::Database(error) => {
            Failure::Runtime(anyhow::Error::new(error).context("cannot change the account"))
        }
        AccountError::Hashing(error) => Failure::Runtime(error),
        AccountError::UsernameTaken => taken(name),
        refusal => Failure::Usage(format!("{name}: {refusal}; nothing was changed")),
    }
}

fn taken(name: &str) -> Failure {
    Failure::Usage(format!("there is already an account called {name}"))
}

fn usage(message: &str) -> Failure {
    Failure::Usage(message.to_owned())
}

async fn find(pool: &crate::db::Pool, name: &str) -> Result<db::users::User, Failure> {
    db::users::find_by_name(pool, name)
        .await
        .context("cannot read the accounts")?
        .ok_or_else(|| {
            Failure::Usage(format!(
                "there is no account called {name}; see `skl-cms user list`"
            ))
        })
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
    accounts::check_password(&password, username).map_err(|problem| {
        Failure::Usage(format!("the password was refused: {}", problem.english()))
    })?;
    Ok(password)
}

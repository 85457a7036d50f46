//! `merx users create|list|disable` through the core's user service.

use merx_core::principal::Principal;
use merx_core::store::Page;
use merx_core::user::{Registration, User, UserService, UserStatus};

use super::{resolve_user, Context};
use crate::cli::UsersCommand;
use crate::error::Result;
use crate::output::{self, Listing};

fn status(user: &User) -> &'static str {
    if user.deleted_at.is_some() {
        "deleted"
    } else if user.status == UserStatus::Active {
        "active"
    } else {
        "inactive"
    }
}

fn roles(user: &User) -> String {
    user.roles
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_users(users: &[User]) {
    let mut table = output::table(&["id", "email", "name", "roles", "status"]);
    for user in users {
        table.add_row(vec![
            user.id.to_string(),
            user.email.clone(),
            user.name.clone(),
            roles(user),
            status(user).to_string(),
        ]);
    }
    println!("{table}");
}

fn show(ctx: &Context, user: &User, verb: &str) -> Result<()> {
    if ctx.json {
        output::print_json(user)
    } else {
        println!(
            "{verb} user {} ({}; roles: {}; {})",
            user.email,
            user.id,
            roles(user),
            status(user)
        );
        Ok(())
    }
}

/// Runs a `users` subcommand.
pub async fn run(ctx: &Context, command: &UsersCommand) -> Result<()> {
    let users = UserService::new(ctx.store.clone(), ctx.clock.clone());
    match command {
        UsersCommand::Create {
            email,
            password,
            name,
            admin,
        } => {
            let registration = Registration {
                email: email.clone(),
                password: password.clone(),
                name: name.clone(),
            };
            let user = if *admin {
                users.register_admin(registration).await?
            } else {
                users.register(registration).await?
            };
            show(ctx, &user, "created")
        }
        UsersCommand::List { window } => {
            let page = super::page(window)?;
            let list = ctx.store.list_users(page).await?;
            let listing = Listing::counted(list, page, |chunk: Page| async move {
                Ok::<_, crate::error::CliError>(ctx.store.list_users(chunk).await?.len())
            })
            .await?;
            listing.print(ctx.json, print_users)
        }
        UsersCommand::Disable { id } => {
            let id = resolve_user(ctx, id).await?;
            let user = users
                .set_status(&Principal::System, id, UserStatus::Inactive)
                .await?;
            show(ctx, &user, "disabled")
        }
    }
}

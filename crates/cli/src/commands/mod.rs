//! One module per group of commands; [`run`] dispatches.

pub mod auth;
pub mod cert;
pub mod copy;
pub mod generate;
pub mod platforms;
pub mod presets;
pub mod profiles;
pub mod sessions;
pub mod signin;
pub mod storage;
pub mod vo;

use crate::cli::{AuthCommand, CertCommand, Cli, Command};
use crate::ctx::Ctx;
use crate::error::CliResult;

pub async fn run(cli: &Cli) -> CliResult {
    // Generated output needs no paths, config or network.
    match &cli.command {
        Command::Completions { shell } => return generate::completions(*shell),
        Command::Man { command } => return generate::man(command.as_deref()),
        _ => {}
    }
    let ctx = Ctx::new(cli)?;
    // Commands that speak to the platform first refresh its sign-in when it is due, under
    // the lock the app takes too: the CLI keeps itself signed in without the app.
    if matches!(
        &cli.command,
        Command::Ps(_)
            | Command::Create(_)
            | Command::Info(_)
            | Command::Logs(_)
            | Command::Events(_)
            | Command::Why(_)
            | Command::Open(_)
            | Command::Renew(_)
            | Command::Delete(_)
            | Command::Prune(_)
            | Command::Stats
            | Command::Images(_)
            | Command::Ls(_)
            | Command::Quota(_)
            | Command::Cp(_)
            | Command::Mv(_)
            | Command::Rm(_)
            | Command::Mkdir(_)
            | Command::Token
    ) {
        ctx.refresh_sign_in().await?;
    }
    match &cli.command {
        Command::Login(a) => auth::login(&ctx, a).await,
        Command::Logout => auth::logout(&ctx).await,
        Command::Auth {
            command: AuthCommand::Status { check },
        } => auth::status(&ctx, *check).await,
        Command::Cert { command } => match command {
            CertCommand::Status => cert::status(&ctx).await,
            CertCommand::Obtain(a) => cert::obtain_cmd(&ctx, a).await,
            CertCommand::Renew(a) => cert::renew_cmd(&ctx, a).await,
        },
        Command::Ps(a) => sessions::ps(&ctx, a).await,
        Command::Create(a) => sessions::create(&ctx, a).await,
        Command::Info(a) => sessions::info(&ctx, a).await,
        Command::Ls(a) => storage::ls(&ctx, a).await,
        Command::Quota(a) => storage::quota(&ctx, a).await,
        Command::Cp(a) => copy::cp(&ctx, a).await,
        Command::Mv(a) => storage::mv(&ctx, a).await,
        Command::Rm(a) => storage::rm(&ctx, a).await,
        Command::Mkdir(a) => storage::mkdir(&ctx, a).await,
        Command::Logs(a) => sessions::logs(&ctx, a).await,
        Command::Events(a) => sessions::events(&ctx, a).await,
        Command::Why(a) => sessions::why(&ctx, a).await,
        Command::Presets { command } => presets::run(&ctx, command),
        Command::Open(a) => sessions::open(&ctx, a).await,
        Command::Renew(a) => sessions::renew(&ctx, a).await,
        Command::Delete(a) => sessions::delete(&ctx, a).await,
        Command::Prune(a) => sessions::prune(&ctx, a).await,
        Command::Stats => sessions::stats(&ctx).await,
        Command::Images(a) => sessions::images(&ctx, a).await,
        Command::Platforms(a) => platforms::platforms(&ctx, a).await,
        Command::Profiles { command } => profiles::profiles(&ctx, command).await,
        Command::Config { command } => profiles::config(&ctx, command),
        Command::Probe(a) => vo::probe(&ctx, a).await,
        Command::Curl(a) => vo::curl(&ctx, a).await,
        Command::Token => vo::token(&ctx).await,
        Command::Credentials { command } => vo::credentials(&ctx, command).await,
        Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}

//! `completions` and `man`: generated from the clap definitions, written to stdout.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};
use crate::error::{CliError, CliResult};
use crate::output::out;

pub fn completions(shell: CompletionShell) -> CliResult {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "skyport", &mut buf);
    out(&String::from_utf8_lossy(&buf))
}

pub fn man(command: Option<&str>) -> CliResult {
    let mut root = Cli::command();
    root.build();
    let page = match command {
        None => root,
        Some(name) => {
            let sub = root
                .get_subcommands()
                .find(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name))
                .cloned()
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "there is no command {name:?}; `skyport --help` lists them"
                    ))
                })?;
            let full = format!("skyport-{}", sub.get_name());
            sub.name(full)
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut buf)
        .map_err(|e| CliError::failed(format!("cannot write the man page: {e}")))?;
    out(&String::from_utf8_lossy(&buf))
}

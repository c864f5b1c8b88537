//! What every command needs: paths, the config, the profile in use, the keyring, and a
//! connection built by core's `connect()` (the same path the desktop app takes).

use std::time::Duration;

use skyport_core::config::{Config, ResolvedProfile};
use skyport_core::connect::{connect, ConnectOptions, Connection};
use skyport_core::error::ErrorCode;
use skyport_core::http::{build_client, HttpOptions};
use skyport_core::keyring::OsKeyring;
use skyport_core::paths::Paths;
use skyport_core::platform::URL_ENV;
use skyport_core::skaha::SkahaClient;

use crate::cli::Cli;
use crate::error::{CliError, CliResult};
use crate::output::warn;

pub struct Ctx {
    pub paths: Paths,
    pub json: bool,
    pub timeout: Option<Duration>,
    pub profile_flag: Option<String>,
    pub env_url: Option<String>,
    pub store: OsKeyring,
}

impl Ctx {
    pub fn new(cli: &Cli) -> CliResult<Self> {
        let paths =
            Paths::from_env().map_err(|e| CliError::new(ErrorCode::Config, e.to_string()))?;
        Ok(Self {
            paths,
            json: cli.json,
            timeout: cli.timeout.map(Duration::from_secs_f64),
            profile_flag: cli.profile.clone().filter(|p| !p.trim().is_empty()),
            env_url: std::env::var(URL_ENV).ok().filter(|u| !u.trim().is_empty()),
            store: OsKeyring,
        })
    }

    pub fn config(&self) -> CliResult<Config> {
        Ok(Config::load(&self.paths.config_file())?)
    }

    /// Change config.toml under the lock the app takes too (see [`Config::update`]).
    pub fn update_config<T>(
        &self,
        change: impl FnOnce(&mut Config) -> CliResult<T>,
    ) -> CliResult<T> {
        Config::update(&self.paths.config_file(), change)
    }

    /// The profile in use: `SKYPORT_URL`, else `--profile`, else the active one.
    pub fn profile(&self) -> CliResult<ResolvedProfile> {
        let cfg = self.config()?;
        let resolved = cfg.resolve(self.profile_flag.as_deref(), self.env_url.as_deref())?;
        if resolved.from_env {
            if let Some(flag) = &self.profile_flag {
                if flag != &resolved.name {
                    warn(&format!(
                        "{URL_ENV} is set, so it is used instead of the profile {flag:?}"
                    ));
                }
            }
        }
        Ok(resolved)
    }

    /// Refresh the profile's OIDC sign-in when its access token runs out within a minute
    /// (nothing without one, or with SKYPORT_TOKEN). A refusal says to sign in again.
    pub async fn refresh_sign_in(&self) -> CliResult<()> {
        let Ok(profile) = self.profile() else {
            // The command itself says what is missing.
            return Ok(());
        };
        if skyport_core::connect::env_token().is_some()
            || skyport_core::auth::oidc::load_record(&self.paths, &profile.name).is_none()
        {
            return Ok(());
        }
        // A token request follows no redirect (as every one Skyport makes).
        let http = self.http_with(&profile, true)?;
        skyport_core::auth::oidc::ensure_fresh(
            &http,
            &self.paths,
            &self.store,
            &profile.name,
            chrono::Duration::seconds(60),
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| CliError::from_coded(&e))?;
        Ok(())
    }

    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            env_token: skyport_core::connect::env_token(),
            timeout: self.timeout,
        }
    }

    /// A connection with the credential core chooses.
    pub fn connect_to(&self, profile: &ResolvedProfile) -> CliResult<Connection> {
        Ok(connect(
            &self.paths,
            profile,
            &self.store,
            &self.connect_options(),
        )?)
    }

    pub fn connect(&self) -> CliResult<(ResolvedProfile, Connection)> {
        let profile = self.profile()?;
        let conn = self.connect_to(&profile)?;
        tracing::debug!(profile = %profile.name, credential = %conn.credential.describe(), "connected");
        Ok((profile, conn))
    }

    pub fn client(&self) -> CliResult<SkahaClient> {
        Ok(self.connect()?.1.client)
    }

    /// A plain HTTP client for the profile (sign-in and credential services): the
    /// profile's extra CA, the timeout, no client certificate.
    pub fn http(&self, profile: &ResolvedProfile) -> CliResult<reqwest::Client> {
        self.http_with(profile, false)
    }

    fn http_with(
        &self,
        profile: &ResolvedProfile,
        no_redirects: bool,
    ) -> CliResult<reqwest::Client> {
        let mut roots = Vec::new();
        if let Some(p) = &profile.profile.ca_file {
            roots.push(std::fs::read(p).map_err(|e| {
                CliError::new(
                    ErrorCode::Config,
                    format!(
                        "cannot read the CA file {} of profile {}: {e}",
                        p.display(),
                        profile.name
                    ),
                )
            })?);
        }
        Ok(build_client(HttpOptions {
            timeout: self.timeout,
            extra_roots_pem: roots,
            identity_pem: None,
            no_redirects,
            ..Default::default()
        })?)
    }
}

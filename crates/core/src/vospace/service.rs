//! Which storage service a profile uses: the one discovery found and the profile keeps, or
//! `SKYPORT_STORAGE_URL` for scripts (as `SKYPORT_URL` names the session service). The
//! profile's credential goes only to its own services, so an address from the environment
//! must be on the origin of its session service or of its known storage.

use crate::config::ResolvedProfile;

/// Sets the storage's nodes URL (`https://host/arc/nodes`).
pub const STORAGE_URL_ENV: &str = "SKYPORT_STORAGE_URL";

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("The platform {profile} has no storage service known: check the platform again (skyport platforms check {profile}, or Check again under Platforms) to look for one, or set {STORAGE_URL_ENV}.")]
    NotKnown { profile: String },
    #[error("The storage address {address:?} is not a URL ({detail}). Check the platform, or {STORAGE_URL_ENV}.")]
    NotAUrl { address: String, detail: String },
    #[error("{STORAGE_URL_ENV} ({origin}) is not a service of the platform {profile}: Skyport does not send its credential there. Point SKYPORT_URL at that platform's session service too, or add it as a profile.")]
    Foreign { origin: String, profile: String },
}

impl crate::error::Coded for ServiceError {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Config
    }
}

/// The nodes URL of `profile`'s storage; `from_env`: the value of `SKYPORT_STORAGE_URL`
/// when it applies (the caller passes `None` when another profile than the one in use is
/// named).
pub fn nodes_url(
    profile: &ResolvedProfile,
    from_env: Option<&str>,
) -> Result<url::Url, ServiceError> {
    let from_env = from_env.map(str::trim).filter(|u| !u.is_empty());
    let address = from_env
        .map(str::to_string)
        .or_else(|| profile.profile.storage_url.clone())
        .ok_or_else(|| ServiceError::NotKnown {
            profile: profile.name.clone(),
        })?;
    let nodes = url::Url::parse(address.trim()).map_err(|e| ServiceError::NotAUrl {
        address: address.clone(),
        detail: e.to_string(),
    })?;
    if from_env.is_some() {
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        let allowed = [
            Some(profile.service.as_str().to_string()),
            profile.profile.storage_url.clone(),
        ]
        .into_iter()
        .flatten()
        .any(|u| origin(&u) == Some(nodes.origin()));
        if !allowed {
            return Err(ServiceError::Foreign {
                origin: nodes.origin().ascii_serialization(),
                profile: profile.name.clone(),
            });
        }
    }
    Ok(nodes)
}

/// [`nodes_url`] with `SKYPORT_STORAGE_URL` as the environment holds it.
pub fn nodes_url_from_env(profile: &ResolvedProfile) -> Result<url::Url, ServiceError> {
    let env = std::env::var(STORAGE_URL_ENV).ok();
    nodes_url(profile, env.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Profile;
    use crate::platform::ServiceUrl;

    fn profile(storage: Option<&str>) -> ResolvedProfile {
        ResolvedProfile {
            name: "lab".into(),
            profile: Profile {
                storage_url: storage.map(str::to_string),
                ..Profile::default()
            },
            service: ServiceUrl::parse("https://ws-uv.canfar.net/skaha").expect("url"),
            from_env: false,
        }
    }

    #[test]
    fn the_environment_names_storage_only_on_the_platforms_origins() {
        let known = profile(Some("https://ws-uv.canfar.net/arc/nodes"));
        assert_eq!(
            nodes_url(&known, None).expect("known").as_str(),
            "https://ws-uv.canfar.net/arc/nodes"
        );
        assert_eq!(
            nodes_url(
                &profile(None),
                Some("https://ws-uv.canfar.net/cavern/nodes")
            )
            .expect("same origin")
            .as_str(),
            "https://ws-uv.canfar.net/cavern/nodes"
        );
        let e = nodes_url(&known, Some("https://evil.example/arc/nodes")).expect_err("foreign");
        assert!(
            e.to_string().contains("does not send its credential there"),
            "{e}"
        );
        let e = nodes_url(&profile(None), None).expect_err("none");
        assert!(e.to_string().contains("skyport platforms check lab"), "{e}");
        assert!(matches!(
            nodes_url(&profile(None), Some("ws-uv/arc")),
            Err(ServiceError::NotAUrl { .. })
        ));
    }
}

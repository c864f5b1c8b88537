//! The Secret Service (Linux) over one D-Bus connection and one session, kept for the life
//! of the process.
//!
//! The `keyring` crate opens a new connection and a new session for every call (two for a
//! write). gnome-keyring's daemon (seen with 42 here, reported up to 50) aborts when such
//! short-lived clients come and go quickly: "gkd_secret_service_get_pkcs11_session:
//! assertion 'client' failed", then "aes_negotiate: assertion 'session' failed" (upstream
//! issues 190 and 196). Every secret of the desktop session is gone with it until the
//! daemon is started again, and a daemon the bus starts again has its keyring locked.
//!
//! The items are those the `keyring` crate (v3) writes for `Entry::new`: the same
//! attributes and the same encryption, so an entry written by either is read by the other.
//! (The crate's fallback to items without a `target` attribute, written by its v1 and v2,
//! is left out: Skyport never wrote any.)

use std::collections::HashMap;
use std::sync::Mutex;

use dbus_secret_service::{EncryptionType, Error as SsError, Item, SecretService};
use keyring::credential::{Credential, CredentialApi};

/// The connection and session all calls of this process share; `None` until the first
/// call, and again after the connection was lost.
static SHARED: Mutex<Option<SecretService>> = Mutex::new(None);

/// How long an unlock prompt may wait for the user: meanwhile every keyring call of the
/// process waits too (the crate's default is a year); one left open ends as "no access".
const PROMPT_PATIENCE_SECS: u64 = 120;

/// The `keyring` crate's collection target for entries made with `Entry::new`.
const TARGET: &str = "default";

/// One entry (`service`, `user`), found by the attributes the `keyring` crate gives it.
#[derive(Debug, Clone)]
pub struct SharedCredential {
    service: String,
    user: String,
}

impl SharedCredential {
    pub fn entry(service: &str, user: &str) -> keyring::Entry {
        keyring::Entry::new_with_credential(Box::new(Self {
            service: service.into(),
            user: user.into(),
        }))
    }

    fn search(&self) -> HashMap<&str, &str> {
        HashMap::from([
            ("target", TARGET),
            ("service", self.service.as_str()),
            ("username", self.user.as_str()),
        ])
    }

    fn attributes(&self) -> HashMap<&str, &str> {
        let mut all = self.search();
        all.insert("application", "rust-keyring");
        all
    }

    /// The one item of this entry, unlocked (the keyring may ask the user); `Ok(None)` when
    /// there is none, an error when there are several.
    fn the_item<'a>(&self, ss: &'a SecretService) -> Result<keyring::Result<Item<'a>>, SsError> {
        let found = ss.search_items(self.search())?;
        let count = found.unlocked.len() + found.locked.len();
        if count > 1 {
            let each: Vec<Box<Credential>> = (0..count)
                .map(|_| Box::new(self.clone()) as Box<Credential>)
                .collect();
            return Ok(Err(keyring::Error::Ambiguous(each)));
        }
        if let Some(item) = found.unlocked.into_iter().next() {
            return Ok(Ok(item));
        }
        match found.locked.into_iter().next() {
            Some(item) => {
                item.unlock()?;
                Ok(Ok(item))
            }
            None => Ok(Err(keyring::Error::NoEntry)),
        }
    }
}

impl CredentialApi for SharedCredential {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        shared(|ss| match self.the_item(ss)? {
            Ok(item) => item.set_secret(secret, "text/plain").map(Ok),
            Err(keyring::Error::NoEntry) => {
                let collection = ss.get_default_collection()?;
                collection.ensure_unlocked()?;
                let label = format!("{}@{}:{TARGET} (Skyport)", self.user, self.service);
                collection
                    .create_item(&label, self.attributes(), secret, true, "text/plain")
                    .map(|_| Ok(()))
            }
            Err(other) => Ok(Err(other)),
        })
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        shared(|ss| match self.the_item(ss)? {
            Ok(item) => item.get_secret().map(Ok),
            Err(e) => Ok(Err(e)),
        })
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        shared(|ss| match self.the_item(ss)? {
            Ok(item) => item.delete().map(Ok),
            Err(e) => Ok(Err(e)),
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Run `call` on the shared connection (made at first use); when that connection or its
/// session was lost (the daemon ended, and the bus started another), once more on a new one.
fn shared<T>(
    call: impl Fn(&SecretService) -> Result<keyring::Result<T>, SsError>,
) -> keyring::Result<T> {
    let mut held = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    let mut reused = held.is_some();
    loop {
        let ss = match held.take() {
            Some(ss) => ss,
            None => SecretService::connect_with_max_prompt_timeout(
                EncryptionType::Dh,
                PROMPT_PATIENCE_SECS,
            )
            .map_err(decode)?,
        };
        match call(&ss) {
            Err(e) if reused && connection_lost(&e) => {
                tracing::debug!("the Secret Service connection was lost ({e}); connecting again");
                reused = false; // dropped: the next turn connects
            }
            answer => {
                *held = Some(ss);
                return answer.map_err(decode)?;
            }
        }
    }
}

/// Whether an error says the connection or the session is gone, not that a call failed.
/// (Not a call that timed out, `NoReply`: the daemon may still be doing it, and a delete
/// done again would find nothing.)
fn connection_lost(e: &SsError) -> bool {
    let SsError::Dbus(d) = e else {
        return false;
    };
    let name = d.name().unwrap_or_default();
    let gone = [
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.Secret.Error.NoSession",
    ];
    gone.contains(&name)
        || d.message()
            .is_some_and(|m| m.contains("/org/freedesktop/secrets/session/"))
}

/// The `keyring` crate's reading of the Secret Service's errors, so that the rest of
/// `keyring.rs` treats both alike.
fn decode(e: SsError) -> keyring::Error {
    match e {
        SsError::Locked | SsError::NoResult | SsError::Prompt => {
            keyring::Error::NoStorageAccess(Box::new(e))
        }
        other => keyring::Error::PlatformFailure(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dbus_error(name: &str, message: &str) -> SsError {
        SsError::Dbus(dbus::Error::new_custom(name, message))
    }

    #[test]
    fn a_lost_connection_is_told_from_a_failed_call() {
        for lost in [
            dbus_error("org.freedesktop.DBus.Error.ServiceUnknown", "gone"),
            dbus_error(
                "org.freedesktop.DBus.Error.UnknownObject",
                "No such object path '/org/freedesktop/secrets/session/3'",
            ),
            dbus_error(
                "org.freedesktop.Secret.Error.NoSession",
                "The session does not exist",
            ),
        ] {
            assert!(connection_lost(&lost), "{lost}");
        }
        for failed in [
            dbus_error("org.freedesktop.DBus.Error.NoReply", "timed out"),
            dbus_error(
                "org.freedesktop.DBus.Error.UnknownObject",
                "Object does not exist at path “/org/freedesktop/secrets/collection/login/75”",
            ),
            SsError::Locked,
            SsError::Prompt,
            SsError::NoResult,
        ] {
            assert!(!connection_lost(&failed), "{failed}");
        }
    }

    #[test]
    fn errors_read_as_the_keyring_crate_reads_them() {
        assert!(matches!(
            decode(SsError::Prompt),
            keyring::Error::NoStorageAccess(_)
        ));
        assert!(matches!(
            decode(dbus_error("org.freedesktop.DBus.Error.NoReply", "x")),
            keyring::Error::PlatformFailure(_)
        ));
    }
}

//! Secrets in the OS keyring: Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows. Nothing secret is ever written to a Skyport file.
//!
//! Entries are namespaced: service `skyport`, account `<profile>/<name>` (e.g.
//! `canfar/refresh-token`). Windows limits one entry to 2,560 bytes, which long OIDC tokens
//! exceed, so values longer than [`CHUNK`] characters are split over numbered entries
//! (`<name>#1`, `<name>#2`, …) behind a small header entry; the same layout is used on
//! every platform so it is tested everywhere.

#[cfg(target_os = "linux")]
mod secret_service;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Coded, ErrorCode};
use crate::secret::SecretString;

/// The keyring service name all Skyport entries share.
pub const SERVICE: &str = "skyport";
/// Largest piece stored in one entry (fits Windows' 1,280 UTF-16 units with room to spare).
pub const CHUNK: usize = 1000;
const CHUNK_HEADER: &str = "skyport-chunked:";

/// The names of a profile's keyring entries, in one place: the app, the CLI and certificate
/// renewal all read and write these, so a sign-in in one is a sign-in in the others.
pub mod entries {
    /// A bearer token the user pasted, or one from CADC password sign-in.
    pub const TOKEN: &str = "token";
    /// The OIDC access token.
    pub const OIDC_ACCESS_TOKEN: &str = "oidc-access-token";
    /// The OIDC refresh token.
    pub const OIDC_REFRESH_TOKEN: &str = "oidc-refresh-token";
    /// The client secret of a dynamically registered OIDC client (the app's, not the user's).
    pub const OIDC_CLIENT_SECRET: &str = "oidc-client-secret";
    /// A remembered CADC password (for certificate renewal).
    pub const PASSWORD: &str = "password";
    /// The username for a platform given only by `SKYPORT_URL` (a profile in config.toml keeps
    /// it in `username`).
    pub const USERNAME: &str = "username";
    /// What signing out removes: everything of the user's (the registered client stays).
    pub const SIGN_OUT: [&str; 5] = [
        TOKEN,
        OIDC_ACCESS_TOKEN,
        OIDC_REFRESH_TOKEN,
        PASSWORD,
        USERNAME,
    ];
}

/// Which secret: a profile (platform) and a name within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryKey {
    pub profile: String,
    pub name: String,
}

impl EntryKey {
    pub fn new(profile: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            profile: profile.into(),
            name: name.into(),
        }
    }

    /// The keyring account string, e.g. `canfar/access-token`.
    pub fn account(&self) -> String {
        format!("{}/{}", self.profile, self.name)
    }

    fn part(&self, i: usize) -> EntryKey {
        EntryKey {
            profile: self.profile.clone(),
            name: format!("{}#{i}", self.name),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("the OS keyring is not available ({detail}). {advice}")]
    Unavailable {
        detail: String,
        advice: &'static str,
    },
    #[error("the keyring entry {account} holds data Skyport cannot read ({detail}); sign out and in again to replace it")]
    Corrupt { account: String, detail: String },
    #[error("the keyring refused the entry {account} ({detail})")]
    Refused { account: String, detail: String },
}

impl Coded for KeyringError {
    fn code(&self) -> ErrorCode {
        ErrorCode::KeyringUnavailable
    }
}

/// What to do when the keyring is missing, per platform.
pub const ADVICE: &str = if cfg!(target_os = "linux") {
    "Skyport keeps secrets in the Secret Service: install and start gnome-keyring \
     (apt install gnome-keyring) or KeePassXC with its Secret Service integration, make sure \
     a D-Bus session is running, and unlock the keyring."
} else if cfg!(target_os = "macos") {
    "Skyport keeps secrets in the login Keychain: unlock it in Keychain Access."
} else {
    "Skyport keeps secrets in the Windows Credential Manager: check that it is enabled."
};

/// A place for secrets. The OS keyring in the app and CLI; [`MemoryStore`] in unit tests.
pub trait SecretStore: Send + Sync {
    fn get_raw(&self, key: &EntryKey) -> Result<Option<String>, KeyringError>;
    fn set_raw(&self, key: &EntryKey, value: &str) -> Result<(), KeyringError>;
    /// Delete; `Ok(false)` when there was nothing to delete.
    fn delete_raw(&self, key: &EntryKey) -> Result<bool, KeyringError>;
    /// Where the secrets live, in words ("GNOME Keyring (Secret Service)").
    fn describe(&self) -> String;
}

/// Chunk-aware operations on any store.
pub trait SecretStoreExt: SecretStore {
    fn get(&self, key: &EntryKey) -> Result<Option<SecretString>, KeyringError> {
        let Some(head) = self.get_raw(key)? else {
            return Ok(None);
        };
        let Some(n) = head.strip_prefix(CHUNK_HEADER) else {
            return Ok(Some(SecretString::new(head)));
        };
        let n: usize = n.parse().map_err(|_| KeyringError::Corrupt {
            account: key.account(),
            detail: "bad chunk header".into(),
        })?;
        let mut value = String::new();
        for i in 1..=n {
            match self.get_raw(&key.part(i))? {
                Some(part) => value.push_str(&part),
                None => {
                    return Err(KeyringError::Corrupt {
                        account: key.account(),
                        detail: format!("part {i} of {n} is missing"),
                    })
                }
            }
        }
        Ok(Some(SecretString::new(value)))
    }

    fn set(&self, key: &EntryKey, value: &SecretString) -> Result<(), KeyringError> {
        let v = value.expose();
        let old_parts = self.part_count(key)?;
        if v.chars().count() <= CHUNK && !v.starts_with(CHUNK_HEADER) {
            self.set_raw(key, v)?;
        } else {
            let chars: Vec<char> = v.chars().collect();
            let parts: Vec<String> = chars.chunks(CHUNK).map(|c| c.iter().collect()).collect();
            // Parts first, header last: a reader never sees a header without its parts.
            for (i, p) in parts.iter().enumerate() {
                self.set_raw(&key.part(i + 1), p)?;
            }
            self.set_raw(key, &format!("{CHUNK_HEADER}{}", parts.len()))?;
            for i in parts.len() + 1..=old_parts {
                self.delete_raw(&key.part(i))?;
            }
            return Ok(());
        }
        for i in 1..=old_parts {
            self.delete_raw(&key.part(i))?;
        }
        Ok(())
    }

    fn delete(&self, key: &EntryKey) -> Result<bool, KeyringError> {
        let parts = self.part_count(key)?;
        for i in 1..=parts {
            self.delete_raw(&key.part(i))?;
        }
        self.delete_raw(key)
    }

    #[doc(hidden)]
    fn part_count(&self, key: &EntryKey) -> Result<usize, KeyringError> {
        Ok(self
            .get_raw(key)?
            .and_then(|h| h.strip_prefix(CHUNK_HEADER).and_then(|n| n.parse().ok()))
            .unwrap_or(0))
    }
}

impl<T: SecretStore + ?Sized> SecretStoreExt for T {}

/// The OS keyring through the `keyring` crate.
#[derive(Debug, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(key: &EntryKey) -> Result<keyring::Entry, KeyringError> {
        #[cfg(target_os = "linux")]
        return Ok(secret_service::SharedCredential::entry(
            SERVICE,
            &key.account(),
        ));
        #[cfg(not(target_os = "linux"))]
        keyring::Entry::new(SERVICE, &key.account()).map_err(|e| map_err(&key.account(), e))
    }

    /// One keyring call, done again when the item it found vanished under it: the Secret
    /// Service looks an entry up by its attributes, then reads, replaces or deletes the item
    /// found, and another process (the app while the CLI signs out) may delete that item in
    /// between. That is a changed entry, not a missing keyring; the next attempt sees the
    /// entry as it is now.
    fn settled<T>(
        key: &EntryKey,
        call: impl Fn(&keyring::Entry) -> keyring::Result<T>,
    ) -> Result<keyring::Result<T>, KeyringError> {
        let entry = Self::entry(key)?;
        // One call at a time from this process (on Linux they share one connection, see
        // `secret_service`).
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let mut answer = call(&entry);
        for _ in 0..VANISHED_RETRIES {
            match &answer {
                Err(e) if item_vanished(e) => answer = call(&entry),
                _ => break,
            }
        }
        Ok(answer)
    }

    /// Check that the keyring answers at all (used at start to warn early).
    pub fn probe(&self) -> Result<(), KeyringError> {
        self.get_raw(&EntryKey::new("_probe", "_probe")).map(|_| ())
    }
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How often a call is repeated when its item vanished (each loss needs another process to
/// delete the entry again in the few milliseconds between lookup and use).
const VANISHED_RETRIES: usize = 5;

/// The Secret Service's answer for an item path that no longer exists. The `keyring` crate
/// passes it on as an opaque platform failure, so its D-Bus wording is all there is to go by.
fn item_vanished(e: &keyring::Error) -> bool {
    let keyring::Error::PlatformFailure(inner) = e else {
        return false;
    };
    let text = inner.to_string();
    // gnome-keyring says either, depending on how far the call got.
    let gone = [
        "No such interface",
        "Object does not exist",
        "No such object",
        "UnknownObject",
    ];
    text.contains("/org/freedesktop/secrets/collection/") && gone.iter().any(|g| text.contains(g))
}

fn map_err(account: &str, e: keyring::Error) -> KeyringError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            KeyringError::Unavailable {
                detail: inner.to_string(),
                advice: ADVICE,
            }
        }
        keyring::Error::BadEncoding(_) => KeyringError::Corrupt {
            account: account.into(),
            detail: "not UTF-8".into(),
        },
        keyring::Error::TooLong(what, max) => KeyringError::Refused {
            account: account.into(),
            detail: format!("{what} longer than {max}"),
        },
        other => KeyringError::Refused {
            account: account.into(),
            detail: other.to_string(),
        },
    }
}

impl SecretStore for OsKeyring {
    fn get_raw(&self, key: &EntryKey) -> Result<Option<String>, KeyringError> {
        match Self::settled(key, |e| e.get_password())? {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(&key.account(), e)),
        }
    }

    fn set_raw(&self, key: &EntryKey, value: &str) -> Result<(), KeyringError> {
        Self::settled(key, |e| e.set_password(value))?.map_err(|e| map_err(&key.account(), e))
    }

    fn delete_raw(&self, key: &EntryKey) -> Result<bool, KeyringError> {
        match Self::settled(key, |e| e.delete_credential())? {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(&key.account(), e)),
        }
    }

    fn describe(&self) -> String {
        if cfg!(target_os = "linux") {
            "the Secret Service keyring (e.g. GNOME Keyring)".into()
        } else if cfg!(target_os = "macos") {
            "the macOS login Keychain".into()
        } else {
            "the Windows Credential Manager".into()
        }
    }
}

/// An in-memory store for unit tests of code that only needs "some store".
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<EntryKey, String>>,
}

impl SecretStore for MemoryStore {
    fn get_raw(&self, key: &EntryKey) -> Result<Option<String>, KeyringError> {
        Ok(self.map.lock().map_err(poisoned)?.get(key).cloned())
    }
    fn set_raw(&self, key: &EntryKey, value: &str) -> Result<(), KeyringError> {
        self.map
            .lock()
            .map_err(poisoned)?
            .insert(key.clone(), value.to_string());
        Ok(())
    }
    fn delete_raw(&self, key: &EntryKey) -> Result<bool, KeyringError> {
        Ok(self.map.lock().map_err(poisoned)?.remove(key).is_some())
    }
    fn describe(&self) -> String {
        "memory (tests only)".into()
    }
}

fn poisoned<T>(_: T) -> KeyringError {
    KeyringError::Unavailable {
        detail: "in-memory store lock poisoned".into(),
        advice: "restart Skyport",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform_failure(text: &str) -> keyring::Error {
        keyring::Error::PlatformFailure(Box::new(std::io::Error::other(text.to_string())))
    }

    #[test]
    fn an_item_deleted_under_a_call_is_told_from_a_missing_keyring() {
        // gnome-keyring's wordings, as seen when another client deleted the item found.
        for seen in [
            "DBus error: No such interface “org.freedesktop.Secret.Item” on object at path /org/freedesktop/secrets/collection/login/14",
            "DBus error: Object does not exist at path “/org/freedesktop/secrets/collection/login/75”",
        ] {
            assert!(item_vanished(&platform_failure(seen)), "{seen}");
        }
        for other in [
            "DBus error: Message recipient disconnected from message bus without replying",
            "DBus error: The name org.freedesktop.secrets was not provided by any .service files",
            "Secret Service: no result found",
        ] {
            assert!(!item_vanished(&platform_failure(other)), "{other}");
        }
        assert!(!item_vanished(&keyring::Error::NoEntry));
    }

    #[test]
    fn a_call_whose_item_vanished_is_done_again() {
        let key = EntryKey::new("p", "tok");
        let tries = std::cell::Cell::new(0);
        let answer = OsKeyring::settled(&key, |_| -> keyring::Result<()> {
            tries.set(tries.get() + 1);
            if tries.get() < 3 {
                Err(platform_failure(
                    "Object does not exist at path “/org/freedesktop/secrets/collection/login/3”",
                ))
            } else {
                Err(keyring::Error::NoEntry)
            }
        })
        .expect("an entry handle");
        assert!(matches!(answer, Err(keyring::Error::NoEntry)));
        assert_eq!(tries.get(), 3);
        // A keyring that is really gone is not asked again and again.
        tries.set(0);
        let answer = OsKeyring::settled(&key, |_| -> keyring::Result<()> {
            tries.set(tries.get() + 1);
            Err(platform_failure(
                "Message recipient disconnected from message bus without replying",
            ))
        })
        .expect("an entry handle");
        assert!(answer.is_err());
        assert_eq!(tries.get(), 1);
    }

    #[test]
    fn long_values_are_chunked_and_reassembled() {
        let store = MemoryStore::default();
        let key = EntryKey::new("canfar", "refresh-token");
        let long: String = (0..3500)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        store
            .set(&key, &SecretString::new(long.clone()))
            .expect("set");
        assert_eq!(store.get(&key).expect("get").expect("some").expose(), &long);
        assert!(store.get_raw(&key.part(4)).expect("raw").is_some());
        assert!(store.get_raw(&key.part(5)).expect("raw").is_none());
        // Every raw entry fits the Windows limit.
        for i in 1..=4 {
            let part = store.get_raw(&key.part(i)).expect("raw").expect("part");
            assert!(part.encode_utf16().count() * 2 <= 2560);
        }
        // Shrinking removes the now-unused parts.
        store
            .set(&key, &SecretString::new("short".into()))
            .expect("set short");
        assert_eq!(
            store.get(&key).expect("get").expect("some").expose(),
            "short"
        );
        assert!(store.get_raw(&key.part(1)).expect("raw").is_none());
        assert!(store.delete(&key).expect("delete"));
        assert!(store.get(&key).expect("get").is_none());
        assert!(!store.delete(&key).expect("delete twice is fine"));
    }

    #[test]
    fn a_missing_part_is_reported_not_silently_truncated() {
        let store = MemoryStore::default();
        let key = EntryKey::new("p", "tok");
        store
            .set(&key, &SecretString::new("x".repeat(2500)))
            .expect("set");
        store.delete_raw(&key.part(2)).expect("remove a part");
        let err = store.get(&key).expect_err("corrupt");
        assert!(err.to_string().contains("part 2 of 3 is missing"), "{err}");
        assert_eq!(err.code(), ErrorCode::KeyringUnavailable);
    }

    #[test]
    fn accounts_are_namespaced_by_profile() {
        assert_eq!(
            EntryKey::new("canfar", "access-token").account(),
            "canfar/access-token"
        );
        assert_ne!(
            EntryKey::new("a", "t").account(),
            EntryKey::new("b", "t").account()
        );
    }
}

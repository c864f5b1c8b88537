//! `Secret<T>`: tokens, passwords and keys that cannot leak by accident.
//!
//! `Debug` and `Display` print `[redacted]`; there is deliberately no `Serialize`, so a
//! secret can never be sent to the UI, written to a config file or logged as a field by
//! mistake: code that needs the value must call [`Secret::expose`], which is easy to
//! review. The value is zeroed in memory when dropped.

use std::fmt;

use zeroize::Zeroize;

pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value. Every call site is a place where a secret leaves its box.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<'de, T: Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

/// A secret string (token, password, refresh token).
pub type SecretString = Secret<String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = SecretString::new("hunter2-token".into());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Creds {
            user: String,
            password: SecretString,
        }
        let c = Creds {
            user: "alice".into(),
            password: SecretString::new("hunter2-token".into()),
        };
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"));
    }

    #[test]
    fn expose_returns_the_value_and_deserialize_works() {
        let s: SecretString = serde_json::from_str("\"abc\"").expect("json string");
        assert_eq!(s.expose(), "abc");
        assert_eq!(s.clone().expose(), "abc");
    }

    #[test]
    fn tracing_fields_are_redacted() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| std::io::ErrorKind::Other)?
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .finish();
        let secret = SecretString::new("tok-VERY-SECRET".into());
        tracing::subscriber::with_default(sub, || {
            tracing::info!(token = ?secret, "signed in");
            tracing::info!("token is {secret}");
        });
        let out = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
        assert!(out.contains("signed in"), "{out}");
        assert!(!out.contains("VERY-SECRET"), "{out}");
    }
}

//! Command adapters: unpack arguments, call core, map errors to `{code, message}`.

pub mod app;
pub mod auth;
pub mod certs;
pub mod credentials;
pub mod downloads;
pub mod sessions;
pub mod settings;

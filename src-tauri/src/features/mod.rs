//! The shell's features. Each owns its state, starts in its `init`, and exposes its
//! commands as thin adapters in `commands.rs` over its services. A feature depends on the
//! kernel and core only: features reach each other through the kernel's bus (signals and
//! watch channels) and typed events, never by calling each other.

pub mod app;
pub mod certificates;
pub mod credentials;
pub mod downloads;
pub mod links;
pub mod platforms;
pub mod session_windows;
pub mod sessions;
pub mod storage;
pub mod tray;
pub mod vault;

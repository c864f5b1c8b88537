//! Typed app-wide events. Each is declared once here; the UI listens through the generated
//! `events.*` bindings.

use serde::{Deserialize, Serialize};
use skyport_core::status::CredentialStatus;

/// The credential state changed (sign-in, sign-out, expiry, renewal).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct CredentialStatusChanged(pub CredentialStatus);

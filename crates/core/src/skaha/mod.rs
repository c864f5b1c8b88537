//! The Skaha session API: typed client, lenient model, errors with advice.

pub mod client;
pub mod error;
pub mod model;

pub use client::{
    Auth, CreateRequest, ListAnswer, ListQuery, RegistryAuth, Resources, RetryPolicy, SessionList,
    SkahaClient,
};
pub use error::SkahaError;
pub use model::{
    Context, Image, PlatformStats, Session, SessionEvent, SessionId, SessionKind, SessionStatus,
};

//! CANFAR's `/arc` storage (the cavern VOSpace service): paths and node URIs
//! ([`path`]), the node documents the service answers with ([`node`]) and the service
//! over HTTP ([`client`]). Facts:
//! `vospace.md` in the reference notes.

pub mod client;
pub mod node;
pub mod path;

pub use node::{Listing, Node, NodeError, NodeKind, Usage};
pub use path::{NodePath, PathError};

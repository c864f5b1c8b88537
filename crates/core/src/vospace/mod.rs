//! CANFAR's `/arc` storage (the cavern VOSpace service): paths and node URIs
//! ([`path`]) and the node documents the service answers with ([`node`]). Facts:
//! `vospace.md` in the reference notes.

pub mod node;
pub mod path;

pub use node::{Listing, Node, NodeError, NodeKind, Usage};
pub use path::{NodePath, PathError};

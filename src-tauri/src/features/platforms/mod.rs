//! Platforms: what the registries offer, and adding one (discovery, a saved profile, the
//! switch to it). The welcome page and the Platforms view use it. No state of its own: the
//! profile in use is the kernel's, and the switch reaches the other features on the bus.

pub mod add;
pub mod commands;

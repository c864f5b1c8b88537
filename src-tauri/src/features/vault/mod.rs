//! Credentials for other VO services (core's `vault`): the Credentials view lists them
//! beside the platforms' own, adds and removes each kind, and tests one against a URL (the
//! probe's answer). No state of its own: the file and the keyring are core's.

pub mod commands;

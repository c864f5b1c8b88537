//! A local Skaha-compatible platform on loopback (filled by the sim issue).

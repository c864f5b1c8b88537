//! The app itself: facts about this installation, the platform in use, the settings, and
//! the main window being used again. No state of its own: it reads the kernel's.

pub mod autostart;
pub mod commands;

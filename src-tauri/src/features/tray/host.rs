//! Whether the desktop has a StatusNotifier host to show the tray icon (Linux).
//!
//! Asked over the session bus with GLib's own connection (the one GTK and WebKit already
//! hold), not with a `dbus-send` child: no process to start at launch and a reply in about
//! a millisecond. Then followed: a panel that restarts or starts late (at login) changes
//! the answer, and with it what closing the window does. Without a session bus there is no
//! host to follow.

#[cfg(target_os = "linux")]
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// The session bus, when there is one.
pub(super) struct SessionBus(#[cfg(target_os = "linux")] gio::DBusConnection);

impl SessionBus {
    pub(super) fn connect() -> Option<Self> {
        #[cfg(target_os = "linux")]
        {
            match gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) {
                Ok(bus) => Some(Self(bus)),
                Err(e) => {
                    tracing::warn!("no session bus to ask for a tray host: {e}");
                    None
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        Some(Self())
    }

    /// Is a host there now? (Elsewhere than Linux the system always shows tray icons.)
    pub(super) fn host_present(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            use gio::glib::ToVariant;
            let reply = self.0.call_sync(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                Some(&(WATCHER,).to_variant()),
                None,
                gio::DBusCallFlags::NONE,
                2_000,
                gio::Cancellable::NONE,
            );
            match reply.map(|v| v.get::<(bool,)>()) {
                Ok(Some((owned,))) => owned,
                // Not the (b) the bus defines: no host we can talk to.
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!("the session bus did not say whether a tray host is there: {e}");
                    false
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        true
    }

    /// Call `changed(present)` whenever a host comes or goes (from GLib's main loop, for as
    /// long as the app runs).
    pub(super) fn follow(&self, changed: impl Fn(bool) + 'static) {
        #[cfg(target_os = "linux")]
        {
            let _ = self.0.signal_subscribe(
                Some("org.freedesktop.DBus"),
                Some("org.freedesktop.DBus"),
                Some("NameOwnerChanged"),
                Some("/org/freedesktop/DBus"),
                Some(WATCHER),
                gio::DBusSignalFlags::NONE,
                move |_, _, _, _, _, args| {
                    if let Some((_, _, owner)) = args.get::<(String, String, String)>() {
                        changed(!owner.is_empty());
                    }
                },
            );
        }
        #[cfg(not(target_os = "linux"))]
        let _ = changed;
    }
}

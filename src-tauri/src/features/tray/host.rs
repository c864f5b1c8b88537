//! Whether the desktop has a StatusNotifier host to show the tray icon (Linux).
//!
//! Asked over the session bus with GLib's own connection (the one GTK and WebKit already
//! hold), not with a `dbus-send` child: no process to start at launch, a reply in about a
//! millisecond, and no thread racing the start-up. Then followed: a panel that restarts
//! or starts late (at login) changes the answer, and with it what closing the window does.

#[cfg(target_os = "linux")]
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// Is a host there now? (Elsewhere than Linux the system always shows tray icons.)
pub(super) fn present() -> bool {
    #[cfg(target_os = "linux")]
    {
        use gio::glib::ToVariant;
        let bus = match gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) {
            Ok(bus) => bus,
            Err(e) => {
                tracing::warn!("no session bus to ask for a tray host: {e}");
                return false;
            }
        };
        let reply = bus.call_sync(
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

/// Call `changed(present)` whenever a host comes or goes, from GLib's main loop.
pub(super) fn follow(changed: impl Fn(bool) + Send + Sync + 'static) {
    #[cfg(target_os = "linux")]
    {
        let changed = std::sync::Arc::new(changed);
        let gone = changed.clone();
        // The watch lasts as long as the app: its id is never handed back.
        let _ = gio::bus_watch_name(
            gio::BusType::Session,
            WATCHER,
            gio::BusNameWatcherFlags::NONE,
            move |_, _, _| changed(true),
            move |_, _| gone(false),
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = changed;
}

//! Whether the desktop has a StatusNotifier host to show the tray icon (Linux).
//!
//! Asked over the session bus with GLib's own connection (the one GTK and WebKit already
//! hold), not with a `dbus-send` child: no process to start at launch and a reply in about
//! a millisecond. Then followed: a panel that restarts or starts late (at login) changes
//! the answer, and with it what closing the window does. Without a session bus there is no
//! host to follow.
//!
//! A host that comes is also asked whether it lists Skyport's icon. Some watchers take
//! their bus name before they serve their object (gtk-sni-tray's does, and a panel
//! starting at login is one): the icon's library, told the name has an owner, registers at
//! once, is refused, falls back to an old-style icon and never asks again. Offered again
//! once the watcher answers, the icon goes in.

use std::time::Duration;
#[cfg(target_os = "linux")]
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

#[cfg(target_os = "linux")]
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// How often the host is asked for its list after it came, and for how long at most (a
/// panel at login can be slow to serve).
#[cfg(target_os = "linux")]
const LOOK_EVERY: Duration = Duration::from_millis(250);
const GIVE_UP_AFTER: Duration = Duration::from_secs(20);
/// After how many answers without the icon it is offered again: not at the first (it may
/// come before the icon's own registration was read), and spaced out (about 0.5, 2 and 6 s
/// after the host serves), for a host still busy starting.
const OFFER_AT: [u32; 3] = [2, 8, 24];

/// The session bus, when there is one.
#[derive(Clone)]
pub(super) struct SessionBus {
    #[cfg(target_os = "linux")]
    bus: gio::DBusConnection,
    /// Counts hosts that came or went: a look at an earlier host's list stops.
    #[cfg(target_os = "linux")]
    arrivals: Rc<Cell<u64>>,
}

/// What looking at the host's list of icons came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// It answered without Skyport's icon again: offer the icon again.
    OfferAgain,
    /// Skyport's icon is in the list (the end).
    Listed,
    /// It answered, to the end, without the icon (the end).
    NotListed,
    /// It never answered (the end): whether the icon shows is unknown. (A host that lists
    /// its icons under another form than the ones `lists` knows ends here too, or as
    /// NotListed: closing the window then quits, the safe side.)
    NoAnswer,
}

impl Listing {
    fn ends(self) -> bool {
        self != Listing::OfferAgain
    }
}

/// The rule for one host's answers, one at a time.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug, Default)]
struct Looks {
    answered: bool,
    unlisted: u32,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
impl Looks {
    /// One more answer, `elapsed` after the host came: `listed` is what it said (`None`: no
    /// answer, or not a list).
    fn after(&mut self, listed: Option<bool>, elapsed: Duration) -> Option<Listing> {
        match listed {
            Some(true) => return Some(Listing::Listed),
            Some(false) => {
                self.answered = true;
                self.unlisted += 1;
            }
            None => {}
        }
        if elapsed >= GIVE_UP_AFTER {
            return Some(if self.answered {
                Listing::NotListed
            } else {
                Listing::NoAnswer
            });
        }
        (listed == Some(false) && OFFER_AT.contains(&self.unlisted)).then_some(Listing::OfferAgain)
    }
}

/// Whether a watcher's list holds an item of the connection named `me`. Items are
/// "<bus name><object path>" (an icon registered by its path is listed under its
/// sender's unique name), or a bare bus name.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn lists(items: &[String], me: &str) -> bool {
    items.iter().any(|item| {
        item.strip_prefix(me)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl SessionBus {
    pub(super) fn connect() -> Option<Self> {
        #[cfg(target_os = "linux")]
        {
            match gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) {
                Ok(bus) => Some(Self {
                    bus,
                    arrivals: Rc::default(),
                }),
                Err(e) => {
                    tracing::warn!("no session bus to ask for a tray host: {e}");
                    None
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        Some(Self {})
    }

    /// Is a host there now? (Elsewhere than Linux the system always shows tray icons.)
    pub(super) fn host_present(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            use gio::glib::ToVariant;
            let reply = self.bus.call_sync(
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
            let _ = self.bus.signal_subscribe(
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

    /// Ask the host for its list of icons every quarter second (one question at a time)
    /// until it lists this process's icon, or for 20 s, telling `seen` what came of it:
    /// when to offer the icon again, and how it ended. A host that comes or goes later
    /// stops it.
    pub(super) fn watch_listing(&self, seen: impl Fn(Listing) + 'static) {
        #[cfg(target_os = "linux")]
        {
            use gio::glib::{self, ToVariant};
            let arrival = self.new_arrival();
            // The icon's library registers on GLib's shared connection: this one.
            let Some(me) = self.bus.unique_name().map(|n| n.to_string()) else {
                return;
            };
            let since = std::time::Instant::now();
            let looks = Rc::new(RefCell::new(Looks::default()));
            let asking = Rc::new(Cell::new(false));
            let seen = Rc::new(seen);
            let this = self.clone();
            glib::timeout_add_local(LOOK_EVERY, move || {
                if this.arrivals.get() != arrival {
                    return glib::ControlFlow::Break;
                }
                if asking.replace(true) {
                    return glib::ControlFlow::Continue;
                }
                let (looks, asking, seen, me, that) = (
                    looks.clone(),
                    asking.clone(),
                    seen.clone(),
                    me.clone(),
                    this.clone(),
                );
                this.bus.call(
                    Some(WATCHER),
                    "/StatusNotifierWatcher",
                    "org.freedesktop.DBus.Properties",
                    "Get",
                    Some(&(WATCHER, "RegisteredStatusNotifierItems").to_variant()),
                    glib::VariantTy::new("(v)").ok(),
                    gio::DBusCallFlags::NONE,
                    1_000,
                    gio::Cancellable::NONE,
                    move |reply| {
                        asking.set(false);
                        if that.arrivals.get() != arrival {
                            return;
                        }
                        let listed = reply
                            .ok()
                            .and_then(|v| v.child_value(0).as_variant())
                            .and_then(|v| v.get::<Vec<String>>())
                            .map(|items| lists(&items, &me));
                        let Some(listing) = looks.borrow_mut().after(listed, since.elapsed())
                        else {
                            return;
                        };
                        if listing.ends() {
                            that.new_arrival();
                        }
                        seen(listing);
                    },
                );
                glib::ControlFlow::Continue
            });
        }
        #[cfg(not(target_os = "linux"))]
        let _ = seen;
    }

    /// Stop looking at an earlier host's list (it went).
    pub(super) fn stop_watching_listing(&self) {
        #[cfg(target_os = "linux")]
        self.new_arrival();
    }

    #[cfg(target_os = "linux")]
    fn new_arrival(&self) -> u64 {
        let n = self.arrivals.get() + 1;
        self.arrivals.set(n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_ours_only_under_our_whole_connection_name() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ours = items(&[":1.40/org/ayatana/NotificationItem/skyport"]);
        assert!(lists(&ours, ":1.40"));
        assert!(!lists(&ours, ":1.4"), "a prefix of another name");
        assert!(lists(&items(&["org.kde.x", ":1.4"]), ":1.4"));
        assert!(!lists(&[], ":1.4"));
    }

    #[test]
    fn a_host_that_answers_without_the_icon_is_offered_it_again_then_given_up_on() {
        let at = Duration::from_millis;
        let mut looks = Looks::default();
        // Not serving yet: no answer is no reason to offer.
        assert_eq!(looks.after(None, at(250)), None);
        assert_eq!(looks.after(None, at(500)), None);
        // One answer without the icon may precede our registration's turn.
        assert_eq!(looks.after(Some(false), at(750)), None);
        assert_eq!(
            looks.after(Some(false), at(1000)),
            Some(Listing::OfferAgain)
        );
        assert_eq!(looks.after(Some(false), at(1250)), None);
        assert_eq!(looks.after(Some(true), at(1500)), Some(Listing::Listed));

        // Offers spaced out, then the end at 20 s, whatever the pace of the answers.
        let mut looks = Looks::default();
        let mut offers_at = vec![];
        let mut t = Duration::ZERO;
        let end = loop {
            t += at(250);
            match looks.after(Some(false), t) {
                Some(Listing::OfferAgain) => offers_at.push(t.as_millis()),
                Some(end) => break end,
                None => {}
            }
        };
        assert_eq!(end, Listing::NotListed);
        assert_eq!(offers_at, [500, 2000, 6000]);
        assert_eq!(t, GIVE_UP_AFTER);

        // A host that never answers (each question waits out its timeout).
        let mut looks = Looks::default();
        assert_eq!(looks.after(None, at(19_000)), None);
        assert_eq!(looks.after(None, at(20_250)), Some(Listing::NoAnswer));
    }
}

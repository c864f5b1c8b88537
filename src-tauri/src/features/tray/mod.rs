//! The system tray: the certificate countdown, renew, sign in, running sessions, open, quit.
//!
//! The tray only listens: it redraws from the kernel's channels (the certificate reading,
//! the session list, credential signals, and a minute tick for the countdown) whenever what
//! it shows changes, and its menu items send signals for the features that act on them. With
//! no tray host on the desktop the icon is invisible; the kernel is told, so that closing
//! the window then quits instead of hiding and the app is never stranded.

mod host;
mod menu;

use host::Listing;

use std::sync::Mutex;
use std::time::Duration;

use skyport_core::tray::TrayModel;
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::lifetime::{self, Lifetime};
use crate::kernel::{bus, Bus};

const TRAY_ID: &str = "skyport";

/// The feature's state: what the tray shows now.
#[derive(Default)]
struct Shown(Mutex<Option<TrayModel>>);

/// Create the tray icon and start listening. Errors are logged: the app works without a
/// tray.
pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Shown::default());
    let bus = host::SessionBus::connect();
    // Followed before it is asked (its news waits for the main loop, which runs this): a
    // panel that comes in between is not missed.
    if let Some(bus) = &bus {
        follow_host(app, bus);
    }
    let host = bus.as_ref().is_some_and(|b| b.host_present());
    if !host {
        tracing::warn!("no StatusNotifier tray host on this desktop: the tray icon shows only in an old-style (XEmbed) tray, and closing the window quits Skyport");
    }
    let m = menu::current(app);
    // One handler for the app's menus, whichever icon they hang from.
    app.on_menu_event(|app, event| menu::on_menu(app, event.id().as_ref()));
    let built = menu::build_menu(app, &m).and_then(|items| {
        let mut builder = TrayIconBuilder::with_id(TRAY_ID)
            .tooltip(&m.tooltip)
            .menu(&items)
            .show_menu_on_left_click(true);
        if let Some(i) = menu::icon(m.icon) {
            builder = builder.icon(i);
        }
        builder.build(app)
    });
    if let Err(e) = &built {
        tracing::warn!("no system tray: {e}; Skyport carries on without it");
    }
    app.state::<Lifetime>()
        .set_tray_shown(host && built.is_ok());
    if built.is_ok() {
        if let (Some(bus), true) = (&bus, host) {
            watch_listing(app, bus);
        }
        log_menu(&m);
        *app.state::<Shown>()
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(m);
        spawn_listener(app.clone());
    }
}

/// A panel restarted, or one that came after Skyport at login: closing the window hides it
/// only while someone shows the icon.
fn follow_host<R: Runtime>(app: &AppHandle<R>, bus: &host::SessionBus) {
    let app = app.clone();
    let watcher = bus.clone();
    bus.follow(move |now| {
        if app.tray_by_id(TRAY_ID).is_none() {
            return;
        }
        let life = app.state::<Lifetime>();
        if life.tray_shown() != now {
            life.set_tray_shown(now);
            tracing::info!(
                "the desktop's tray host {}",
                if now {
                    "came: asking whether it lists Skyport's icon"
                } else {
                    "went: closing the window quits Skyport"
                }
            );
        }
        if now {
            watch_listing(&app, &watcher);
        } else {
            watcher.stop_watching_listing();
        }
    });
}

/// Follow the host until it lists Skyport's icon: offer the icon again when it answers
/// without it, and let closing the window quit if it never takes it.
fn watch_listing<R: Runtime>(app: &AppHandle<R>, bus: &host::SessionBus) {
    let app = app.clone();
    bus.watch_listing(move |listing| {
        let life = app.state::<Lifetime>();
        match listing {
            Listing::OfferAgain => {
                tracing::info!("the desktop's tray host does not list Skyport's icon yet: offering it again");
                offer_again(&app);
            }
            Listing::Listed => {
                tracing::info!("the desktop's tray host lists Skyport's icon: closing the window keeps Skyport in the tray");
                life.set_tray_shown(true);
            }
            // Not undone if the icon goes in later after all (a redraw registers again):
            // closing the window then quits, the side on which nobody loses the app.
            Listing::NotListed => {
                tracing::warn!("the desktop's tray host never listed Skyport's icon: closing the window quits Skyport");
                life.set_tray_shown(false);
                if life.main_hidden() {
                    // Never hidden where nobody can find it (a start at login, or a window
                    // closed while the host was being asked).
                    lifetime::show_main(&app);
                }
            }
            // Asked and never answered: most likely the icon shows (the host took the
            // name), so closing the window keeps Skyport in the tray as it said.
            Listing::NoAnswer => {
                tracing::warn!("the desktop's tray host did not say which icons it shows");
            }
        }
    });
}

/// Hand the icon's library the menu it shows again: it then registers the icon with the
/// host again (libayatana-appindicator does so whenever it is given a menu).
fn offer_again<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let shown = app.state::<Shown>();
    let m = shown.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let m = m.unwrap_or_else(|| menu::current(app));
    set_menu(app, &tray, &m);
}

fn set_menu<R: Runtime>(app: &AppHandle<R>, tray: &TrayIcon<R>, m: &TrayModel) {
    if let Ok(items) = menu::build_menu(app, m) {
        let _ = tray.set_menu(Some(items));
    }
}

/// Redraw when something the tray shows may have changed.
fn spawn_listener<R: Runtime>(app: AppHandle<R>) {
    let bus = app.state::<Bus>();
    let mut signals = bus.subscribe();
    let mut sessions = bus.sessions.subscribe();
    let mut cert = bus.cert.subscribe();
    tauri::async_runtime::spawn(async move {
        // The countdown moves by the minute.
        let mut minute = tokio::time::interval(Duration::from_secs(60));
        minute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                signal = bus::next(&mut signals) => if signal.is_none() { return },
                r = sessions.changed() => if r.is_err() { return },
                r = cert.changed() => if r.is_err() { return },
                _ = minute.tick() => {}
            }
            redraw(&app);
        }
    });
}

/// Rebuild the menu, icon and tooltip when what they show changed.
fn redraw<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let m = menu::current(app);
    let shown = app.state::<Shown>();
    let mut last = shown.0.lock().unwrap_or_else(|e| e.into_inner());
    if last.as_ref() == Some(&m) {
        return;
    }
    set_menu(app, &tray, &m);
    let _ = tray.set_icon(menu::icon(m.icon));
    let _ = tray.set_tooltip(Some(&m.tooltip));
    log_menu(&m);
    *last = Some(m);
}

/// A state line for every menu built (the end-to-end tests wait for the one they need).
fn log_menu(m: &TrayModel) {
    tracing::info!(
        "tray menu lists {} running session(s); {}",
        m.sessions.len(),
        m.cert_line
    );
}

//! Stand-in StatusNotifierWatchers, for two ways a real host can behave that the real one
//! in these tests (gtk-sni-tray) shows only by chance or not at all:
//!
//! - Late: it takes its bus name before it serves its object. gtk-sni-tray's watcher
//!   (Debian's status-notifier-item 0.3.1) does this for a moment: it takes the name,
//!   subscribes to the bus's signals, and only then exports its object. An app told that
//!   the name has an owner registers at once and can be refused. Here the moment lasts
//!   until the first registration has been refused, so that the app meets it every time.
//! - Deaf: it serves, and accepts registrations, but never lists them (a host that does
//!   not take the icon).
//!
//! Otherwise a plain watcher: it lists what registers, as "<sender><path>" for an item
//! registered by path.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use gio::glib::{self, ToVariant};

use crate::login_start::{watcher_gone, WATCHER};

const INTERFACE: &str = r#"<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
  </interface>
</node>"#;

#[derive(Clone, Copy)]
enum Kind {
    Late,
    Deaf,
}

/// Stopped on drop, and waited for until its name is gone from the bus.
pub struct StandInWatcher {
    main_loop: glib::MainLoop,
    thread: Option<JoinHandle<()>>,
}

impl StandInWatcher {
    /// Take the watcher's name now (returns once it is owned), and serve once it has
    /// refused a first registration.
    pub fn late() -> StandInWatcher {
        Self::start(Kind::Late)
    }

    /// Take the name and serve now, and list no icon ever.
    pub fn deaf() -> StandInWatcher {
        Self::start(Kind::Deaf)
    }

    fn start(kind: Kind) -> StandInWatcher {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let context = glib::MainContext::new();
            context
                .with_thread_default(|| run(&context, kind, tx))
                .expect("the watcher's own main context");
        });
        let main_loop = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("the stand-in watcher took its name");
        StandInWatcher {
            main_loop,
            thread: Some(thread),
        }
    }
}

fn run(context: &glib::MainContext, kind: Kind, started: std::sync::mpsc::Sender<glib::MainLoop>) {
    let address = gio::dbus_address_get_for_bus_sync(gio::BusType::Session, gio::Cancellable::NONE)
        .expect("a session bus");
    let bus = gio::DBusConnection::for_address_sync(
        &address,
        gio::DBusConnectionFlags::AUTHENTICATION_CLIENT
            | gio::DBusConnectionFlags::MESSAGE_BUS_CONNECTION,
        None,
        gio::Cancellable::NONE,
    )
    .expect("a connection of its own");
    // DBUS_NAME_FLAG_DO_NOT_QUEUE; 1 = became the primary owner.
    let reply = bus
        .call_sync(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "RequestName",
            Some(&(WATCHER, 4u32).to_variant()),
            None,
            gio::DBusCallFlags::NONE,
            5_000,
            gio::Cancellable::NONE,
        )
        .expect("RequestName");
    assert_eq!(
        reply.get::<(u32,)>(),
        Some((1,)),
        "the watcher's name is free"
    );

    let main_loop = glib::MainLoop::new(Some(context), false);
    let items: Arc<Mutex<Vec<String>>> = Arc::default();
    match kind {
        Kind::Deaf => serve(&bus, kind, items),
        Kind::Late => serve_after_a_refusal(context, &bus, items),
    }
    // Handed over from inside the running loop, so that a quit cannot come before the run.
    let handed = main_loop.clone();
    context.spawn_local(async move {
        let _ = started.send(handed);
    });
    main_loop.run();
    let _ = bus.close_sync(gio::Cancellable::NONE);
}

fn serve_after_a_refusal(
    context: &glib::MainContext,
    bus: &gio::DBusConnection,
    items: Arc<Mutex<Vec<String>>>,
) {
    // GDBus answers a call to an object not (yet) served with an error of its own: seen
    // going out, in reply to the first registration, it is the moment to serve.
    let first_call = Arc::new(AtomicU32::new(0));
    let served = Arc::new(AtomicBool::new(false));
    let (serving, home) = (bus.clone(), context.clone());
    bus.add_filter(move |_, message, incoming| {
        let message_type = message.message_type();
        if incoming
            && message_type == gio::DBusMessageType::MethodCall
            && message.member().as_deref() == Some("RegisterStatusNotifierItem")
        {
            let _ = first_call.compare_exchange(
                0,
                message.serial(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        } else if !incoming
            && message_type == gio::DBusMessageType::Error
            && message.reply_serial() == first_call.load(Ordering::SeqCst)
            && !served.swap(true, Ordering::SeqCst)
        {
            let (bus, items) = (serving.clone(), items.clone());
            home.invoke(move || serve(&bus, Kind::Late, items));
        }
        Some(message.clone())
    });
}

fn serve(bus: &gio::DBusConnection, kind: Kind, items: Arc<Mutex<Vec<String>>>) {
    let node = gio::DBusNodeInfo::for_xml(INTERFACE).expect("the watcher's interface");
    let interface = node
        .lookup_interface(WATCHER)
        .expect("the watcher's interface");
    let registered = items.clone();
    bus.register_object(
        "/StatusNotifierWatcher",
        &interface,
        move |_, sender, _, _, method, params, invocation| {
            if method == "RegisterStatusNotifierItem" && matches!(kind, Kind::Late) {
                let service = params.get::<(String,)>().map(|(s,)| s).unwrap_or_default();
                let item = if service.starts_with('/') {
                    format!("{sender}{service}")
                } else {
                    service
                };
                let mut items = registered.lock().expect("items");
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            invocation.return_value(None);
        },
        move |_, _, _, _, property| match property {
            "RegisteredStatusNotifierItems" => items.lock().expect("items").to_variant(),
            "IsStatusNotifierHostRegistered" => true.to_variant(),
            _ => 0i32.to_variant(),
        },
        |_, _, _, _, _, _| false,
    )
    .expect("the watcher's object");
}

impl Drop for StandInWatcher {
    fn drop(&mut self) {
        self.main_loop.quit();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        watcher_gone();
    }
}

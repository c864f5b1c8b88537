//! A StatusNotifierWatcher that takes its bus name a while before it serves its object.
//!
//! gtk-sni-tray's watcher (Debian's status-notifier-item 0.3.1) does this for a moment: it
//! takes the name, subscribes to the bus's signals, and only then exports its object. An
//! app told that the name has an owner registers at once and can be refused. Here the
//! moment is stretched, so that the app meets it every time. Otherwise it is a plain
//! watcher: it lists what registers, as "<sender><path>" for an item registered by path.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use gio::glib::{self, ToVariant};

use crate::login_start::{watcher_running, WATCHER};

const INTERFACE: &str = r#"<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
  </interface>
</node>"#;

/// Stopped on drop, and waited for until its name is gone from the bus.
pub struct LateWatcher {
    main_loop: glib::MainLoop,
    thread: Option<JoinHandle<()>>,
}

impl LateWatcher {
    /// Take the watcher's name now (returns once it is owned) and serve `serve_after` later.
    pub fn start(serve_after: Duration) -> LateWatcher {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let context = glib::MainContext::new();
            context
                .with_thread_default(|| run(&context, serve_after, tx))
                .expect("the watcher's own main context");
        });
        let main_loop = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("the stand-in watcher took its name");
        LateWatcher {
            main_loop,
            thread: Some(thread),
        }
    }
}

fn run(
    context: &glib::MainContext,
    serve_after: Duration,
    started: std::sync::mpsc::Sender<glib::MainLoop>,
) {
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
    let serving = bus.clone();
    context.spawn_local(async move {
        glib::timeout_future(serve_after).await;
        serve(&serving, items);
    });
    // Handed over from inside the running loop, so that a quit cannot come before the run.
    let handed = main_loop.clone();
    context.spawn_local(async move {
        let _ = started.send(handed);
    });
    main_loop.run();
    let _ = bus.close_sync(gio::Cancellable::NONE);
}

fn serve(bus: &gio::DBusConnection, items: Arc<Mutex<Vec<String>>>) {
    let node = gio::DBusNodeInfo::for_xml(INTERFACE).expect("the watcher's interface");
    let interface = node
        .lookup_interface(WATCHER)
        .expect("the watcher's interface");
    let registered = items.clone();
    bus.register_object(
        "/StatusNotifierWatcher",
        &interface,
        move |_, sender, _, _, method, params, invocation| {
            if method == "RegisterStatusNotifierItem" {
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

impl Drop for LateWatcher {
    fn drop(&mut self) {
        self.main_loop.quit();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Later tests start a tray of their own and expect no watcher on the bus.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while watcher_running() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
